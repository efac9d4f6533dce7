package scaffold

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/imagemake/imagemake/internal/dockerfile"
)

type unsetArg struct {
	name  string
	from  string // the FROM argument that needs it, as written
	whole bool   // the FROM argument is the variable alone
}

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

// render writes the commented config.
func (g *gen) render() ([]byte, int) {
	r := &renderer{}
	r.header(g)
	r.imports("compose", "Compose files whose services with a build: section are images", g.compose, g.importedNames("service"))
	r.imports("bake", "bake files whose targets are images", g.bake, g.importedNames("target"))
	for _, s := range g.needs {
		r.check("", s)
	}
	for _, s := range g.skipped {
		r.comment("", "not imported: "+s)
	}
	r.w("\n")
	var own, ext []*Image
	for _, img := range g.images {
		if img.Imported == "" {
			own = append(own, img)
		} else if len(img.Tags) > 0 || len(img.Checks) > 0 {
			ext = append(ext, img)
		}
	}
	if len(own) == 0 && len(ext) == 0 {
		if len(g.found.Dockerfiles) == 0 {
			r.w("# No Dockerfile found (Dockerfile, *.Dockerfile, Dockerfile.*).\n")
		}
		r.w("images: {}\n")
		return []byte(r.b.String()), r.checks
	}
	if len(own) > 0 {
		r.w("# One image per Dockerfile the files above do not build, named after its folder, and one per\n")
		r.w("# stage only --target builds. Dependencies need no depends_on: a FROM, COPY --from or\n")
		r.w("# RUN --mount from= naming another image's ref (image:, tags:, or {repo}/{name}:{tag}) is one.\n")
	}
	r.w("images:\n")
	for i, img := range own {
		if i > 0 {
			r.w("\n")
		}
		r.image(g, img)
	}
	for _, img := range ext {
		r.w("\n")
		r.comment("  ", "adds to "+img.Imported+" the refs the tree names it by")
		r.image(g, img)
	}
	return []byte(r.b.String()), r.checks
}

type renderer struct {
	b      strings.Builder
	checks int
}

func (r *renderer) w(format string, a ...any) { fmt.Fprintf(&r.b, format, a...) }

// comment writes text as wrapped comment lines at an indent.
func (r *renderer) comment(indent, text string) {
	r.b.WriteString(wrap(indent+"# ", indent+"#   ", oneLine(text)))
}

func (r *renderer) check(indent, text string) {
	r.checks++
	r.b.WriteString(wrap(indent+"# check: ", indent+"#   ", oneLine(text)))
}

func (r *renderer) header(g *gen) {
	r.w("# imagemake.yaml, written by `imagemake init` from the Dockerfiles, Compose and bake files\n")
	r.w("# below this folder. Reference: docs/config.md of imagemake. Each guess says its evidence; read\n")
	r.w("# the \"check:\" comments, then run `imagemake ls` (images and dependencies) and `imagemake plan`.\n")
	r.w("version: 1\n")
	if g.repoWhy != "" {
		r.comment("", "repo: "+g.repoWhy)
	}
	r.w("repo: ${DOCKER_REPO:-%s}   # images are {repo}/{name}:{tag}\n", g.repo)
	if g.tagWhy != "" {
		r.comment("", "tag: "+g.tagWhy)
	}
	r.w("tag: ${DOCKER_TAG:-%s}\n", g.tag)
	r.w("# cache:\n")
	r.w("#   repo: ${DOCKER_CACHE_REPO:-}         # where pushed images and cache sources live\n")
	r.w("#   tags: [\"${DOCKER_CACHE_TAG:-}\"]\n")
	r.w("# exclude: [__pycache__, \"*.egg-info\", node_modules]   # left out of every build context\n")
}

func (r *renderer) imports(key, what string, files, names []string) {
	if len(files) == 0 {
		return
	}
	r.w("\n")
	r.comment("", fmt.Sprintf("%s (%s): imagemake.yaml does not repeat them.", what, strings.Join(names, ", ")))
	r.w("%s:\n", key)
	for _, f := range files {
		r.w("  - %s\n", scalar(f))
	}
}

// image writes one images: entry; an imported image gets only the keys init adds to it.
func (r *renderer) image(g *gen, img *Image) {
	prefix := "  "
	if img.Broken != "" {
		r.check("  ", fmt.Sprintf("%s does not resolve (%s); left out, fix it and uncomment", img.path, img.Broken))
		prefix = "  # "
	}
	for _, n := range img.Notes {
		r.comment("  ", n)
	}
	for _, c := range img.Checks {
		r.check("  ", c)
	}
	r.w("%s%s:\n", prefix, img.Name)
	if img.Imported == "" {
		ctx := "context: " + scalar(img.Context)
		if len(img.Deps) > 0 {
			ctx += "   # depends on " + strings.Join(img.Deps, ", ")
		}
		r.w("%s  %s\n", prefix, ctx)
		if img.Dockerfile != "" {
			r.w("%s  dockerfile: %s\n", prefix, scalar(img.Dockerfile))
		}
		if img.Target != "" {
			r.w("%s  target: %s\n", prefix, scalar(img.Target))
		}
		if len(img.Include) > 0 {
			r.w("%s  include:\n", prefix)
			for _, x := range img.Include {
				if x.From == x.To {
					r.w("%s    - %s\n", prefix, scalar(x.From))
				} else {
					r.w("%s    - {from: %s, to: %s}\n", prefix, scalar(x.From), scalar(x.To))
				}
			}
		}
		if img.Ref != "" {
			r.w("%s  image: %s\n", prefix, img.Ref)
		}
	}
	if len(img.Tags) > 0 {
		r.w("%s  tags:\n", prefix)
		for _, t := range img.Tags {
			r.w("%s    - %s\n", prefix, t)
		}
	}
	if len(img.Args) > 0 && img.Imported == "" {
		r.w("%s  args:\n", prefix)
		for _, k := range slices.Sorted(maps.Keys(img.Args)) {
			r.w("%s    %s: %s\n", prefix, k, withVars(img.Args[k], g.repo, g.tag))
		}
	}
}
