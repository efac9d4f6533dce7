package compose

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/imagemake/imagemake/internal/config"
)

// Error is a problem with a Compose file, named as config names its own (file relative to the
// project root, line, field): the project shows them together.
type Error = config.Error

// Errors is every problem found in the Compose files of a project, in file order, then line order.
type Errors = config.Errors

var (
	// yaml's syntax errors say "line N, column M: what" (or "line N: what"), maybe several times.
	yamlLineRE = regexp.MustCompile(`line (\d+)(?:, column (\d+))?: `)
	// compose-go's schema and interpolation errors name the field as a dotted path.
	fieldRE = regexp.MustCompile(`\b((?:services|secrets|networks|volumes|configs|models|include)(?:\.[^\s:'"]+)?)`)
	// its consistency errors name the service in quotes.
	serviceRE = regexp.MustCompile(`service "([^"]+)"`)
)

// describe turns an error of compose-go about the files into Errors: one per joined error,
// with absolute paths made relative to the project root, and a line where the error names
// one or a field. file is the index of the Compose file the error is about, or -1 when
// the error comes from loading all files together.
func (l *loader) describe(err error, file int) []Error {
	var out []Error
	for _, e := range splitJoined(err) {
		out = append(out, l.describeOne(e.Error(), file))
	}
	return out
}

func splitJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, splitJoined(e)...)
		}
		return out
	}
	return []error{err}
}

func (l *loader) describeOne(msg string, file int) Error {
	if file < 0 {
		file = l.fileNamedIn(msg)
	}
	abs := l.abs[file]
	for _, prefix := range []string{"failed to parse " + abs + ": ", "validating " + abs + ": ", abs + ": "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	// one line per problem: compose-go's messages may span several
	msg = strings.Join(strings.Fields(l.relativise(msg)), " ")
	e := Error{File: l.names[file], Msg: msg}
	if strings.HasPrefix(msg, "yaml:") {
		l.yamlError(&e, file)
		return e
	}
	field := fieldOf(msg)
	if field == "" {
		return e
	}
	if at, ok := l.keys[file].find(field); ok {
		e.Line, e.Col = at.Line, at.Col
	}
	return e
}

// yamlError places a syntax error: where the file's own parse finds it, else at the last
// "line N, column M" of the message, which then says only what is wrong.
func (l *loader) yamlError(e *Error, file int) {
	ms := yamlLineRE.FindAllStringSubmatchIndex(e.Msg, -1)
	if ms != nil {
		last := ms[len(ms)-1]
		e.Line, _ = strconv.Atoi(e.Msg[last[2]:last[3]])
		if last[4] >= 0 {
			e.Col, _ = strconv.Atoi(e.Msg[last[4]:last[5]])
		}
		e.Msg = "yaml: " + strings.TrimSpace(e.Msg[last[1]:])
	}
	if at := l.syntax[file]; at != nil {
		e.Line, e.Col = at.Line, at.Col
	}
	if e.Line > 0 && e.Col == 0 { // only a line: its start
		e.Col = 1
	}
}

// serviceKeys name the key a consistency error of compose-go is about, by what it says.
var serviceKeys = []struct{ says, key string }{
	{"depends on", "depends_on"},
	{"build secret", "build.secrets"},
	{"additional contexts", "build.additional_contexts"},
	{"network_mode", "network_mode"},
	{"network", "networks"},
	{"volume", "volumes"},
	{"platform", "build.platforms"},
	{"dockerfile", "build"},
}

// fieldOf is the field an error of compose-go names: a dotted path, or a service it quotes
// and the key it is about.
func fieldOf(msg string) string {
	if f := fieldRE.FindString(msg); f != "" {
		return f
	}
	m := serviceRE.FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	for _, k := range serviceKeys {
		if strings.Contains(msg, k.says) {
			return "services." + m[1] + "." + k.key
		}
	}
	return "services." + m[1]
}

// fileNamedIn is the Compose file an error of the whole load is about: the one it names, else
// the one that writes most of the field it names (the last of those), else the first.
func (l *loader) fileNamedIn(msg string) int {
	for i, a := range l.abs {
		if strings.Contains(msg, a) {
			return i
		}
	}
	best, depth := 0, 0
	if field := fieldOf(msg); field != "" {
		for i := range l.abs {
			for p := field; len(p) >= depth && p != ""; p = parent(p) {
				if _, ok := l.keys[i][p]; ok {
					best, depth = i, len(p)
					break
				}
			}
		}
	}
	return best
}

// relativise shows paths under the project root relative to it.
func (l *loader) relativise(msg string) string {
	return strings.ReplaceAll(msg, l.root+string(filepath.Separator), "")
}

// errAt is a problem with field (a dotted path) of a service, found in the file that writes it.
func (l *loader) errAt(field, format string, args ...any) Error {
	file, at := l.where(field)
	return Error{File: l.names[file], Line: at.Line, Col: at.Col, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// where is the Compose file that writes field (the last one, as later files override earlier
// ones) and its position there; when no file writes it (a key set through extends or a merge
// key), the last file that writes one of its parents down to the service; for a service no
// file writes, the include: that brings it in.
func (l *loader) where(field string) (int, pos) {
	for p := field; p != "" && p != "services"; p = parent(p) {
		for i := len(l.abs) - 1; i >= 0; i-- {
			if at, ok := l.keys[i][p]; ok {
				return i, at
			}
		}
	}
	for i := range l.abs {
		if at, ok := l.keys[i]["include"]; ok {
			return i, at
		}
	}
	return 0, pos{}
}

// sortErrors orders problems by file (in the order the files are given), then line.
func sortErrors(l *loader, list []Error) {
	order := map[string]int{}
	for i, n := range l.names {
		order[n] = i
	}
	slices.SortStableFunc(list, func(a, b Error) int {
		if d := order[a.File] - order[b.File]; d != 0 {
			return d
		}
		if d := a.Line - b.Line; d != 0 {
			return d
		}
		return strings.Compare(a.Field, b.Field)
	})
}
