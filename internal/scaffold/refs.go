package scaffold

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/imagemake/imagemake/internal/dockerfile"
)

// The values init gives DOCKER_REPO and DOCKER_TAG when it reads FROM lines: imagemake passes
// both to every build, so a ref holding them follows repo: and tag:, whatever they are.
const (
	repoSentinel = "imagemake.invalid/docker-repo"
	tagSentinel  = "imagemake-docker-tag"
)

// refUse is one place the tree names an image by its ref: a FROM, COPY --from or RUN --mount
// from of a Dockerfile, or a Compose image: key or bake tag of the image itself.
type refUse struct {
	prefix string // the repository before its last component, familiar ("team", "registry.example.com/team", "" for none); repoSentinel when it follows DOCKER_REPO
	base   string // the repository's last component
	tag    string // "latest" when none is written; tagSentinel when it follows DOCKER_TAG
	by     int    // index of the image whose Dockerfile reads it; -1 for an image's own Compose or bake ref
	where  string // evidence, e.g. "FROM $REGISTRY/$OWNER/base in images/app/Dockerfile:3 (ARG REGISTRY=registry.example.com, OWNER=team)"
	what   string // "FROM line 3"
	wire   string // the global ARG that is the whole FROM argument ("BASE_IMAGE" for FROM $BASE_IMAGE), if any
}

// parseUse splits a ref as a Dockerfile resolves it; digests and invalid refs are no use.
func parseUse(ref string) (refUse, bool) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return refUse{}, false
	}
	if _, ok := named.(reference.Digested); ok {
		return refUse{}, false
	}
	u := refUse{tag: "latest"}
	if t, ok := named.(reference.Tagged); ok {
		u.tag = t.Tag()
	}
	p := reference.FamiliarName(named)
	if i := strings.LastIndex(p, "/"); i >= 0 {
		u.prefix, u.base = p[:i], p[i+1:]
	} else {
		u.base = p
	}
	return u, true
}

// follows tells whether the ref is the default ref of the image named base: {repo}/{base}:{tag}.
func (u refUse) follows() bool { return u.prefix == repoSentinel && u.tag == tagSentinel }

// fixed tells whether nothing of the ref follows repo: or tag:.
func (u refUse) fixed() bool { return u.prefix != repoSentinel && u.tag != tagSentinel }

// key identifies the ref, sentinels included.
func (u refUse) key() string { return u.prefix + "/" + u.base + ":" + u.tag }

// config writes the ref in config syntax, with repo: and tag: as DOCKER_REPO and DOCKER_TAG.
func (u refUse) config(repo, tag string) string {
	s := u.base + ":" + u.tag
	if u.prefix != "" {
		s = u.prefix + "/" + s
	}
	return withVars(s, repo, tag)
}

// value is the ref with DOCKER_REPO and DOCKER_TAG at their defaults, normalised.
func (u refUse) value(repo, tag string) string {
	s := u.base + ":" + u.tag
	if u.prefix != "" {
		s = u.prefix + "/" + s
	}
	s = strings.ReplaceAll(strings.ReplaceAll(s, repoSentinel, repo), tagSentinel, tag)
	n, err := dockerfile.Normalize(s)
	if err != nil {
		return s
	}
	return n
}

// withVars replaces the sentinels of a value by the config's variables.
func withVars(s, repo, tag string) string {
	s = strings.ReplaceAll(s, repoSentinel, "${DOCKER_REPO:-"+repo+"}")
	return strings.ReplaceAll(s, tagSentinel, "${DOCKER_TAG:-"+tag+"}")
}

// dfText is what evidence quotes of a Dockerfile: each instruction's first argument as
// written, by line, and the global ARGs.
type dfText struct {
	path     string
	first    map[int]string     // line -> first argument of the instruction, as written
	defaults map[string]*string // global ARG -> default (nil: none)
	argLine  map[string]int     // global ARG -> its line
	declared map[string]bool    // every ARG name, of any stage
}

func readText(p string, src []byte) *dfText {
	t := &dfText{path: p, first: map[int]string{}, defaults: map[string]*string{}, argLine: map[string]int{}, declared: map[string]bool{}}
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		return t
	}
	global := true
	for _, n := range res.AST.Children {
		kind := strings.ToLower(n.Value)
		if n.Next != nil {
			t.first[n.StartLine] = n.Next.Value
		}
		if kind == "from" {
			global = false
		}
		if kind != "arg" {
			continue
		}
		for a := n.Next; a != nil; a = a.Next {
			k, _, _ := strings.Cut(a.Value, "=")
			t.declared[k] = true
		}
		if !global {
			continue
		}
		for a := n.Next; a != nil; a = a.Next {
			k, v, ok := strings.Cut(a.Value, "=")
			if ok {
				t.defaults[k] = &v
			} else if _, set := t.defaults[k]; !set {
				t.defaults[k] = nil
			}
			t.argLine[k] = n.StartLine
		}
	}
	return t
}

var varRE = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)

// evidence words a Dockerfile ref: "FROM $REGISTRY/base in app/Dockerfile:3 (ARG REGISTRY=r)".
func (t *dfText) evidence(r dockerfile.Ref, args map[string]string) string {
	written := r.Ref
	switch r.Kind {
	case dockerfile.KindFrom:
		if f, ok := t.first[r.Line]; ok {
			written = f
		}
		written = "FROM " + written
	case dockerfile.KindCopy:
		written = "COPY --from=" + written
	default:
		written = "RUN --mount from=" + written
	}
	s := fmt.Sprintf("%s in %s:%d", written, t.path, r.Line)
	var defs []string
	seen := map[string]bool{}
	todo := varRE.FindAllStringSubmatch(written, -1)
	for len(todo) > 0 {
		name := todo[0][1]
		todo = todo[1:]
		if seen[name] || name == "DOCKER_REPO" || name == "DOCKER_TAG" {
			continue
		}
		seen[name] = true
		if v, ok := args[name]; ok {
			defs = append(defs, name+"="+withoutSentinels(v))
		} else if d := t.defaults[name]; d != nil {
			defs = append(defs, name+"="+*d)
			todo = append(todo, varRE.FindAllStringSubmatch(*d, -1)...)
		}
	}
	if len(defs) > 0 {
		s += " (ARG " + strings.Join(defs, ", ") + ")"
	}
	return s
}

func withoutSentinels(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, repoSentinel, "${DOCKER_REPO}"), tagSentinel, "${DOCKER_TAG}")
}

var wholeVarRE = regexp.MustCompile(`^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$`)

// wholeArg is the global ARG a FROM line is made of alone ("FROM $BASE_IMAGE"), or "".
func (t *dfText) wholeArg(r dockerfile.Ref) string {
	if r.Kind != dockerfile.KindFrom {
		return ""
	}
	m := wholeVarRE.FindStringSubmatch(t.first[r.Line])
	if m == nil {
		return ""
	}
	name := m[1] + m[2]
	if _, global := t.defaults[name]; !global || name == "DOCKER_REPO" || name == "DOCKER_TAG" {
		return ""
	}
	return name
}

// what words a Dockerfile ref for a dependency comment: "FROM line 3".
func what(r dockerfile.Ref) string {
	return fmt.Sprintf("%s line %d", instruction(r.Kind), r.Line)
}

// aliasesOf are the names other files may call the image built from a Dockerfile by: its
// image name, its folder's name, that name joined with its parent's ("pybase" for base/py),
// the folder and the Dockerfile's suffix ("db-debug" for db/Dockerfile.debug), the suffix
// alone, and for a target the stage's name after the image's.
func aliasesOf(img *Image) []string {
	out := []string{img.Name}
	dir := Sanitize(path.Base(path.Dir(img.path)))
	if dir != "" && path.Dir(img.path) != "." {
		out = appendOnce(out, dir)
		// base/py built as pybase, py-base, base-py
		if parent := path.Dir(path.Dir(img.path)); parent != "." {
			if p := Sanitize(path.Base(parent)); p != "" {
				out = appendOnce(appendOnce(appendOnce(out, dir+p), dir+"-"+p), p+"-"+dir)
			}
		}
	}
	if sfx := Sanitize(dockerfileSuffix(img.path)); sfx != "" {
		if dir != "" {
			out = appendOnce(out, dir+"-"+sfx)
		}
		out = appendOnce(out, sfx)
	}
	if img.Target != "" {
		if s := Sanitize(img.Target); s != "" {
			out = appendOnce(out, img.Name+"-"+s)
			if dir != "" {
				out = appendOnce(out, dir+"-"+s)
			}
		}
	}
	return out
}

// vote counts values in the order first seen.
type vote struct {
	order []string
	count map[string]int
	first map[string]string // value -> evidence of its first use
}

func (v *vote) add(val, why string) {
	if v.count == nil {
		v.count, v.first = map[string]int{}, map[string]string{}
	}
	if v.count[val] == 0 {
		v.order = append(v.order, val)
		v.first[val] = why
	}
	v.count[val]++
}

// winner is the most common value, the first seen among equals, and its evidence.
func (v *vote) winner() (string, string, int) {
	best := ""
	for _, val := range v.order {
		if best == "" || v.count[val] > v.count[best] {
			best = val
		}
	}
	return best, v.first[best], v.count[best]
}

// others says how many more uses a piece of evidence stands for.
func others(n int) string {
	switch n {
	case 0, 1:
		return ""
	case 2:
		return " and 1 more"
	}
	return fmt.Sprintf(" and %d more", n-1)
}

// sortedKeys are a set's members in order.
func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
