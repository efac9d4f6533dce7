package scaffold

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/distribution/reference"

	"github.com/imagemake/imagemake/internal/dockerfile"
)

// DefaultTag is the tag of the written config when the tree names none.
const DefaultTag = "development"

// Image is one image of the written config, or an image a Compose or bake file defines
// (Imported set), to which the config may only add tags.
type Image struct {
	Name       string
	Context    string            // slash path relative to the root, "." for the root
	Dockerfile string            // relative to Context; "" for Dockerfile
	Target     string            // the stage built; "" for the last
	Include    []contextExtra    // paths merged into the context
	Args       map[string]string // guessed build args, in config syntax
	Ref        string            // image:, in config syntax; "" for the default {repo}/{name}:{tag}
	Tags       []string          // extra refs, in config syntax
	Deps       []string          // inferred dependencies, as comments: "base (FROM line 3)"
	Notes      []string          // evidence of each guess, as comments
	Checks     []string          // things to check, as comments
	Broken     string            // when set the Dockerfile does not resolve: the image is commented out
	Imported   string            // "service api in deploy/compose.yml" for an image a Compose or bake file defines

	path string            // the Dockerfile, root-relative
	src  []byte            // its content
	text *dfText           // what evidence quotes of it
	args map[string]string // build args as the build sees them, DOCKER_REPO and DOCKER_TAG as sentinels
	refs []string          // normalised refs an imported image already has (values at the defaults)
	uses []refUse          // the refs the tree names this image by
}

// Result is a generated config.
type Result struct {
	YAML    []byte
	Images  []Image  // the images the config defines (not the imported ones, nor those commented out)
	Imports int      // the images the Compose and bake files define
	Compose []string // Compose files imported
	Bake    []string // bake files imported
	Checks  int      // "# check:" comments written
	Ignore  []Ignore // ignore files that should exclude .git
}

// gen is one run of Generate.
type gen struct {
	dir     string
	env     map[string]string // for interpolating Compose files
	fsys    fs.FS
	found   *Found
	images  []*Image // the imported images, then the config's own
	compose []string // Compose files to import
	bake    []string // bake files to import
	skipped []string // Compose and bake files not imported, with why
	needs   []string // what imported files need set to load, as checks
	repo    string   // repo: default
	tag     string   // tag: default
	repoWhy string
	tagWhy  string
	uses    []refUse                 // every ref the Dockerfiles name
	builds  map[string][]dockerBuild // Dockerfile path -> the Makefiles' docker build commands of it
	tagged  []refUse                 // the refs images are built as (Makefile -t, Compose image:, bake tags); by is the image
}

// Generate reads the tree at dir (whose Dockerfiles, Compose and bake files Scan found) and
// returns the config to write. env is the environment Compose and bake files are interpolated
// with (the process's for `imagemake init`, as `imagemake ls` will read them); it is not modified.
func Generate(ctx context.Context, dir string, f *Found, env map[string]string) (*Result, error) {
	if env == nil {
		env = map[string]string{}
	}
	g := &gen{dir: dir, env: env, fsys: os.DirFS(dir), found: f, builds: map[string][]dockerBuild{}}
	for _, mk := range f.Makefiles {
		for _, b := range makeBuilds(g.fsys, mk) {
			g.builds[b.dockerfile] = append(g.builds[b.dockerfile], b)
		}
	}
	for _, wf := range workflowFiles(g.fsys) {
		for _, b := range workflowBuilds(g.fsys, wf) {
			g.builds[b.dockerfile] = append(g.builds[b.dockerfile], b)
		}
	}
	for _, b := range gitlabBuilds(g.fsys) {
		g.builds[b.dockerfile] = append(g.builds[b.dockerfile], b)
	}
	covered := g.importFiles(ctx)
	var own []string
	for _, df := range f.Dockerfiles {
		if !covered[df] {
			own = append(own, df)
		}
	}
	if err := g.ownImages(own); err != nil {
		return nil, err
	}
	g.readUses()
	g.decide()
	res := &Result{Compose: g.compose, Bake: g.bake, Ignore: g.ignoreProposals()}
	for _, img := range g.images {
		switch {
		case img.Imported != "":
			res.Imports++
		case img.Broken == "":
			res.Images = append(res.Images, *img)
		}
	}
	res.YAML, res.Checks = g.render()
	return res, nil
}

// ownImages makes an image of each Dockerfile no imported file builds, and one more per stage
// only --target builds.
func (g *gen) ownImages(dockerfiles []string) error {
	names := nameImages(g.found.Root, dockerfiles)
	for i, n := range names {
		names[i] = uniqueName(g.images, n) // a Compose service or bake target may have the name
	}
	perDir := map[string][]string{}
	for i, df := range dockerfiles {
		perDir[path.Dir(df)] = append(perDir[path.Dir(df)], names[i])
	}
	for i, df := range dockerfiles {
		src, err := fs.ReadFile(g.fsys, df)
		if err != nil {
			return err
		}
		img := &Image{Name: names[i], path: df, src: src, text: readText(df, src), args: map[string]string{}}
		if others := perDir[path.Dir(df)]; len(others) > 1 && others[0] == img.Name { // said once, on the first
			img.Checks = append(img.Checks, fmt.Sprintf("%d Dockerfiles share the folder %s (%s); keep the images you build",
				len(others), path.Dir(df), strings.Join(others, ", ")))
		}
		g.images = append(g.images, img)
		if g.buildVariants(img) {
			continue // the build commands say which targets are built
		}
		extra := extraTargets(src)
		if len(extra) > 0 {
			img.Notes = append(img.Notes, fmt.Sprintf("target: none, the last stage of %s; %s build the stages "+
				"only --target builds", df, listSome(prefixed(img.Name+"-", extra), 4)))
		}
		for _, t := range extra {
			v := *img
			v.Name, v.Target = uniqueName(g.images, img.Name+"-"+Sanitize(t)), t
			v.Checks = nil
			v.Args = maps.Clone(img.Args)
			v.args = maps.Clone(img.args)
			v.Notes = []string{fmt.Sprintf("target: stage %s of %s, which its last stage does not use: "+
				"it is built only with --target", t, df)}
			g.images = append(g.images, &v)
		}
	}
	said := map[string]bool{} // the Dockerfiles whose checks are written: on the first image of each
	for _, img := range g.images {
		if img.Imported == "" {
			checks := len(img.Checks)
			g.guessArgs(img)
			g.placeContext(img)
			if said[img.path] {
				img.Checks = img.Checks[:checks]
			}
			said[img.path] = true
		}
	}
	return nil
}

// buildVariants gives the image the build args and target the tree's build commands build its
// Dockerfile with; when they build it in two ways or more (a CUDA variant beside the CPU one),
// each way is an image, named after its first tag. It tells whether a command names a target.
func (g *gen) buildVariants(img *Image) bool {
	var ways []dockerBuild
	for _, b := range g.builds[img.path] {
		args := map[string]string{}
		for k, v := range b.args {
			if img.text.declared[k] && k != "DOCKER_REPO" && k != "DOCKER_TAG" { // imagemake passes those two
				args[k] = v
			}
		}
		if b.args = args; len(args) == 0 {
			b.args = nil
		}
		if !slices.ContainsFunc(ways, func(w dockerBuild) bool { return maps.Equal(w.args, b.args) && w.target == b.target }) {
			ways = append(ways, b)
		}
	}
	targeted := false
	for i, b := range ways {
		v := img
		if i > 0 {
			c := *img
			c.Checks, c.Notes = nil, nil
			c.Name = uniqueName(g.images, img.Name+"-"+fmt.Sprint(i+1))
			v = &c
		}
		if len(ways) > 1 && len(b.tags) > 0 {
			if u, ok := parseUse(b.tags[0]); ok && nameRE.MatchString(u.base) && (u.base == v.Name || uniqueName(g.images, u.base) == u.base) {
				v.Name = u.base
			}
		}
		v.Target, v.Args, v.args = b.target, maps.Clone(b.args), maps.Clone(b.args)
		if v.args == nil {
			v.args = map[string]string{}
		}
		if what := argsAndTarget(b); what != "" {
			v.Notes = append(v.Notes, fmt.Sprintf("%s: as `%s` in %s builds it", what, b.written, b.where))
		}
		targeted = targeted || b.target != ""
		if i > 0 {
			g.images = append(g.images, v)
		}
	}
	return targeted
}

func argsAndTarget(b dockerBuild) string {
	switch {
	case len(b.args) > 0 && b.target != "":
		return "args and target"
	case len(b.args) > 0:
		return "args"
	case b.target != "":
		return "target"
	}
	return ""
}

func uniqueName(images []*Image, name string) string {
	taken := func(n string) bool {
		for _, img := range images {
			if img.Name == n {
				return true
			}
		}
		return false
	}
	n := name
	for k := 2; taken(n); k++ {
		n = fmt.Sprintf("%s-%d", name, k)
	}
	return n
}

// placeContext gives the image the context its COPY sources were written for.
func (g *gen) placeContext(img *Image) {
	fsys := submodulesFS{FS: g.fsys, paths: submodules(g.fsys)}
	c := chooseContext(fsys, img.path, contextSources(img.src, buildArgs(img.args)))
	if b, ok := g.madeContext(img.path); ok && b.context != c.Dir {
		c = recheck(fsys, img.path, contextSources(img.src, buildArgs(img.args)), b.context)
		c.Why = fmt.Sprintf("as `%s` in %s builds it", b.written, b.where)
	}
	img.Context = c.Dir
	img.Dockerfile = strings.TrimPrefix(img.path, c.Dir+"/")
	if c.Dir == "." {
		img.Dockerfile = img.path
	}
	if img.Dockerfile == "Dockerfile" {
		img.Dockerfile = ""
	}
	if c.Why != "" {
		img.Notes = append(img.Notes, "context: "+folderName(c.Dir)+": "+c.Why)
	}
	img.Include = c.Include
	for _, x := range c.Include {
		img.Notes = append(img.Notes, fmt.Sprintf("include: %s: %s copies %s (line %d), found from %s, not in %s",
			x.From, img.path, x.To, x.Line, folderName(x.Base), folderName(c.Dir)))
	}
	if len(c.Missing) > 0 {
		where := fmt.Sprintf("found in no folder from %s up to the root", folderName(path.Dir(img.path)))
		if path.Dir(img.path) == "." {
			where = "found nowhere under the root"
		}
		img.Checks = append(img.Checks, fmt.Sprintf("%s copies %s, %s: made by an earlier step? context: is %s",
			img.path, listSome(c.Missing, 4), where, folderName(c.Dir)))
	}
	if len(c.Unknown) > 0 {
		img.Checks = append(img.Checks, fmt.Sprintf("%s copies %s, whose variables have no default: "+
			"context: was chosen without them", img.path, listSome(c.Unknown, 4)))
	}
}

// madeContext is the context a Makefile builds a Dockerfile with, when it holds the Dockerfile.
func (g *gen) madeContext(dockerfile string) (dockerBuild, bool) {
	for _, b := range g.builds[dockerfile] {
		if b.context == "." || strings.HasPrefix(dockerfile, b.context+"/") {
			return b, true
		}
	}
	return dockerBuild{}, false
}

// guessArgs gives a value to each global ARG without default a FROM line needs: the ref of
// an image of the tree whose name the ARG names (BASE_IMAGE, BASE -> base) when the ARG is the
// whole FROM argument, else a placeholder that fails clearly when pulled.
func (g *gen) guessArgs(img *Image) {
	for _, u := range argsWithoutDefault(img.src) {
		if _, set := img.args[u.name]; set {
			continue // a build command passes it
		}
		guess, why := "set-me", "placeholder written"
		if u.whole {
			guess = "set-me/" + Sanitize(strings.ToLower(u.name))
			if name := g.imageNamedBy(u.name); name != "" {
				guess, why = repoSentinel+"/"+name+":"+tagSentinel, "guessed: image "+name
			}
		}
		if img.Args == nil {
			img.Args = map[string]string{}
		}
		img.Args[u.name] = guess
		img.args[u.name] = guess
		img.Checks = append(img.Checks, fmt.Sprintf("FROM %s has no default; set args: {%s: ...} (%s)", u.from, u.name, why))
	}
}

// imageNamedBy finds the image an ARG's name names: BASE_IMAGE, BASE_IMG and BASE name base.
func (g *gen) imageNamedBy(arg string) string {
	lower := strings.ToLower(arg)
	for _, cand := range []string{lower, strings.TrimSuffix(lower, "_image"), strings.TrimSuffix(lower, "_img")} {
		c := Sanitize(cand)
		for _, img := range g.images {
			if c != "" && img.Name == c {
				return c
			}
		}
	}
	return ""
}

// readUses reads every image's Dockerfile for the refs it names, and the imported images' own refs.
func (g *gen) readUses() {
	for i, img := range g.images {
		args := buildArgs(img.args)
		info, err := dockerfile.ParseOptions(img.src, dockerfile.Options{Args: args, Target: img.Target})
		if err != nil {
			if img.Imported == "" {
				img.Broken = err.Error()
			}
			continue
		}
		for _, r := range g.builtAs(i, img) {
			g.tagged = append(g.tagged, r)
		}
		for _, r := range info.TargetRefs() {
			u, ok := parseUse(r.Ref)
			if !ok || strings.Contains(r.Ref, "set-me") {
				continue // a placeholder init wrote names no image
			}
			u.by, u.where, u.what, u.wire = i, img.text.evidence(r, args), what(r), img.text.wholeArg(r)
			g.uses = append(g.uses, u)
		}
	}
}

// buildArgs are the args an image is built with: DOCKER_REPO and DOCKER_TAG (as sentinels)
// unless its own args set them.
func buildArgs(own map[string]string) map[string]string {
	args := maps.Clone(own)
	if args == nil {
		args = map[string]string{}
	}
	for k, v := range map[string]string{"DOCKER_REPO": repoSentinel, "DOCKER_TAG": tagSentinel} {
		if _, set := args[k]; !set {
			args[k] = v
		}
	}
	return args
}

func prefixed(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + Sanitize(n)
	}
	return out
}

// builtAs are the refs an image is built as: its Compose image: or bake tags, or the -t of the
// Makefiles' docker build commands of its Dockerfile.
func (g *gen) builtAs(i int, img *Image) []refUse {
	var out []refUse
	add := func(ref, where string) {
		if u, ok := parseUse(ref); ok {
			u.by, u.where = i, where
			out = append(out, u)
		}
	}
	for _, r := range img.refs {
		add(r, fmt.Sprintf("image %s of %s", familiar(r), img.Imported))
	}
	if img.Imported == "" {
		for _, b := range g.builds[img.path] {
			for _, t := range b.tags {
				add(t, fmt.Sprintf("`%s` in %s", b.written, b.where))
			}
		}
	}
	return out
}

// familiar is a ref as people write it: "acme/web:latest" for docker.io/acme/web:latest.
func familiar(ref string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ref
	}
	return reference.FamiliarString(named)
}
