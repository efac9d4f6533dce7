// Package bake turns bake files (HCL, JSON, or bake's Compose form) into imagemake images.
// The files are read by buildx's own bake package, as `docker buildx bake -f a -f b` reads
// them from the project root: later files merge onto earlier ones, variables come from the
// environment given (a map, never the process's), `inherits`, functions and `matrix` are
// bake's, and relative paths are relative to the project root, where bake would run (or to
// each file's folder when BUILDX_BAKE_FILE_RELATIVE_PATHS says so, as in buildx). Every
// target field is either carried over to the image or named in a warning: nothing is dropped
// silently.
package bake

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/platforms"
	bk "github.com/docker/buildx/bake"

	"github.com/imagemake/imagemake/internal/config"
)

// Options say which bake files to read and how.
type Options struct {
	Root  string            // the imagemake project's root: bake runs there
	Files []string          // bake files, relative to Root or absolute
	Env   map[string]string // bake's variables and BUILDX_BAKE_* settings; not modified
	// Platform is BAKE_LOCAL_PLATFORM; "" means this machine's default platform, as buildx.
	Platform string
}

// Target is an image made from a bake target.
type Target struct {
	Image *config.Image
	File  string // the bake file whose block defines the target, relative to the root
	Line  int    // the block's line; 0 when not known (bake's Compose form)
}

// Result is what the bake files define for imagemake.
type Result struct {
	Targets  []Target            // sorted by image name
	Groups   map[string][]string // bake group -> image and group names, sorted
	Warnings []string            // what was not carried over, naming file, target and field
}

// Load reads the bake files and translates every target that is an image of its own: every
// target except one only inherited by others (a template such as `_common`) that no group
// lists and no `target:` context names. Ref is tags[0] in familiar form with a tag, or ""
// when the target has no tags. Its error is an *Errors naming every problem found.
func Load(_ context.Context, opt Options) (*Result, error) {
	if len(opt.Files) == 0 {
		return &Result{}, nil
	}
	r, err := newReader(opt)
	if err != nil {
		return nil, err
	}
	cfg, meta, err := bk.ParseFiles(r.files, r.defaults, r.vars, r.parseOpt)
	if err != nil {
		return nil, r.describe(err)
	}
	r.pos.addRenamed(meta)
	r.pos.addInherits(cfg)
	if errs := r.unknownNames(cfg); len(errs) > 0 {
		r.sortErrors(errs)
		return nil, &Errors{List: errs}
	}
	names := selected(cfg)
	res := &Result{}
	imageNames, errs := r.imageNames(names)
	for _, name := range names {
		if imageNames[name] == "" {
			continue
		}
		// What ReadTargets does for each target, without parsing the files a second time
		// (a third of a no-op's time with a bake file); its check of target: links is the
		// graph's, which names a cycle's path.
		resolved, err := cfg.ResolveTarget(name, nil, nil)
		if err != nil {
			errs = append(errs, r.errAt(name, "", "%v", err))
			continue
		}
		t := &translation{r: r, name: name, t: resolved, imageNames: imageNames}
		if img := t.image(); img != nil {
			file, at := r.pos.target(name)
			res.Targets = append(res.Targets, Target{Image: img, File: file, Line: at.Line})
		}
		errs = append(errs, t.errs...)
	}
	if len(errs) > 0 {
		r.sortErrors(errs)
		return nil, &Errors{List: errs}
	}
	slices.SortFunc(res.Targets, func(a, b Target) int { return strings.Compare(a.Image.Name, b.Image.Name) })
	res.Groups = r.groups(cfg, imageNames)
	res.Warnings = dedupe(r.warnings)
	return res, nil
}

// reader holds what every step of one Load shares.
type reader struct {
	opt      Options
	files    []bk.File
	defaults map[string]string // bake's built-in variables
	vars     map[string]string
	parseOpt bk.ParseOpt
	pos      *positions
	warnings []string
}

func newReader(opt Options) (*reader, error) {
	r := &reader{opt: opt, pos: newPositions()}
	var errs []Error
	for _, f := range opt.Files {
		abs := f
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(opt.Root, filepath.FromSlash(f))
		}
		name := config.FromRoot(opt.Root, abs)
		data, err := os.ReadFile(abs)
		if err != nil {
			errs = append(errs, Error{File: name, Msg: readError(err)})
			continue
		}
		r.files = append(r.files, bk.File{Name: name, Data: data})
		r.pos.read(name, data)
	}
	rel, err := fileRelative(opt.Env)
	if err != nil {
		errs = append(errs, Error{File: r.fileName(0), Msg: err.Error()})
	}
	if len(errs) > 0 {
		return nil, &Errors{List: errs}
	}
	r.parseOpt = bk.ParseOpt{FileRelativePaths: rel}
	plat := opt.Platform
	if plat == "" {
		plat = platforms.Format(platforms.DefaultSpec())
	}
	// buildx's own values for a local bake: the command's context is its working directory.
	r.defaults = map[string]string{"BAKE_CMD_CONTEXT": "cwd://", "BAKE_LOCAL_PLATFORM": plat}
	r.vars, err = variables(opt, r.files)
	if err != nil {
		return nil, &Errors{List: []Error{{File: ".env", Msg: err.Error()}}}
	}
	return r, nil
}

func readError(err error) string {
	if os.IsNotExist(err) {
		return "no such bake file"
	}
	return err.Error()
}

// fileRelative is buildx's BUILDX_BAKE_FILE_RELATIVE_PATHS: relative paths against each bake
// file's folder instead of the folder bake runs in.
func fileRelative(env map[string]string) (bool, error) {
	v := strings.TrimSpace(env["BUILDX_BAKE_FILE_RELATIVE_PATHS"])
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("BUILDX_BAKE_FILE_RELATIVE_PATHS is %q: want true or false", v)
	}
	return b, nil
}

// fileName is the i-th bake file as errors show it.
func (r *reader) fileName(i int) string {
	if i < len(r.files) {
		return r.files[i].Name
	}
	if i < len(r.opt.Files) {
		return r.opt.Files[i]
	}
	return "bake file"
}

// selected names the targets that are images of their own, sorted: those a group lists or a
// target: context names, and those no other target inherits.
func selected(cfg *bk.Config) []string {
	inherited, wanted := map[string]bool{}, map[string]bool{}
	for _, t := range cfg.Targets {
		for _, name := range t.Inherits {
			inherited[name] = true
		}
		for _, v := range t.Contexts {
			if name, ok := strings.CutPrefix(v, "target:"); ok {
				wanted[name] = true
			}
		}
	}
	for _, g := range cfg.Groups {
		targets, _ := cfg.ResolveGroup(g.Name)
		for _, name := range targets {
			wanted[name] = true
		}
	}
	var out []string
	for _, t := range cfg.Targets {
		if wanted[t.Name] || !inherited[t.Name] {
			out = append(out, t.Name)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// unknownNames finds the names bake would fail on one at a time, without a line ("failed to
// find target x"): inherits, target: contexts and group members that name nothing.
func (r *reader) unknownNames(cfg *bk.Config) []Error {
	targets, groups := map[string]bool{}, map[string]bool{}
	for _, t := range cfg.Targets {
		targets[t.Name] = true
	}
	for _, g := range cfg.Groups {
		groups[g.Name] = true
	}
	var errs []Error
	for _, t := range cfg.Targets {
		for _, name := range t.Inherits {
			if !targets[name] {
				errs = append(errs, r.errAt(t.Name, "inherits", "no target named %q%s", name, config.DidYouMean(name, sortedKeys(targets))))
			}
		}
		for _, k := range sortedKeys(t.Contexts) {
			if name, ok := strings.CutPrefix(t.Contexts[k], "target:"); ok && !targets[name] {
				errs = append(errs, r.errAt(t.Name, "contexts", "%s: no target named %q%s", k, name, config.DidYouMean(name, sortedKeys(targets))))
			}
		}
	}
	for _, g := range cfg.Groups {
		for _, name := range g.Targets {
			if !targets[name] && !groups[name] {
				file, at := r.pos.groupField(g.Name, "targets")
				if file == "" {
					file = r.fileName(0)
				}
				errs = append(errs, Error{File: file, Line: at.Line, Col: at.Column, Field: "group." + g.Name + ".targets",
					Msg: fmt.Sprintf("no target or group named %q%s", name, config.DidYouMean(name, sortedKeys(targets)))})
			}
		}
	}
	return errs
}

// imageNames maps each target to its image name: the target's name in lower case, which must
// follow imagemake's image-name rules and name no other target.
func (r *reader) imageNames(targets []string) (map[string]string, []Error) {
	out := map[string]string{}
	by := map[string]string{}
	var errs []Error
	for _, t := range targets {
		name := strings.ToLower(t)
		switch other, taken := by[name]; {
		case !config.ValidImageName(name):
			errs = append(errs, r.errAt(t, "", "target %q cannot be an image name (lowercase letters and digits, "+
				"separated by . _ or -): rename it, or make it a template other targets inherit", t))
		case taken:
			errs = append(errs, r.errAt(t, "", "targets %q and %q are both image %q: imagemake's image names are lowercase", other, t, name))
		default:
			out[t], by[name] = name, t
		}
	}
	return out, errs
}

// groupNameRE is config's rule for group names, which bake's allow more than: a leading _ or -.
var groupNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// groups are bake's groups with their targets named as images; a group whose name is not a
// valid imagemake name is left out with a warning.
func (r *reader) groups(cfg *bk.Config, imageNames map[string]string) map[string][]string {
	isGroup := map[string]bool{}
	for _, g := range cfg.Groups {
		isGroup[g.Name] = true
	}
	out := map[string][]string{}
	for _, g := range cfg.Groups {
		if !groupNameRE.MatchString(g.Name) {
			r.warnings = append(r.warnings, fmt.Sprintf("group %q%s is not a valid imagemake group name: it was left out", g.Name, r.pos.groupAt(g.Name)))
			continue
		}
		var members []string
		for _, m := range g.Targets {
			switch {
			case isGroup[m]:
				members = append(members, m)
			case imageNames[m] != "":
				members = append(members, imageNames[m])
			}
		}
		slices.Sort(members) // bake's Compose form lists them in map order
		out[g.Name] = slices.Compact(members)
	}
	return out
}

func dedupe(list []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// sortedKeys is maps.Keys sorted, for deterministic output.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
