package config

import (
	"github.com/goccy/go-yaml/ast"
)

// project decodes the top-level map.
func (d *decoder) project(n ast.Node) *Project {
	p := &Project{Cache: Cache{Inline: true}, GitAnnotations: true, Groups: map[string][]string{}, Tasks: map[string]*Task{}}
	d.fields(n, "", map[string]fieldFunc{
		"version":         d.version,
		"repo":            d.str(&p.Repo),
		"tag":             d.str(&p.Tag),
		"cache":           d.cache(&p.Cache),
		"exclude":         d.strs(&p.Exclude),
		"compose":         d.strs(&p.Compose),
		"bake":            d.strs(&p.Bake),
		"profiles":        d.strs(&p.Profiles),
		"builders":        d.strs(&p.Builders),
		"platforms":       d.strs(&p.Platforms),
		"pull":            d.boolean(&p.Pull),
		"git_annotations": d.boolean(&p.GitAnnotations),
		"images": func(n ast.Node, field string) {
			d.each(n, field, func(name string, v ast.Node, field string) {
				p.Images = append(p.Images, d.image(name, v, field))
			})
		},
		"groups": func(n ast.Node, field string) {
			d.each(n, field, func(name string, v ast.Node, field string) {
				members := []string{}
				d.strs(&members)(v, field)
				p.Groups[name] = members
			})
		},
		"tasks": func(n ast.Node, field string) {
			d.each(n, field, func(name string, v ast.Node, field string) {
				p.Tasks[name] = d.task(name, v, field)
			})
		},
	})
	return p
}

func (d *decoder) version(n ast.Node, field string) {
	v, ok := d.scalar(n, field)
	if ok && v != "1" {
		d.errField(field, "unsupported version %q: this imagemake reads version 1", v)
		d.bad[field] = true
	}
}

func (d *decoder) cache(c *Cache) fieldFunc {
	return func(n ast.Node, field string) {
		d.fields(n, field, map[string]fieldFunc{
			"repo":   d.str(&c.Repo),
			"tags":   d.strs(&c.Tags),
			"inline": d.boolean(&c.Inline),
			"mode":   d.str(&c.Mode),
		})
	}
}

func (d *decoder) image(name string, n ast.Node, field string) *Image {
	img := &Image{Name: name, Pos: d.pos[field]}
	d.fields(n, field, map[string]fieldFunc{
		"context":    d.str(&img.Context),
		"dockerfile": d.str(&img.Dockerfile),
		"include":    d.includes(&img.Include),
		"exclude":    d.strs(&img.Exclude),
		"args":       d.strMap(&img.Args),
		"target":     d.str(&img.Target),
		"platform":   d.str(&img.Platform),
		"platforms":  d.strs(&img.Platforms),
		"network":    d.str(&img.Network),
		"labels":     d.strMap(&img.Labels),
		"image":      d.str(&img.Ref),
		"tags":       d.strs(&img.Tags),
		"depends_on": d.strs(&img.DependsOn),
		"contexts":   d.strMap(&img.Contexts),
		"secrets":    d.secrets(&img.Secrets),
		"ssh":        d.strs(&img.SSH),
		"cache_from": d.strs(&img.CacheFrom),
	})
	return img
}

// includes decodes include items: a path, or {from, to}. Every item gets an entry, so
// indexes match field paths even when an item is broken.
func (d *decoder) includes(dst *[]Include) fieldFunc {
	return func(n ast.Node, field string) {
		d.list(n, field, func(item ast.Node, field string) {
			var inc Include
			d.include(&inc, item, field)
			*dst = append(*dst, inc)
		})
	}
}

func (d *decoder) include(inc *Include, n ast.Node, field string) {
	n, ok := d.resolve(n, field)
	switch n.(type) {
	case nil:
		if ok {
			d.expected(n, field, "a path or a map with from and to")
		}
	case *ast.MappingNode:
		d.fields(n, field, map[string]fieldFunc{"from": d.str(&inc.From), "to": d.str(&inc.To)})
		if _, ok := d.pos[field+".from"]; !ok && !d.bad[field] {
			d.errNode(n, field, `missing "from"`)
		}
	case *ast.SequenceNode, *ast.NullNode:
		d.expected(n, field, "a path or a map with from and to")
	default:
		inc.From, _ = d.scalar(n, field)
	}
}

func (d *decoder) task(name string, n ast.Node, field string) *Task {
	t := &Task{Name: name}
	d.fields(n, field, map[string]fieldFunc{
		"needs":   d.strs(&t.Needs),
		"run":     d.str(&t.Run),
		"dir":     d.str(&t.Dir),
		"env":     d.strMap(&t.Env),
		"restart": d.str(&t.Restart),
	})
	return t
}
