package scaffold

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	composecli "github.com/compose-spec/compose-go/v2/cli"

	"github.com/imagemake/imagemake/internal/compose"
	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/dockerfile"
)

// importFiles reads the Compose and bake files found, keeps those that build images (imported
// with compose: and bake:, their images not written again), and returns the Dockerfiles they
// build. A file that does not load, builds nothing or would redefine an image is left out,
// with why. Interpolation sees an empty environment: what `imagemake ls` sees in a clean shell.
func (g *gen) importFiles(ctx context.Context) map[string]bool {
	covered := map[string]bool{}
	defined := map[string]string{} // image name -> where
	for _, files := range composeUnits(g.found.Compose) {
		name := strings.Join(files, " with ")
		svcs, err := compose.Services(ctx, g.dir, files, map[string]string{})
		if err != nil {
			g.skipped = append(g.skipped, fmt.Sprintf("%s does not load: %s", name, oneLine(err.Error())))
			continue
		}
		if len(svcs) == 0 {
			g.skipped = append(g.skipped, name+" builds no image (no build: section)")
			continue
		}
		var imgs []*Image
		for _, s := range svcs {
			imgs = append(imgs, g.importedImage(s.Image, "service "+s.Image.Name+" in "+s.File))
		}
		if g.takeImports(name, imgs, defined, covered) {
			g.compose = append(g.compose, files...)
		}
	}
	return covered
}

// composeUnits groups the Compose files as `docker compose` reads them: in a folder, the
// default file (compose.yaml, ... docker-compose.yaml, the first there) with the override file
// (compose.override.yaml, ...) that merges into it; every other file alone.
func composeUnits(files []string) [][]string {
	byDir := map[string][]string{}
	var dirs []string
	for _, f := range files {
		d := path.Dir(f)
		if _, ok := byDir[d]; !ok {
			dirs = append(dirs, d)
		}
		byDir[d] = append(byDir[d], f)
	}
	var units [][]string
	for _, d := range dirs {
		in := byDir[d]
		first := func(names []string) string {
			for _, n := range names {
				if p := path.Join(d, n); slices.Contains(in, p) {
					return p
				}
			}
			return ""
		}
		base, over := first(composecli.DefaultFileNames), first(composecli.DefaultOverrideFileNames)
		if base != "" && over != "" {
			units = append(units, []string{base, over})
		}
		for _, f := range in {
			if base == "" || over == "" || (f != base && f != over) {
				units = append(units, []string{f})
			}
		}
	}
	return units
}

// takeImports adds the images of one imported file, unless one of them is already defined by
// another file: `docker compose -f a -f b` would merge them into one.
func (g *gen) takeImports(file string, imgs []*Image, defined map[string]string, covered map[string]bool) bool {
	for _, img := range imgs {
		if where, dup := defined[img.Name]; dup {
			g.skipped = append(g.skipped, fmt.Sprintf("%s is left out: its %s is also %s", file, img.Imported, where))
			return false
		}
	}
	for _, img := range imgs {
		defined[img.Name] = img.Imported
		covered[img.path] = true
		if src, err := fs.ReadFile(g.fsys, img.path); err == nil {
			img.src, img.text = src, readText(img.path, src)
		}
		g.images = append(g.images, img)
	}
	return true
}

// importedImage is what init needs of an image a Compose or bake file defines.
func (g *gen) importedImage(ci *config.Image, where string) *Image {
	img := &Image{
		Name: ci.Name, Context: ci.Context, Dockerfile: ci.Dockerfile, Target: ci.Target, Imported: where,
		path: path.Join(ci.Context, ci.Dockerfile), args: map[string]string{},
	}
	for k, v := range ci.Args {
		img.args[k] = v
	}
	if ci.Ref != "" {
		for _, r := range ci.Refs() {
			if n, err := dockerfile.Normalize(r); err == nil {
				img.refs = append(img.refs, n)
			}
		}
	}
	return img
}

// importedWhere lists what the imported files define, for the config's comments.
func (g *gen) importedNames(kind string) []string {
	var out []string
	for _, img := range g.images {
		if strings.HasPrefix(img.Imported, kind+" ") {
			out = append(out, img.Name)
		}
	}
	return out
}
