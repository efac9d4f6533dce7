package scaffold

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/imagemake/imagemake/internal/dockerfile"
)

// DefaultTag is the tag of the written config when DOCKER_TAG is unset.
const DefaultTag = "development"

// Image is one image of the written config.
type Image struct {
	Name       string
	Context    string            // slash path relative to the root, "." for the root
	Dockerfile string            // relative to Context; "" for Dockerfile
	Args       map[string]string // guessed build args (values already in config syntax)
	Deps       []string          // inferred dependencies, as comments: "base (FROM line 3)"
	Checks     []string          // things to check, as comments
	Broken     string            // when set the Dockerfile does not resolve: the image is commented out
}

// Result is a generated config.
type Result struct {
	YAML    []byte
	Images  []Image
	Compose []string
	Checks  int // "# check:" comments written
}

// Generate reads the Dockerfiles Scan found in fsys and returns the config to write.
func Generate(fsys fs.FS, f *Found) (*Result, error) {
	names := nameImages(f.Root, f.Dockerfiles)
	repoDefault := f.Root
	imgs := make([]Image, len(f.Dockerfiles))
	byRef := map[string]string{} // normalised default ref -> image name
	byName := map[string]bool{}
	for i, df := range f.Dockerfiles {
		img := Image{Name: names[i], Context: path.Dir(df)}
		if b := path.Base(df); b != "Dockerfile" {
			img.Dockerfile = b
		}
		imgs[i] = img
		byName[img.Name] = true
		if ref, err := dockerfile.Normalize(repoDefault + "/" + img.Name + ":" + DefaultTag); err == nil {
			byRef[ref] = img.Name
		}
	}
	perDir := map[string][]string{}
	for i := range imgs {
		perDir[imgs[i].Context] = append(perDir[imgs[i].Context], imgs[i].Name)
	}
	for i, df := range f.Dockerfiles {
		img := &imgs[i]
		if others := perDir[img.Context]; len(others) > 1 {
			img.Checks = append(img.Checks, fmt.Sprintf("%d Dockerfiles share the folder %s (%s); keep the images you build",
				len(others), img.Context, strings.Join(others, ", ")))
		}
		src, err := fs.ReadFile(fsys, df)
		if err != nil {
			return nil, err
		}
		infer(img, src, repoDefault, byRef, byName)
		img.Checks = append(img.Checks, missingSources(fsys, img, src)...)
	}
	res := &Result{Images: imgs, Compose: f.Compose}
	res.YAML, res.Checks = render(f, imgs)
	return res, nil
}

// infer fills an image's dependencies, guessed args and checks from its Dockerfile.
func infer(img *Image, src []byte, repoDefault string, byRef map[string]string, byName map[string]bool) {
	unset := argsWithoutDefault(src)
	args := map[string]string{"DOCKER_REPO": repoDefault, "DOCKER_TAG": DefaultTag}
	for _, u := range unset {
		guess, what := guessArg(u.name, u.whole, repoDefault, byName)
		if img.Args == nil {
			img.Args = map[string]string{}
		}
		img.Args[u.name] = guess
		args[u.name] = expand(guess, repoDefault)
		img.Checks = append(img.Checks, fmt.Sprintf("FROM %s has no default; set args: {%s: ...} (%s)", u.from, u.name, what))
	}
	info, err := dockerfile.Parse(src, args)
	if err != nil {
		img.Broken = err.Error()
		return
	}
	seen := map[string]bool{}
	for _, r := range info.TargetRefs() {
		norm, err := dockerfile.Normalize(r.Ref)
		if err != nil {
			continue
		}
		if dep, ok := byRef[norm]; ok {
			if dep != img.Name && !seen[dep] {
				seen[dep] = true
				img.Deps = append(img.Deps, fmt.Sprintf("%s (%s line %d)", dep, instruction(r.Kind), r.Line))
			}
			continue
		}
		if name, ok := strings.CutPrefix(norm, "docker.io/"+repoDefault+"/"); ok {
			if name, _, _ = strings.Cut(name, ":"); !byName[name] {
				if seen["?"+name] {
					continue
				}
				seen["?"+name] = true
				img.Checks = append(img.Checks, fmt.Sprintf("%s line %d reads %s, the ref of a project image %s that no "+
					"Dockerfile here is named after; rename the image that builds it to %s", instruction(r.Kind), r.Line, r.Ref, name, name))
				continue
			}
		}
		// A ref whose last component names a found image, under another repo or tag: likely
		// meant to be that image.
		last := norm[strings.LastIndex(norm, "/")+1:]
		if i := strings.IndexAny(last, ":@"); i >= 0 {
			last = last[:i]
		}
		if byName[last] && last != img.Name && !seen[last] {
			img.Checks = append(img.Checks, fmt.Sprintf("%s line %d reads %s, not the default ref of image %s "+
				"(${DOCKER_REPO}/%s:${DOCKER_TAG}); use that ref, add it to %s's tags, or add depends_on",
				instruction(r.Kind), r.Line, r.Ref, last, last, last))
		}
	}
}

// expand resolves the ${DOCKER_REPO:-x} and ${DOCKER_TAG:-y} of a guessed arg to their defaults.
func expand(v, repoDefault string) string {
	v = strings.ReplaceAll(v, "${DOCKER_REPO:-"+repoDefault+"}", repoDefault)
	return strings.ReplaceAll(v, "${DOCKER_TAG:-"+DefaultTag+"}", DefaultTag)
}

// guessArg gives a value for a global ARG without default a FROM needs: a found image whose name
// the ARG names (BASE_IMAGE, BASE -> base), else a placeholder that fails clearly when pulled.
func guessArg(name string, whole bool, repoDefault string, byName map[string]bool) (value, what string) {
	lower := strings.ToLower(name)
	for _, cand := range []string{lower, strings.TrimSuffix(lower, "_image"), strings.TrimSuffix(lower, "_img")} {
		c := Sanitize(cand)
		if whole && byName[c] {
			return "${DOCKER_REPO:-" + repoDefault + "}/" + c + ":${DOCKER_TAG:-" + DefaultTag + "}", "guessed: image " + c
		}
	}
	if whole {
		return "set-me/" + Sanitize(lower), "placeholder written"
	}
	return "set-me", "placeholder written"
}

type unsetArg struct {
	name  string
	from  string // the FROM argument that needs it, as written
	whole bool   // the FROM argument is the variable alone
}

var varRE = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)

// argsWithoutDefault finds the global ARGs without a default that a FROM line needs, directly or
// through another global ARG's default. DOCKER_REPO and DOCKER_TAG are left out: imagemake
// passes them.
func argsWithoutDefault(src []byte) []unsetArg {
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		return nil
	}
	defaults := map[string]*string{} // global ARG -> default (nil: none)
	var froms []string
	global := true
	for _, n := range res.AST.Children {
		switch strings.ToLower(n.Value) {
		case "from":
			global = false
			if n.Next != nil {
				froms = append(froms, n.Next.Value)
			}
		case "arg":
			if !global {
				continue
			}
			for a := n.Next; a != nil; a = a.Next {
				k, v, ok := strings.Cut(a.Value, "=")
				if ok {
					defaults[k] = &v
				} else if _, set := defaults[k]; !set {
					defaults[k] = nil
				}
			}
		}
	}
	var out []unsetArg
	seen := map[string]bool{}
	for _, from := range froms {
		// the variables this FROM needs, following ARG defaults
		todo := []string{}
		for _, m := range varRE.FindAllStringSubmatch(from, -1) {
			todo = append(todo, m[1])
		}
		visited := map[string]bool{}
		for len(todo) > 0 {
			v := todo[0]
			todo = todo[1:]
			if visited[v] {
				continue
			}
			visited[v] = true
			d, declared := defaults[v]
			if !declared {
				continue
			}
			if d != nil {
				for _, m := range varRE.FindAllStringSubmatch(*d, -1) {
					todo = append(todo, m[1])
				}
				continue
			}
			if v == "DOCKER_REPO" || v == "DOCKER_TAG" || seen[v] {
				continue
			}
			seen[v] = true
			whole := from == "$"+v || from == "${"+v+"}"
			out = append(out, unsetArg{name: v, from: from, whole: whole})
		}
	}
	return out
}

// render writes the commented config.
func render(f *Found, imgs []Image) ([]byte, int) {
	var b strings.Builder
	checks := 0
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# imagemake.yaml, written by `imagemake init` from the Dockerfiles below this folder.\n")
	w("# Reference: docs/config.md of imagemake. Read the \"check:\" comments, then run\n")
	w("# `imagemake ls` (images and dependencies) and `imagemake plan` (what would be built).\n")
	w("version: 1\n")
	w("repo: ${DOCKER_REPO:-%s}   # images are {repo}/{name}:{tag}\n", f.Root)
	w("tag: ${DOCKER_TAG:-%s}\n", DefaultTag)
	w("# cache:\n")
	w("#   repo: ${DOCKER_CACHE_REPO:-}         # where pushed images and cache sources live\n")
	w("#   tags: [\"${DOCKER_CACHE_TAG:-}\"]\n")
	w("# exclude: [__pycache__, \"*.egg-info\", node_modules]   # left out of every build context\n")
	if len(f.Compose) > 0 {
		w("\n# Compose files found: with compose:, their services with build: sections become images.\n")
		w("# Uncomment it and remove the images below that the compose services already build\n")
		w("# (an images: entry named like a service must then only add keys to it).\n")
		w("# compose:\n")
		for _, c := range f.Compose {
			w("#   - %s\n", scalar(c))
		}
	}
	w("\n")
	if len(imgs) == 0 {
		w("# No Dockerfile found (Dockerfile, *.Dockerfile, Dockerfile.*).\n")
		w("images: {}\n")
		return []byte(b.String()), checks
	}
	w("# One image per Dockerfile, named after its folder. Dependencies need no depends_on: a\n")
	w("# FROM (or COPY --from) naming another image's ref, e.g. FROM ${DOCKER_REPO}/base:${DOCKER_TAG}\n")
	w("# with ARG DOCKER_REPO and ARG DOCKER_TAG before it, is one. Per image you can add include,\n")
	w("# exclude, args, target, platform, labels, tags and network (e.g. `network: none` for RUN\n")
	w("# steps that need no network).\n")
	w("images:\n")
	for i, img := range imgs {
		if i > 0 {
			w("\n")
		}
		prefix := "  "
		if img.Broken != "" {
			checks++
			w("  # check: %s does not resolve (%s); left out, fix it and uncomment\n",
				path.Join(img.Context, dockerfileName(img)), oneLine(img.Broken))
			prefix = "  # "
		}
		for _, c := range img.Checks {
			checks++
			w("%s", wrap("  # check: ", "  #   ", oneLine(c)))
		}
		w("%s%s:\n", prefix, img.Name)
		ctx := "context: " + scalar(img.Context)
		if len(img.Deps) > 0 {
			ctx += "   # depends on " + strings.Join(img.Deps, ", ")
		}
		w("%s  %s\n", prefix, ctx)
		if img.Dockerfile != "" {
			w("%s  dockerfile: %s\n", prefix, scalar(img.Dockerfile))
		}
		if len(img.Args) > 0 {
			w("%s  args:\n", prefix)
			for _, k := range slices.Sorted(maps.Keys(img.Args)) {
				w("%s    %s: %s\n", prefix, k, img.Args[k])
			}
		}
	}
	return []byte(b.String()), checks
}

// instruction words a dockerfile.Ref kind as written in a Dockerfile.
func instruction(kind string) string {
	switch kind {
	case dockerfile.KindCopy:
		return "COPY --from"
	case dockerfile.KindMount:
		return "RUN --mount from"
	}
	return "FROM"
}

func dockerfileName(img Image) string {
	if img.Dockerfile == "" {
		return "Dockerfile"
	}
	return img.Dockerfile
}

// wrap writes text as comment lines of about 100 characters, the first starting with first and
// the others with rest.
func wrap(first, rest, text string) string {
	var b strings.Builder
	line := first
	for i, word := range strings.Fields(text) {
		if i > 0 && len(line)+1+len(word) > 100 {
			b.WriteString(line + "\n")
			line = rest + word
			continue
		}
		if i > 0 {
			line += " "
		}
		line += word
	}
	b.WriteString(line + "\n")
	return b.String()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

var plainRE = regexp.MustCompile(`^[A-Za-z0-9_.][A-Za-z0-9_./-]*$`)

// scalar writes a path as a YAML scalar that reads back unchanged: plain when safe, else
// double-quoted; "$" is doubled so interpolation leaves it alone.
func scalar(s string) string {
	s = strings.ReplaceAll(s, "$", "$$")
	if plainRE.MatchString(s) && !slices.Contains([]string{"true", "false", "null", "yes", "no", "on", "off", "y", "n"}, strings.ToLower(s)) {
		return s
	}
	q, _ := json.Marshal(s)
	return string(q)
}
