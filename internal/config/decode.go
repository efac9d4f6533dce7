package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// decoder walks the YAML tree into the model, interpolating every scalar value, and collects
// every problem with its position. Validation (validate.go) runs on what it decoded.
type decoder struct {
	file    string            // the config file as shown in errors
	root    string            // absolute project root
	env     map[string]string // interpolation variables
	anchors anchors
	errs    Errors
	pos     map[string]Pos  // field path -> its value, or its key for maps and lists
	bad     map[string]bool // field paths that failed to decode: validation skips them

	refs         []refSite       // every ref of every image, for checkDuplicateRefs
	resolvedRoot string          // root with symlinks resolved, computed once
	external     map[string]bool // image names defined outside the file (compose services)
	warnings     []string        // problems that do not stop the load, with their positions
}

// fieldFunc decodes the value n of the field at path field.
type fieldFunc func(n ast.Node, field string)

func (d *decoder) errAt(p Pos, field, msg string) {
	d.errs.add(Error{File: d.file, Line: p.Line, Col: p.Col, Field: field, Msg: msg})
}

// errNode reports a problem at node n and marks the field as not decoded.
func (d *decoder) errNode(n ast.Node, field, msg string) {
	p := posOf(n)
	if p == (Pos{}) {
		p = d.pos[field]
	}
	d.errAt(p, field, msg)
	d.bad[field] = true
}

// errField reports a problem at the field's recorded position.
func (d *decoder) errField(field, format string, args ...any) {
	d.errAt(d.pos[field], field, fmt.Sprintf(format, args...))
}

func (d *decoder) expected(n ast.Node, field, want string) {
	d.errNode(n, field, fmt.Sprintf("expected %s, got %s", want, kindOf(n)))
}

// resolve follows anchors, tags and aliases to the node holding the value.
func (d *decoder) resolve(n ast.Node, field string) (ast.Node, bool) {
	for range maxAliasHops {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		case *ast.MappingKeyNode:
			n = v.Value
		case *ast.AliasNode:
			target, name := d.anchors.target(v)
			if target == nil {
				d.errNode(v, field, fmt.Sprintf("unknown alias *%s", name))
				return nil, false
			}
			n = target
		default:
			return n, true
		}
	}
	d.errNode(n, field, "alias refers to itself")
	return nil, false
}

// scalar decodes and interpolates a string value.
func (d *decoder) scalar(n ast.Node, field string) (string, bool) {
	n, ok := d.resolve(n, field)
	if !ok {
		return "", false
	}
	text, ok := scalarText(n)
	if !ok {
		d.expected(n, field, "a string")
		return "", false
	}
	if p := posOf(n); p != (Pos{}) {
		d.pos[field] = p
	}
	v, unset, err := interpolate(text, d.env)
	if err != nil {
		d.errNode(n, field, interpolationMessage(err))
		return "", false
	}
	for _, name := range unset {
		d.warnUnset(posOf(n), field, name)
	}
	return v, true
}

// warnUnset says that a variable was replaced by "", as Compose does. A task's command is the
// likely slip: it meant the variable imagemake sets when it runs the task.
func (d *decoder) warnUnset(p Pos, field, name string) {
	msg := fmt.Sprintf("%s:%d:%d: %s: variable %s is not set: it was replaced by an empty string", d.file, p.Line, p.Col, field, name)
	if strings.HasPrefix(field, "tasks.") {
		msg += fmt.Sprintf("; write $$%s (or $${%s}) to leave it to the task's shell, which has it when the task runs", name, name)
	}
	d.warnings = append(d.warnings, msg)
}

// key is a map key's text; keys are not interpolated.
func (d *decoder) key(e *ast.MappingValueNode, field string) (string, bool) {
	k, ok := d.resolve(e.Key, field)
	if !ok {
		return "", false
	}
	text, ok := keyText(k)
	if !ok {
		d.errNode(k, field, fmt.Sprintf("expected a name as key, got %s", kindOf(k)))
	}
	return text, ok
}

// mapping returns a map's entries with merge keys expanded; nothing is an empty map.
func (d *decoder) mapping(n ast.Node, field string) ([]*ast.MappingValueNode, bool) {
	n, ok := d.resolve(n, field)
	if !ok {
		return nil, false
	}
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return nil, true
	case *ast.MappingNode:
		return d.entries(v, field, map[*ast.MappingNode]bool{}), true
	}
	d.expected(n, field, "a map")
	return nil, false
}

// entries expands `<<` merge keys: keys written in the map win over merged ones, and earlier
// merged maps win over later ones.
func (d *decoder) entries(m *ast.MappingNode, field string, seen map[*ast.MappingNode]bool) []*ast.MappingValueNode {
	if seen[m] {
		d.errNode(m, field, "merge key refers to its own map")
		return nil
	}
	seen[m] = true
	var own, merged []*ast.MappingValueNode
	for _, e := range m.Values {
		if e.Key == nil || !e.Key.IsMergeKey() {
			own = append(own, e)
			continue
		}
		merged = append(merged, d.mergeSources(e.Value, field, seen)...)
	}
	taken := map[string]bool{}
	for _, e := range own {
		if k, ok := keyText(e.Key); ok {
			taken[k] = true
		}
	}
	for _, e := range merged {
		if k, ok := keyText(e.Key); ok && !taken[k] {
			taken[k] = true
			own = append(own, e)
		}
	}
	return own
}

func (d *decoder) mergeSources(n ast.Node, field string, seen map[*ast.MappingNode]bool) []*ast.MappingValueNode {
	n, ok := d.resolve(n, field)
	if !ok {
		return nil
	}
	switch v := n.(type) {
	case *ast.MappingNode:
		return d.entries(v, field, seen)
	case *ast.SequenceNode:
		var all []*ast.MappingValueNode
		for _, item := range v.Values {
			all = append(all, d.mergeSources(item, field, seen)...)
		}
		return all
	}
	d.expected(n, field+".<<", "a map or a list of maps")
	return nil
}

// fields decodes a map with a fixed set of keys. Keys starting with x- are extensions, ignored
// as Compose does, so they can hold anchors.
func (d *decoder) fields(n ast.Node, field string, fs map[string]fieldFunc) {
	entries, ok := d.mapping(n, field)
	if !ok {
		return
	}
	for _, e := range entries {
		key, ok := d.key(e, field)
		if !ok {
			continue
		}
		sub := join(field, key)
		f, known := fs[key]
		switch {
		case known:
			d.pos[sub] = posOf(e.Key)
			f(e.Value, sub)
		case !strings.HasPrefix(key, "x-"):
			d.unknownKey(e.Key, sub, key, fs)
		}
	}
}

func (d *decoder) unknownKey(n ast.Node, field, key string, fs map[string]fieldFunc) {
	valid := make([]string, 0, len(fs))
	for k := range fs {
		valid = append(valid, k)
	}
	sort.Strings(valid)
	msg := "unknown key; valid keys: " + strings.Join(valid, ", ")
	if s := suggest(key, valid); s != "" {
		msg = fmt.Sprintf("unknown key (did you mean %q?)", s)
	}
	d.errNode(n, field, msg)
}

// each decodes a map whose keys are names chosen by the user, recording each key's position.
func (d *decoder) each(n ast.Node, field string, f func(name string, v ast.Node, field string)) {
	entries, ok := d.mapping(n, field)
	if !ok {
		return
	}
	for _, e := range entries {
		name, ok := d.key(e, field)
		if !ok {
			continue
		}
		sub := join(field, name)
		d.pos[sub] = posOf(e.Key)
		f(name, e.Value, sub)
	}
}

// list decodes a list; nothing is an empty list.
func (d *decoder) list(n ast.Node, field string, f func(item ast.Node, field string)) {
	n, ok := d.resolve(n, field)
	if !ok {
		return
	}
	switch v := n.(type) {
	case nil, *ast.NullNode:
	case *ast.SequenceNode:
		for i, item := range v.Values {
			f(item, fmt.Sprintf("%s[%d]", field, i))
		}
	default:
		d.expected(n, field, "a list")
	}
}

func (d *decoder) str(dst *string) fieldFunc {
	return func(n ast.Node, field string) {
		if v, ok := d.scalar(n, field); ok {
			*dst = v
		}
	}
}

// strs decodes a list of strings. Items that fail stay as "" so indexes match field paths.
func (d *decoder) strs(dst *[]string) fieldFunc {
	return func(n ast.Node, field string) {
		d.list(n, field, func(item ast.Node, field string) {
			v, _ := d.scalar(item, field)
			*dst = append(*dst, v)
		})
	}
}

func (d *decoder) strMap(dst *map[string]string) fieldFunc {
	return func(n ast.Node, field string) {
		d.each(n, field, func(name string, v ast.Node, field string) {
			if s, ok := d.scalar(v, field); ok {
				if *dst == nil {
					*dst = map[string]string{}
				}
				(*dst)[name] = s
			}
		})
	}
}

func (d *decoder) boolean(dst *bool) fieldFunc {
	return func(n ast.Node, field string) {
		v, ok := d.scalar(n, field)
		switch {
		case !ok:
		case v == "true" || v == "True" || v == "TRUE":
			*dst = true
		case v == "false" || v == "False" || v == "FALSE":
			*dst = false
		default:
			d.errField(field, "expected true or false, got %q", v)
			d.bad[field] = true
		}
	}
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}
