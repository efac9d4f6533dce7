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
// build. A file that does not load, builds nothing, or is read differently together with the
// files kept (one Compose project: paths against the first file's folder) is left out, with
// why. Interpolation sees the environment init runs in, as `imagemake ls` will.
func (g *gen) importFiles(ctx context.Context) map[string]bool {
	covered := map[string]bool{}
	var kept []composeUnit
	for _, u := range g.composeCandidates(ctx) {
		if why := g.fits(ctx, kept, u); why != "" {
			g.skipped = append(g.skipped, why)
			continue
		}
		kept = append(kept, u)
	}
	for _, u := range kept {
		g.compose = append(g.compose, u.files...)
		if u.needs != nil {
			g.needs = append(g.needs, fmt.Sprintf("%s loads only with what it needs set: %s", u.name, oneLine(u.needs.Error())))
		}
		for _, s := range u.active {
			img := g.importedImage(s.Image, "service "+s.Image.Name+" in "+s.File)
			covered[img.path] = true
			if src, err := fs.ReadFile(g.fsys, img.path); err == nil {
				img.src, img.text = src, readText(img.path, src)
			}
			g.images = append(g.images, img)
		}
		for _, s := range u.all {
			if df := path.Join(s.Image.Context, s.Image.Dockerfile); !covered[df] {
				covered[df] = true
				g.skipped = append(g.skipped, fmt.Sprintf("service %s of %s is in a profile not active by default: "+
					"it is no image until profiles: names it (its %s is not written as an image either)", s.Image.Name, s.File, df))
			}
		}
	}
	return covered
}

// composeUnit is Compose files read together (a default file and its override, or one file).
type composeUnit struct {
	files  []string
	name   string
	active []compose.Service // services with build: of the profiles active by default
	all    []compose.Service // of every profile
	needs  error             // why it does not load in a clean environment (a secret's variable unset...), or nil
}

// composeCandidates loads each unit alone and returns those that build images, the most
// images first.
func (g *gen) composeCandidates(ctx context.Context) []composeUnit {
	var out []composeUnit
	for _, files := range composeUnits(g.found.Compose) {
		u := composeUnit{files: files, name: strings.Join(files, " with ")}
		opt := compose.Options{Root: g.dir, Files: files, Env: g.env, Structure: true}
		var err error
		if u.active, _, err = compose.Load(ctx, opt); err != nil {
			g.skipped = append(g.skipped, fmt.Sprintf("%s does not load: %s", u.name, oneLine(err.Error())))
			continue
		}
		full := opt
		full.Structure = false
		_, _, err = compose.Load(ctx, full)
		u.needs = err
		opt.Profiles = []string{"*"}
		if u.all, _, err = compose.Load(ctx, opt); err != nil {
			u.all = u.active // a service of another profile does not load: those of the default ones do
		}
		if len(u.all) == 0 {
			g.skipped = append(g.skipped, u.name+" builds no image (no build: section)")
			continue
		}
		out = append(out, u)
	}
	slices.SortStableFunc(out, func(a, b composeUnit) int {
		if (a.needs == nil) != (b.needs == nil) {
			if a.needs == nil {
				return -1
			}
			return 1
		}
		return len(b.all) - len(a.all)
	})
	return out
}

// fits tells why a unit cannot join the kept ones, or "": compose: makes one Compose project
// of them all, which must build the unit's images as the unit alone does.
func (g *gen) fits(ctx context.Context, kept []composeUnit, u composeUnit) string {
	if len(kept) == 0 {
		return ""
	}
	var files []string
	names := map[string]string{}
	for _, k := range kept {
		files = append(files, k.files...)
		for _, s := range k.all {
			names[s.Image.Name] = k.name
		}
	}
	for _, s := range u.all {
		if other, dup := names[s.Image.Name]; dup {
			return fmt.Sprintf("%s: its service %s is also in %s, and one Compose project would merge them", u.name, s.Image.Name, other)
		}
	}
	files = append(files, u.files...)
	together, _, err := compose.Load(ctx, compose.Options{Root: g.dir, Files: files, Env: g.env, Structure: true})
	same := err == nil
	for _, s := range u.active {
		i := slices.IndexFunc(together, func(t compose.Service) bool { return t.Image.Name == s.Image.Name })
		same = same && i >= 0 && together[i].Image.Context == s.Image.Context && together[i].Image.Dockerfile == s.Image.Dockerfile
	}
	if !same {
		return fmt.Sprintf("%s: read in one Compose project with %s (paths against %s), its build: sections name other "+
			"folders; compose: takes the files of one project", u.name, kept[0].name, folderName(path.Dir(kept[0].files[0])))
	}
	return ""
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
