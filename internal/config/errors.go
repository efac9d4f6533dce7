package config

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// Error is one problem found in a config file.
type Error struct {
	File  string // the config file, as shown to the user
	Line  int    // 1-based; 0 when the problem is about the whole file
	Col   int    // 1-based
	Field string // dotted path such as images.web.include[1].to; "" for the whole file
	Msg   string
}

// Error formats the problem as FILE:LINE:COL: FIELD: message, leaving out what is unknown.
func (e Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one config file, sorted by position. Every error Load
// returns is an *Errors: the configuration is unusable and the command should exit with 2.
type Errors struct {
	List []Error
}

// Error joins the problems, one per line.
func (e *Errors) Error() string {
	lines := make([]string, len(e.List))
	for i, err := range e.List {
		lines[i] = err.Error()
	}
	return strings.Join(lines, "\n")
}

func (e *Errors) add(err Error) { e.List = append(e.List, err) }

// sort orders the problems by position; problems without one come first.
func (e *Errors) sort() {
	sort.SliceStable(e.List, func(i, j int) bool {
		a, b := e.List[i], e.List[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		if a.Field != b.Field {
			return a.Field < b.Field
		}
		return a.Msg < b.Msg
	})
}

// fileError is a problem with the file as a whole, such as not being able to read it.
func fileError(file string, err error) *Errors {
	return &Errors{List: []Error{{File: file, Msg: err.Error()}}}
}

// displayPath is how errors name the config file: the path as given, or relative to the
// working directory when that is shorter.
func displayPath(given, abs string) string {
	wd, err := filepath.Abs(".")
	if err != nil {
		return given
	}
	rel, err := filepath.Rel(wd, abs)
	if err != nil || len(rel) >= len(given) {
		return given
	}
	return rel
}
