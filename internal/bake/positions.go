package bake

import (
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	bk "github.com/docker/buildx/bake"
	"github.com/docker/buildx/bake/hclparser"
)

// block is where a target or group block is, and the lines of the attributes it sets.
type block struct {
	file  string
	at    hcl.Pos
	attrs map[string]hcl.Pos
}

// positions finds the blocks of the bake files again, so warnings and errors about a target
// name the line of the field or of the target. bake merges blocks of the same name, and a
// matrix block makes several targets: a target name can have several blocks, and a generated
// name leads to its block's label.
type positions struct {
	targets  map[string][]block
	groups   map[string]block
	label    map[string]string   // a matrix's generated target -> its block's label
	inherits map[string][]string // target -> the targets it inherits, in order
}

func newPositions() *positions {
	return &positions{targets: map[string][]block{}, groups: map[string]block{},
		label: map[string]string{}, inherits: map[string][]string{}}
}

var blockSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "target", LabelNames: []string{"name"}},
	{Type: "group", LabelNames: []string{"name"}},
}}

// read notes the blocks of one file; a file that does not parse is left for bake to report.
func (p *positions) read(name string, data []byte) {
	lower := strings.ToLower(name)
	var f *hcl.File
	switch {
	case strings.HasSuffix(lower, ".json"):
		f, _ = hclparse.NewParser().ParseJSON(data, name)
	case strings.HasSuffix(lower, ".hcl"):
		f, _ = hclparse.NewParser().ParseHCL(data, name)
	default:
		p.readCompose(name, data)
		return
	}
	if f == nil || f.Body == nil {
		return
	}
	content, _, _ := f.Body.PartialContent(blockSchema)
	if content == nil {
		return
	}
	for _, b := range content.Blocks {
		if len(b.Labels) != 1 {
			continue
		}
		bl := block{file: name, at: b.DefRange.Start, attrs: map[string]hcl.Pos{}}
		if attrs, diags := b.Body.JustAttributes(); !diags.HasErrors() {
			for k, a := range attrs {
				bl.attrs[k] = a.NameRange.Start
			}
		}
		if b.Type == "target" {
			p.targets[b.Labels[0]] = append(p.targets[b.Labels[0]], bl)
		} else if _, seen := p.groups[b.Labels[0]]; !seen {
			p.groups[b.Labels[0]] = bl
		}
	}
}

// readCompose notes the line of each service of a Compose-form file: bake's target of that
// name (dots made underscores, as bake does).
func (p *positions) readCompose(name string, data []byte) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return
	}
	for _, doc := range f.Docs {
		top, ok := doc.Body.(*ast.MappingNode)
		if !ok {
			continue
		}
		for _, kv := range top.Values {
			services, ok := kv.Value.(*ast.MappingNode)
			if kv.Key.String() != "services" || !ok {
				continue
			}
			for _, svc := range services.Values {
				tk := svc.Key.GetToken()
				if tk == nil || tk.Position == nil {
					continue
				}
				target := strings.ReplaceAll(svc.Key.String(), ".", "_")
				p.targets[target] = append(p.targets[target], block{file: name,
					at: hcl.Pos{Line: tk.Position.Line, Column: tk.Position.Column}})
			}
		}
	}
}

// addRenamed maps the targets a matrix generated to their block's label.
func (p *positions) addRenamed(meta *hclparser.ParseMeta) {
	if meta == nil {
		return
	}
	for label, names := range meta.Renamed["target"] {
		for _, n := range names {
			if n != label {
				p.label[n] = label
			}
		}
	}
}

func (p *positions) blocks(target string) []block {
	if bl, ok := p.targets[target]; ok {
		return bl
	}
	return p.targets[p.label[target]]
}

// target is the file and position of the target's first block.
func (p *positions) target(name string) (string, hcl.Pos) {
	bl := p.blocks(name)
	if len(bl) == 0 {
		return "", hcl.Pos{}
	}
	return bl[0].file, bl[0].at
}

// field is where the field of the target is set: the last of its blocks that sets it (bake
// merges later blocks over earlier ones), else where the target it inherits it from sets it
// (from names that target), else the target's first block.
func (p *positions) field(target, field string) (file string, at hcl.Pos, from string) {
	if f, pos, ok := p.setIn(target, field, map[string]bool{}); ok {
		if f.target != target {
			from = f.target
		}
		return f.file, pos, from
	}
	file, at = p.target(target)
	return file, at, ""
}

type setAt struct{ file, target string }

func (p *positions) setIn(target, field string, seen map[string]bool) (setAt, hcl.Pos, bool) {
	if field == "" || seen[target] {
		return setAt{}, hcl.Pos{}, false
	}
	seen[target] = true
	bl := p.blocks(target)
	for i := len(bl) - 1; i >= 0; i-- {
		if pos, ok := bl[i].attrs[field]; ok {
			return setAt{bl[i].file, target}, pos, true
		}
	}
	parents := p.inherits[target]
	for i := len(parents) - 1; i >= 0; i-- {
		if at, pos, ok := p.setIn(parents[i], field, seen); ok {
			return at, pos, true
		}
	}
	return setAt{}, hcl.Pos{}, false
}

// addInherits notes what each target inherits, to find where an inherited field is set.
func (p *positions) addInherits(cfg *bk.Config) {
	for _, t := range cfg.Targets {
		p.inherits[t.Name] = append(p.inherits[t.Name], t.Inherits...)
	}
}

// groupField is where a group sets a field, else where the group is.
func (p *positions) groupField(name, field string) (string, hcl.Pos) {
	g, ok := p.groups[name]
	if !ok {
		return "", hcl.Pos{}
	}
	if at, ok := g.attrs[field]; ok {
		return g.file, at
	}
	return g.file, g.at
}

// groupAt is " (FILE:LINE)" for a group's block, or "" when not known.
func (p *positions) groupAt(name string) string {
	if g, ok := p.groups[name]; ok {
		return fmt.Sprintf(" (%s:%d)", g.file, g.at.Line)
	}
	return ""
}
