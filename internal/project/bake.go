package project

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/imagemake/imagemake/internal/bake"
	"github.com/imagemake/imagemake/internal/config"
)

// importBake reads the project's bake files (p.Bake): their targets become images and their
// groups become groups of p, added here so imagemake.yaml (groups, task needs) can name them
// when config validates. A bake group whose name imagemake.yaml already gives an image or a
// group, or that is also an imported image (a target's or a Compose service's), is left out with
// a warning; a group that contains it gets its images instead.
func importBake(ctx context.Context, p *config.Project, before map[string]bool) ([]imported, []string, error) {
	if len(p.Bake) == 0 {
		return nil, nil, nil
	}
	res, err := bake.Load(ctx, bake.Options{Root: p.Root, Files: p.Bake, Env: p.Env})
	if err != nil {
		return nil, nil, asConfigErrors(p, "bake", err)
	}
	out := make([]imported, 0, len(res.Targets))
	for _, t := range res.Targets {
		file := t.File
		if t.Line > 0 {
			file = fmt.Sprintf("%s:%d", t.File, t.Line)
		}
		out = append(out, imported{Image: t.Image, File: file, What: "target"})
	}
	return out, append(res.Warnings, addBakeGroups(p, res, before)...), nil
}

// addBakeGroups adds the bake groups that clash with nothing to p.Groups and says which were
// left out.
func addBakeGroups(p *config.Project, res *bake.Result, before map[string]bool) []string {
	targets := map[string]bool{}
	for _, t := range res.Targets {
		targets[t.Image.Name] = true
	}
	left := map[string]string{} // group left out -> why
	for name := range res.Groups {
		switch _, own := p.Groups[name]; {
		case own:
			left[name] = "imagemake.yaml has a group of that name"
		case p.Image(name) != nil:
			left[name] = "imagemake.yaml has an image of that name"
		case targets[name]:
			left[name] = "a bake target is an image of that name"
		case before[name]:
			left[name] = "a Compose service is an image of that name"
		}
	}
	var warnings []string
	for _, name := range sortedKeys(left) {
		warnings = append(warnings, fmt.Sprintf("bake group %s (%s) was not made an imagemake group: %s; "+
			"groups that contain it list its images instead", name, strings.Join(p.Bake, ", "), left[name]))
	}
	if p.Groups == nil {
		p.Groups = map[string][]string{}
	}
	for _, name := range sortedKeys(res.Groups) {
		if _, out := left[name]; !out {
			p.Groups[name] = inlineGroups(res.Groups, name, left, map[string]bool{})
		}
	}
	return warnings
}

// inlineGroups is the members of bake group name, with each group left out replaced by its
// own members.
func inlineGroups(groups map[string][]string, name string, left map[string]string, seen map[string]bool) []string {
	if seen[name] {
		return nil
	}
	seen[name] = true
	var out []string
	for _, m := range groups[name] {
		if _, out2 := left[m]; out2 {
			out = append(out, inlineGroups(groups, m, left, seen)...)
			continue
		}
		out = append(out, m)
	}
	return slices.Compact(out)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
