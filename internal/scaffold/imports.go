package scaffold

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	composecli "github.com/compose-spec/compose-go/v2/cli"

	"github.com/imagemake/imagemake/internal/bake"
	"github.com/imagemake/imagemake/internal/compose"
	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/dockerfile"
)

// importFiles reads the Compose and bake files found, keeps those that build images (imported
// with compose: and bake:, their images not written again), and returns the Dockerfiles they
// build. A file that does not load, builds nothing, or is read differently together with the
// files kept (compose: is one Compose project, bake: one `bake -f a -f b`) is left out, with
// why. Interpolation sees the environment init runs in, as `imagemake ls` will.
func (g *gen) importFiles(ctx context.Context) map[string]bool {
	covered := map[string]bool{}
	var kept []importUnit
	candidates := append(g.candidates(ctx, kindCompose, composeUnits(g.found.Compose)),
		g.candidates(ctx, kindBake, bakeUnits(g.found.Bake))...)
	sortUnits(candidates)
	for _, u := range candidates {
		if why := g.fits(ctx, kept, u); why != "" {
			g.skipped = append(g.skipped, why)
			continue
		}
		kept = append(kept, u)
	}
	for _, u := range kept {
		if u.kind == kindCompose {
			g.compose = append(g.compose, u.files...)
		} else {
			g.bake = append(g.bake, u.files...)
		}
		if u.needs != nil {
			g.needs = append(g.needs, fmt.Sprintf("%s loads only with what it needs set: %s", u.name, oneLine(u.needs.Error())))
		}
		for _, d := range u.active {
			img := g.importedImage(d.img, d.where())
			covered[img.path] = true
			if src, err := fs.ReadFile(g.fsys, img.path); err == nil {
				img.src, img.text = src, readText(img.path, src)
			}
			g.images = append(g.images, img)
		}
		for _, d := range u.all {
			if df := path.Join(d.img.Context, d.img.Dockerfile); !covered[df] {
				covered[df] = true
				g.skipped = append(g.skipped, fmt.Sprintf("%s is in a profile not active by default: it is no image "+
					"until profiles: names it (its %s is not written as an image either)", d.where(), df))
			}
		}
	}
	return covered
}

const (
	kindCompose = "compose"
	kindBake    = "bake"
)

// importUnit is Compose or bake files read together (a folder's default file and its
// override, or one file).
type importUnit struct {
	kind   string // kindCompose or kindBake
	files  []string
	name   string
	active []imported // the images it defines (Compose: of the profiles active by default)
	all    []imported // Compose: of every profile
	needs  error      // why it does not load in this environment (a secret's variable unset...), or nil
}

// imported is an image a Compose service or bake target defines.
type imported struct {
	img  *config.Image
	file string
	what string // "service" or "target"
}

func (d imported) where() string { return d.what + " " + d.img.Name + " in " + d.file }

// load reads files of one kind as one project. allProfiles activates every Compose profile;
// structure skips Compose's checks of secret files and variables.
func (g *gen) load(ctx context.Context, kind string, files []string, allProfiles, structure bool) ([]imported, error) {
	var out []imported
	if kind == kindBake {
		res, err := bake.Load(ctx, bake.Options{Root: g.dir, Files: files, Env: g.env})
		if err != nil {
			return nil, err
		}
		for _, t := range res.Targets {
			out = append(out, imported{img: t.Image, file: t.File, what: "target"})
		}
		return out, nil
	}
	opt := compose.Options{Root: g.dir, Files: files, Env: g.env, Structure: structure}
	if allProfiles {
		opt.Profiles = []string{"*"}
	}
	svcs, _, err := compose.Load(ctx, opt)
	if err != nil {
		return nil, err
	}
	for _, s := range svcs {
		out = append(out, imported{img: s.Image, file: s.File, what: "service"})
	}
	return out, nil
}

// candidates loads each unit alone and returns those that build images.
func (g *gen) candidates(ctx context.Context, kind string, units [][]string) []importUnit {
	var out []importUnit
	for _, files := range units {
		u := importUnit{kind: kind, files: files, name: strings.Join(files, " with ")}
		var err error
		if u.active, err = g.load(ctx, kind, files, false, true); err != nil {
			g.skipped = append(g.skipped, fmt.Sprintf("%s does not load: %s", u.name, oneLine(err.Error())))
			continue
		}
		if why := ownSharedRef(u); why != "" {
			g.skipped = append(g.skipped, why)
			continue
		}
		if why := fromItsFolder(u); why != "" {
			g.skipped = append(g.skipped, why)
			continue
		}
		if kind == kindCompose {
			_, u.needs = g.load(ctx, kind, files, false, false)
			if u.all, err = g.load(ctx, kind, files, true, true); err != nil {
				u.all = u.active // a service of another profile does not load: those of the default ones do
			}
		} else {
			u.all = u.active
		}
		if len(u.all) == 0 {
			what := " builds no image (no build: section)"
			if kind == kindBake {
				what = " builds no image (no target)"
			}
			g.skipped = append(g.skipped, u.name+what)
			continue
		}
		out = append(out, u)
	}
	return out
}

// fromItsFolder tells why a bake file below the root is not imported, or "": bake reads paths
// from where it runs, and a target whose context is the root (none given, or ".") in a file
// below the root was written to run from that file's folder.
func fromItsFolder(u importUnit) string {
	dir := path.Dir(u.files[0])
	if u.kind != kindBake || dir == "." {
		return ""
	}
	for _, d := range u.active {
		if d.img.Context == "." {
			return fmt.Sprintf("%s: its %s has the root as context as bake reads it from the root; it is "+
				"written to run in %s (cd %s && docker buildx bake), which bake: cannot say", u.name, d.what+" "+d.img.Name, folderName(dir), dir)
		}
	}
	return ""
}

// sortUnits puts first the units that load in this environment, then those that build the
// most images: when two cannot be kept together, the bigger one is.
func sortUnits(units []importUnit) {
	slices.SortStableFunc(units, func(a, b importUnit) int {
		if (a.needs == nil) != (b.needs == nil) {
			if a.needs == nil {
				return -1
			}
			return 1
		}
		return len(b.all) - len(a.all)
	})
}

// fits tells why a unit cannot join the kept ones, or "": an image name is defined once, and
// the files of one kind, read together, must build the unit's images as the unit alone does.
func (g *gen) fits(ctx context.Context, kept []importUnit, u importUnit) string {
	var files []string
	var first *importUnit
	names := map[string]string{}
	for i, k := range kept {
		for _, d := range k.all {
			names[d.img.Name] = k.name
		}
		if k.kind == u.kind {
			files = append(files, k.files...)
			if first == nil {
				first = &kept[i]
			}
		}
	}
	for _, d := range u.all {
		if other, dup := names[d.img.Name]; dup {
			return fmt.Sprintf("%s: its %s is also defined by %s", u.name, d.what+" "+d.img.Name, other)
		}
	}
	if why := sharedRef(kept, u); why != "" {
		return why
	}
	if first == nil {
		return ""
	}
	together, err := g.load(ctx, u.kind, append(files, u.files...), false, true)
	same := err == nil
	for _, d := range u.active {
		i := slices.IndexFunc(together, func(t imported) bool { return t.img.Name == d.img.Name })
		same = same && i >= 0 && together[i].img.Context == d.img.Context && together[i].img.Dockerfile == d.img.Dockerfile
	}
	if same {
		return ""
	}
	if u.kind == kindCompose {
		return fmt.Sprintf("%s: read in one Compose project with %s (paths against %s), its build: sections name other "+
			"folders; compose: takes the files of one project", u.name, first.name, folderName(path.Dir(first.files[0])))
	}
	return fmt.Sprintf("%s: read together with %s, as bake: reads its files, it does not define the same targets", u.name, first.name)
}

// sharedRef tells which image of the unit has the ref (Compose image:, bake tag) of an image
// of the kept units, or "": two images cannot share a ref.
func sharedRef(kept []importUnit, u importUnit) string {
	owner := map[string]imported{}
	for _, k := range kept {
		for _, d := range k.all {
			for _, r := range normalRefs(d.img) {
				owner[r] = d
			}
		}
	}
	for _, d := range u.all {
		for _, r := range normalRefs(d.img) {
			if o, ok := owner[r]; ok {
				return fmt.Sprintf("%s: its %s has the ref %s of %s", u.name, d.what+" "+d.img.Name, familiar(r), o.where())
			}
		}
	}
	return ""
}

// ownSharedRef tells which two images of a unit have the same ref, or "": imagemake refuses
// that (bake's multi-platform twin of a target, tagged alike, is one such).
func ownSharedRef(u importUnit) string {
	owner := map[string]imported{}
	for _, d := range u.active {
		for _, r := range normalRefs(d.img) {
			if o, ok := owner[r]; ok && o.img.Name != d.img.Name {
				return fmt.Sprintf("%s: its %s and %s have the same ref %s, which imagemake refuses", u.name,
					o.what+" "+o.img.Name, d.what+" "+d.img.Name, familiar(r))
			}
			owner[r] = d
		}
	}
	return ""
}

// normalRefs are the refs an imported image is given, normalised; none when it takes the
// default one.
func normalRefs(ci *config.Image) []string {
	if ci.Ref == "" {
		return nil
	}
	var out []string
	for _, r := range ci.Refs() {
		if n, err := dockerfile.Normalize(r); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// bakeUnits groups the bake files as `docker buildx bake` reads them: in a folder, the default
// files it finds there (docker-bake.json, docker-bake.hcl, then their .override) together;
// every other file alone.
func bakeUnits(files []string) [][]string {
	defaults := []string{"docker-bake.json", "docker-bake.hcl", "docker-bake.override.json", "docker-bake.override.hcl"}
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
		var def []string
		for _, n := range defaults {
			if p := path.Join(d, n); slices.Contains(byDir[d], p) {
				def = append(def, p)
			}
		}
		if len(def) > 0 {
			units = append(units, def)
		}
		for _, f := range byDir[d] {
			if !slices.Contains(def, f) {
				units = append(units, []string{f})
			}
		}
	}
	return units
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
	img.refs = normalRefs(ci)
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
