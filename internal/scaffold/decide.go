package scaffold

import (
	"fmt"
	"slices"
	"strings"
)

// decide matches the refs the Dockerfiles name with the images of the tree, and from them
// chooses repo:, tag:, each image's name, image: and tags:, and the dependencies that follow.
func (g *gen) decide() {
	targets := g.match()
	g.chooseRepo(targets)
	g.chooseTag(targets)
	g.assign()
	g.distinctRefs()
	g.dependencies(targets)
}

// distinctRefs renames an image whose default ref another image already has (a Compose
// image: or bake tag naming it otherwise): two images cannot share a ref.
func (g *gen) distinctRefs() {
	for _, img := range g.images {
		if img.Imported != "" || img.Ref != "" {
			continue
		}
		for _, other := range g.images {
			val := g.refValues(img)[0]
			if other == img || !slices.Contains(g.refValues(other), val) {
				continue
			}
			old := img.Name
			img.Name = uniqueName(g.images, old+"-image")
			img.Checks = append(img.Checks, fmt.Sprintf("named %s, not %s: %s's ref is %s too; rename one of them",
				img.Name, old, other.Name, val))
		}
	}
}

// match finds the image each use names (-1 for none) and records the use on it.
func (g *gen) match() []int {
	byName, byAlias := map[string]int{}, map[string][]int{}
	for i, img := range g.images {
		byName[img.Name] = i
		for _, a := range g.aliases(img) {
			if !slices.Contains(byAlias[a], i) {
				byAlias[a] = append(byAlias[a], i)
			}
		}
	}
	targets := make([]int, len(g.uses))
	for k, u := range g.uses {
		t, ok := byName[u.base]
		if !ok {
			t = -1
			if c := byAlias[u.base]; len(c) == 1 {
				t = c[0]
			}
		}
		if t < 0 || t == u.by || g.external(u, t) {
			targets[k] = -1
			continue
		}
		targets[k] = t
		g.images[t].uses = append(g.images[t].uses, u)
	}
	return targets
}

func (g *gen) aliases(img *Image) []string {
	if img.Imported != "" {
		out := []string{img.Name}
		for _, r := range img.refs {
			if u, ok := parseUse(r); ok {
				out = appendOnce(out, u.base)
			}
		}
		return out
	}
	return aliasesOf(img)
}

// external tells a ref of an image built elsewhere from one of the tree's image of that name:
// when the tree's image reads that repository itself (its Dockerfile FROM python:3.12 or
// mvdan/shfmt), it is built on the image the ref names. A ref of an official image
// (busybox, python:3.12) names the tree's image only when the tree builds it under that very
// name (a build command's -t, a Compose image:, a bake tag).
func (g *gen) external(u refUse, t int) bool {
	for _, v := range g.uses {
		if v.by == t && v.prefix == u.prefix && v.base == u.base {
			return true
		}
	}
	if u.prefix != "" {
		return false
	}
	for _, b := range g.tagged {
		if b.by == t && b.prefix == "" && b.base == u.base {
			return false
		}
	}
	return true
}

// chooseRepo takes the repository most refs the tree's images are built as are under
// (Makefile -t, Compose image: keys, bake tags), else the one most refs naming them are under
// (FROM lines after ARG expansion, COPY --from), else a Dockerfile's default for ARG
// DOCKER_REPO, else the root folder's name.
func (g *gen) chooseRepo(targets []int) {
	var built, named vote
	for _, u := range g.tagged {
		if u.prefix != "" && u.prefix != repoSentinel {
			built.add(u.prefix, u.where)
		}
	}
	for k, u := range g.uses {
		if targets[k] >= 0 && u.prefix != repoSentinel && u.prefix != "" {
			named.add(u.prefix, u.where)
		}
	}
	for _, v := range []*vote{&built, &named} {
		if repo, why, n := v.winner(); repo != "" {
			g.repo, g.repoWhy = repo, "from "+why+others(n)
			return
		}
	}
	if d, why := g.argDefault("DOCKER_REPO"); d != "" {
		g.repo, g.repoWhy = d, "from "+why
		return
	}
	g.repo, g.repoWhy = g.found.Root, "the root folder's name: nothing in the tree names a registry or namespace for its images"
}

// chooseTag takes the tag the refs two images or more are built as share, else a
// Dockerfile's default for ARG DOCKER_TAG, else the tag the refs naming two images or more
// share, else DefaultTag.
func (g *gen) chooseTag(targets []int) {
	var built, named vote
	seen := map[string]bool{}
	for _, u := range g.tagged {
		if k := fmt.Sprint(u.tag, "/", u.by); u.tag != tagSentinel && !seen[k] {
			seen[k] = true
			built.add(u.tag, u.where)
		}
	}
	if tag, why, n := built.winner(); n >= 2 {
		g.tag, g.tagWhy = tag, "from "+why+others(n)
		return
	}
	if d, why := g.argDefault("DOCKER_TAG"); d != "" {
		g.tag, g.tagWhy = d, "from "+why
		return
	}
	seen = map[string]bool{}
	for k, u := range g.uses {
		if t := targets[k]; t >= 0 && u.tag != tagSentinel && !seen[fmt.Sprint(u.tag, "/", t)] {
			seen[fmt.Sprint(u.tag, "/", t)] = true
			named.add(u.tag, u.where)
		}
	}
	if tag, why, n := named.winner(); n >= 2 {
		g.tag, g.tagWhy = tag, "from "+why+others(n)
		return
	}
	g.tag = DefaultTag
}

// argDefault is the first default a Dockerfile gives a global ARG, with where it is.
func (g *gen) argDefault(name string) (string, string) {
	for _, img := range g.images {
		if img.text == nil {
			continue
		}
		if d := img.text.defaults[name]; d != nil && *d != "" && !strings.Contains(*d, "$") {
			return *d, fmt.Sprintf("ARG %s=%s in %s:%d", name, *d, img.text.path, img.text.argLine[name])
		}
	}
	return "", ""
}

// assign names each image as the refs naming it say, and gives it image: and tags: for the
// refs its default ref is not.
func (g *gen) assign() {
	for _, img := range g.images {
		if len(img.uses) > 0 && img.Imported == "" {
			g.rename(img)
		}
	}
	for _, img := range g.images {
		g.wire(img)
	}
	for _, img := range g.images {
		groups := groupUses(img.uses)
		for _, grp := range groups {
			u := grp[0]
			if u.follows() && u.base == img.Name && (img.Imported == "" || len(img.refs) == 0) {
				continue // the default ref
			}
			val := u.value(g.repo, g.tag)
			if slices.Contains(img.refs, val) || g.claimed(img, val) {
				continue
			}
			ref := u.config(g.repo, g.tag)
			why := "named so by " + u.where + others(len(grp))
			switch {
			case img.Imported == "" && img.Ref == "" && !hasDefaultUse(img, groups):
				img.Ref = ref
				img.Notes = append(img.Notes, "image: "+why)
			default:
				img.Tags = append(img.Tags, ref)
				img.Notes = append(img.Notes, "tags: "+ref+": "+why)
			}
		}
	}
}

// wire passes an image's default ref to each Dockerfile whose FROM line is a global ARG
// alone (FROM $BASE_IMAGE) whose default names the image: that FROM then follows repo: and
// tag:, as a tag per commit needs, instead of pinning the image to the default's ref.
func (g *gen) wire(img *Image) {
	if img.Imported != "" && len(img.refs) > 0 {
		return
	}
	kept := img.uses[:0]
	for _, u := range img.uses {
		by := g.images[u.by]
		if u.wire == "" || u.follows() || by.Imported != "" {
			kept = append(kept, u)
			continue
		}
		val := repoSentinel + "/" + img.Name + ":" + tagSentinel
		if by.Args == nil {
			by.Args = map[string]string{}
		}
		if by.Args[u.wire] != val {
			by.Args[u.wire], by.args[u.wire] = val, val
			by.Notes = append(by.Notes, fmt.Sprintf("args: %s is %s's ref, so %s follows repo: and tag:",
				u.wire, img.Name, strings.Replace(u.where, " in ", ", which names "+img.Name+" in ", 1)))
		}
	}
	img.uses = kept
}

// rename gives an image the name the refs naming it agree on, when no other image has it.
func (g *gen) rename(img *Image) {
	base := img.uses[0].base
	for _, u := range img.uses {
		if u.base != base {
			return
		}
	}
	if base == img.Name || !nameRE.MatchString(base) {
		return
	}
	for _, other := range g.images {
		if other.Name == base {
			return
		}
	}
	img.Notes = append(img.Notes, fmt.Sprintf("name: %s, as %s calls it (the folder says %s)", base, img.uses[0].where, img.Name))
	img.Name = base
}

// groupUses groups the uses by ref, the most used first, then in order of appearance.
func groupUses(uses []refUse) [][]refUse {
	idx := map[string]int{}
	var groups [][]refUse
	for _, u := range uses {
		k := u.key()
		if i, ok := idx[k]; ok {
			groups[i] = append(groups[i], u)
			continue
		}
		idx[k] = len(groups)
		groups = append(groups, []refUse{u})
	}
	slices.SortStableFunc(groups, func(a, b []refUse) int { return len(b) - len(a) })
	return groups
}

func hasDefaultUse(img *Image, groups [][]refUse) bool {
	for _, grp := range groups {
		if grp[0].follows() && grp[0].base == img.Name {
			return true
		}
	}
	return false
}

// claimed tells whether another image already has the ref (normalised, at the defaults); the
// image then gets a check instead.
func (g *gen) claimed(img *Image, val string) bool {
	for _, other := range g.images {
		if other == img {
			continue
		}
		if slices.Contains(g.refValues(other), val) {
			img.Checks = append(img.Checks, fmt.Sprintf("the tree names %s also by %s, which is %s's ref; "+
				"give one of them another ref", img.Name, val, other.Name))
			return true
		}
	}
	return false
}

// refValues are an image's refs with DOCKER_REPO and DOCKER_TAG at their defaults, normalised.
func (g *gen) refValues(img *Image) []string {
	if img.Imported != "" && len(img.refs) > 0 {
		return append(slices.Clone(img.refs), g.values(img.Tags)...)
	}
	main := img.Ref
	if main == "" {
		main = g.repo + "/" + img.Name + ":" + g.tag
	}
	return g.values(append([]string{main}, img.Tags...))
}

func (g *gen) values(refs []string) []string {
	var out []string
	for _, r := range refs {
		s := strings.NewReplacer("${DOCKER_REPO:-"+g.repo+"}", g.repo, "${DOCKER_TAG:-"+g.tag+"}", g.tag).Replace(r)
		if u, ok := parseUse(s); ok {
			out = append(out, u.value(g.repo, g.tag))
		}
	}
	return out
}

// dependencies writes, for each image, the images its Dockerfile's refs name, and a check for
// a ref under the repo that names no image of the tree.
func (g *gen) dependencies(targets []int) {
	stray := map[string]bool{}
	for k, u := range g.uses {
		by := g.images[u.by]
		t := targets[k]
		if t < 0 {
			if u.prefix == repoSentinel && !stray[u.key()] {
				stray[u.key()] = true
				by.Checks = append(by.Checks, fmt.Sprintf("%s reads %s, under the repo, but no Dockerfile here "+
					"builds an image named %s: add it, or give the image that builds it that name",
					u.what, withoutSentinels(u.config(g.repo, g.tag)), u.base))
			}
			continue
		}
		dep := fmt.Sprintf("%s (%s)", g.images[t].Name, u.what)
		if !slices.ContainsFunc(by.Deps, func(d string) bool { return strings.HasPrefix(d, g.images[t].Name+" (") }) {
			by.Deps = append(by.Deps, dep)
		}
	}
}
