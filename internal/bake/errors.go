package bake

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/imagemake/imagemake/internal/config"
)

// Error is a problem with a bake file, named as config names its own (file relative to the
// project root, line, field): the project shows them together.
type Error = config.Error

// Errors is every problem found in the bake files of a project, in file order, then line order.
type Errors = config.Errors

// describe turns an error of bake's into Errors: HCL's diagnostics keep their positions (file
// names are already relative to the root); other errors (a Compose-form file, an unknown
// target in a group or inherits, a target: loop) name the files read.
func (r *reader) describe(err error) error {
	var diags hcl.Diagnostics
	if errors.As(err, &diags) {
		var list []Error
		for _, d := range diags {
			if d.Severity != hcl.DiagError || (len(diags) > 1 && consequence(d)) {
				continue
			}
			list = append(list, diagError(d, r.fileName(0)))
		}
		if len(list) > 0 {
			r.sortErrors(list)
			return &Errors{List: list}
		}
	}
	names := make([]string, len(r.files))
	for i, f := range r.files {
		names[i] = f.Name
	}
	return &Errors{List: []Error{{File: strings.Join(names, ", "), Msg: err.Error()}}}
}

// consequence is a diagnostic HCL adds after an earlier error made a value unknown: the
// earlier one says what is wrong.
func consequence(d *hcl.Diagnostic) bool {
	return strings.Contains(d.Detail, "value must be known")
}

func diagError(d *hcl.Diagnostic, file string) Error {
	e := Error{File: file, Msg: d.Summary}
	if d.Detail != "" {
		e.Msg += ": " + strings.TrimSuffix(d.Detail, ".")
	}
	if d.Subject != nil {
		e.File, e.Line, e.Col = d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column
	}
	return e
}

// errAt is a problem with a field of a target, at the line that sets the field, else the
// line of the target's block.
func (r *reader) errAt(target, field, format string, args ...any) Error {
	f := "target." + target
	if field != "" {
		f += "." + field
	}
	file, at, from := r.pos.field(target, field)
	if from != "" {
		format += " (inherited from target " + from + ")"
	}
	if file == "" {
		file = r.fileName(0)
	}
	return Error{File: file, Line: at.Line, Col: at.Column, Field: f, Msg: fmt.Sprintf(format, args...)}
}

// sortErrors orders problems by file (in the order the files are given), then line.
func (r *reader) sortErrors(list []Error) {
	order := map[string]int{}
	for i, f := range r.files {
		order[f.Name] = i
	}
	slices.SortStableFunc(list, func(a, b Error) int {
		if c := order[a.File] - order[b.File]; c != 0 {
			return c
		}
		if c := a.Line - b.Line; c != 0 {
			return c
		}
		return strings.Compare(a.Field, b.Field)
	})
}
