package config

import (
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/containerd/platforms"
	"github.com/moby/patternmatcher"
)

var (
	// imageNameRE is a Docker repository path component: the image name ends up in refs.
	imageNameRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
	otherNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
)

// validate checks what the decoder produced, fills in defaults and resolves paths.
func (d *decoder) validate(p *Project) {
	d.checkTop(p)
	for _, img := range p.Images {
		d.checkImage(p, img)
	}
	d.checkDuplicateRefs()
	d.checkGroups(p)
	d.checkTasks(p)
	sort.Slice(p.Images, func(i, j int) bool { return p.Images[i].Name < p.Images[j].Name })
}

func (d *decoder) checkTop(p *Project) {
	if p.Repo != "" {
		d.checkRepo("repo", p.Repo)
	}
	if p.Tag == "" {
		p.Tag = "latest"
	} else {
		d.checkTag("tag", p.Tag)
	}
	if p.Cache.Repo != "" {
		d.checkRepo("cache.repo", p.Cache.Repo)
	}
	for i, t := range p.Cache.Tags {
		if t != "" {
			d.checkTag(fmt.Sprintf("cache.tags[%d]", i), t)
		}
	}
	p.Cache.Tags = compact(p.Cache.Tags)
	d.checkCacheMode(p)
	p.Builders = compact(p.Builders)
	for i, b := range p.Builders {
		if !strings.Contains(b, "://") {
			d.errField(fmt.Sprintf("builders[%d]", i), "builder %q: want an address such as tcp://host:1234 or unix:///run/buildkit/buildkitd.sock", b)
		}
	}
	d.checkPatterns("exclude", p.Exclude)
	p.Platforms = d.checkPlatforms("platforms", p.Platforms)
	for i, c := range p.Compose {
		f := fmt.Sprintf("compose[%d]", i)
		if !d.bad[f] {
			p.Compose[i], _ = d.projectPath(f, "compose file", c, fileKind)
		}
	}
	d.checkImports(p)
}

func (d *decoder) checkPatterns(field string, patterns []string) {
	for i, pat := range patterns {
		f := fmt.Sprintf("%s[%d]", field, i)
		if d.bad[f] {
			continue
		}
		if _, err := patternmatcher.New([]string{pat}); err != nil {
			d.errField(f, "invalid pattern %q: %v", pat, err)
		}
	}
}

func (d *decoder) checkImage(p *Project, img *Image) {
	f := "images." + img.Name
	if !ValidImageName(img.Name) {
		d.errField(f, "invalid image name %q: use lowercase letters and digits, separated by . _ or -", img.Name)
		d.bad[f] = true
	}
	if d.bad[f] {
		return
	}
	d.checkBuildFiles(img, f, len(p.Compose)+len(p.Bake) > 0)
	for i := range img.Include {
		d.checkInclude(&img.Include[i], fmt.Sprintf("%s.include[%d]", f, i))
	}
	d.checkPatterns(f+".exclude", img.Exclude)
	if img.Platform != "" && !validPlatform(img.Platform) {
		d.errField(f+".platform", "invalid platform %q (expected os/arch[/variant], such as linux/amd64)", img.Platform)
	}
	img.Platforms = d.checkPlatforms(f+".platforms", img.Platforms)
	if img.Platform != "" && len(img.Platforms) > 0 {
		d.errField(f+".platforms", "platform and platforms are both set: keep platform: for one platform, or platforms: for one image index of several")
	}
	if img.Context != "" || img.Dockerfile != "" { // else it extends an import, which gets the default
		p.DefaultPlatforms(img)
	}
	d.checkBuildOpts(img, f)
	d.checkRefs(p, img, f)
	d.checkDependsOn(p, img, f)
	d.checkContexts(p, img, f)
	d.checkSecrets(img, f)
}

// checkPlatforms checks a platform list and returns it without empty strings and repeats.
func (d *decoder) checkPlatforms(field string, list []string) []string {
	var out []string
	for i, s := range list {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case d.bad[f] || s == "":
		case !validPlatform(s):
			d.errField(f, "invalid platform %q (expected os/arch[/variant], such as linux/amd64)", s)
		case slices.Contains(out, s):
			d.errField(f, "platform %q is listed twice", s)
		default:
			out = append(out, s)
		}
	}
	return out
}

func validPlatform(s string) bool {
	_, err := platforms.Parse(s)
	return err == nil
}

// checkBuildFiles checks context and dockerfile. With compose or bake files, an image without
// either may extend a service or target of the same name; the project's import checks that.
func (d *decoder) checkBuildFiles(img *Image, f string, imports bool) {
	cf, df := f+".context", f+".dockerfile"
	switch {
	case d.bad[cf] || d.bad[df]:
	case img.Context == "" && img.Dockerfile == "" && imports:
	case img.Context == "" && img.Dockerfile == "":
		d.errField(f, "needs context or dockerfile")
	case img.Context == "":
		// Without a context, the Dockerfile is relative to the root and its folder is the context.
		if rel, ok := d.relPath(df, img.Dockerfile); ok {
			img.Context, img.Dockerfile = path.Dir(rel), path.Base(rel)
			d.checkDockerfile(img, df)
		}
	default:
		ctx, ok := d.projectPath(cf, "context", img.Context, dirKind)
		if !ok {
			return
		}
		img.Context = ctx
		if img.Dockerfile == "" {
			img.Dockerfile, df = "Dockerfile", cf
		}
		d.checkDockerfile(img, df)
	}
}

// checkDockerfile checks img.Dockerfile, relative to the already checked img.Context, and
// leaves it cleaned. It may lie outside the context, as Docker allows (BuildKit gets it apart
// from the context), but not outside the project root.
func (d *decoder) checkDockerfile(img *Image, field string) {
	if path.IsAbs(img.Dockerfile) || filepath.IsAbs(img.Dockerfile) {
		d.errField(field, "%q is an absolute path; dockerfile is relative to the context", img.Dockerfile)
		return
	}
	rel := path.Join(img.Context, filepath.ToSlash(img.Dockerfile))
	if escapes(rel) {
		d.errField(field, "Dockerfile %q (from the context %q) is outside the project root", img.Dockerfile, img.Context)
		return
	}
	real, ok := d.exists(field, "Dockerfile", rel, fileKind)
	if !ok {
		return
	}
	inside, ok := relTo(img.Context, rel)
	if !ok {
		img.Dockerfile = fromContext(img.Context, rel)
		return
	}
	if ctxReal, err := filepath.EvalSymlinks(filepath.Join(d.root, img.Context)); err == nil && !within(ctxReal, real) {
		d.errField(field, "Dockerfile %q leads outside the context %q through a symlink", rel, img.Context)
		return
	}
	img.Dockerfile = inside
}

// fromContext is the project path p relative to the context folder ctx, slash-separated
// (../base.Dockerfile for a Dockerfile beside the context).
func fromContext(ctx, p string) string {
	r, err := filepath.Rel(filepath.FromSlash(ctx), filepath.FromSlash(p))
	if err != nil {
		return p
	}
	return filepath.ToSlash(r)
}

func (d *decoder) checkInclude(inc *Include, f string) {
	from, to := f, f
	if _, isMap := d.pos[f+".from"]; isMap {
		from, to = f+".from", f+".to"
	}
	if d.bad[f] || d.bad[from] || d.bad[to] {
		return
	}
	rel, ok := d.projectPath(from, "include", inc.From, anyKind)
	if !ok {
		return
	}
	inc.From = rel
	switch {
	case inc.To == "":
		inc.To = rel
	case path.IsAbs(inc.To) || filepath.IsAbs(inc.To):
		d.errField(to, "%q is an absolute path; to is relative to the context", inc.To)
	case hasDotDot(inc.To):
		d.errField(to, "%q must not contain ..", inc.To)
	default:
		inc.To = path.Clean(filepath.ToSlash(inc.To))
	}
}

// relTo is p relative to dir, both cleaned project-relative paths; false when p is not inside.
func relTo(dir, p string) (string, bool) {
	switch {
	case dir == ".":
		return p, !escapes(p)
	case p == dir:
		return ".", true
	case strings.HasPrefix(p, dir+"/"):
		return strings.TrimPrefix(p, dir+"/"), true
	}
	return "", false
}

func hasDotDot(p string) bool {
	for _, part := range strings.Split(filepath.ToSlash(p), "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

func (d *decoder) checkDependsOn(p *Project, img *Image, f string) {
	for i, dep := range img.DependsOn {
		fi := fmt.Sprintf("%s.depends_on[%d]", f, i)
		switch {
		case d.bad[fi]:
		case dep == img.Name:
			d.errField(fi, "an image cannot depend on itself")
		default:
			d.checkImageName(p, fi, dep)
		}
	}
}

// checkImageName reports a name that is not an image of the project.
func (d *decoder) checkImageName(p *Project, field, name string) {
	if p.Image(name) != nil || d.external[name] {
		return
	}
	if name == "" {
		d.errField(field, "empty image name")
		return
	}
	if isGroup(p, name) {
		d.errField(field, "%q is a group; only images can be named here", name)
		return
	}
	d.errField(field, "no image named %q%s", name, DidYouMean(name, imageNames(p)))
}

func (d *decoder) checkContexts(p *Project, img *Image, f string) {
	for _, k := range slices.Sorted(maps.Keys(img.Contexts)) {
		v, fk := img.Contexts[k], f+".contexts."+k
		switch {
		case strings.HasPrefix(v, "image:"):
			if name := strings.TrimPrefix(v, "image:"); name == img.Name {
				d.errField(fk, "an image cannot use itself as a named context")
			} else {
				d.checkImageName(p, fk, name)
			}
		case strings.HasPrefix(v, "docker-image://"):
			d.ref(fk, strings.TrimPrefix(v, "docker-image://"), true)
		case strings.Contains(v, "://"):
			d.errField(fk, "unsupported named context %q: use a project folder, image:NAME or docker-image://REF", v)
		default:
			if rel, ok := d.projectPath(fk, "named context", v, dirKind); ok {
				img.Contexts[k] = rel
			}
		}
	}
}

// checkGroups checks group members: images, or other groups as long as no group ends up
// containing itself.
func (d *decoder) checkGroups(p *Project) {
	for _, g := range slices.Sorted(maps.Keys(p.Groups)) {
		f := "groups." + g
		d.checkName(p, f, "group", g)
		for i, m := range p.Groups[g] {
			fi := fmt.Sprintf("%s[%d]", f, i)
			switch {
			case d.bad[fi] || p.Image(m) != nil:
			case m == g:
				d.errField(fi, "a group cannot contain itself")
			case isGroup(p, m):
				if path := groupPath(p, m, g, map[string]bool{}); path != nil {
					d.errField(fi, "group cycle: %s -> %s", g, strings.Join(path, " -> "))
				}
			case m == "":
				d.errField(fi, "empty name")
			case d.external[m]:
			default:
				all := append(imageNames(p), slices.Sorted(maps.Keys(p.Groups))...)
				d.errField(fi, "no image or group named %q%s", m, DidYouMean(m, all))
			}
		}
	}
}

// groupPath is the chain of groups from group from to group to, both included; nil if none.
func groupPath(p *Project, from, to string, seen map[string]bool) []string {
	if from == to {
		return []string{to}
	}
	if seen[from] {
		return nil
	}
	seen[from] = true
	for _, m := range p.Groups[from] {
		if isGroup(p, m) {
			if rest := groupPath(p, m, to, seen); rest != nil {
				return append([]string{from}, rest...)
			}
		}
	}
	return nil
}

// checkName checks a group or task name: it must be usable on the command line and name one
// thing only.
func (d *decoder) checkName(p *Project, field, what, name string) {
	switch {
	case !otherNameRE.MatchString(name):
		d.errField(field, "invalid %s name %q: use letters, digits, _ . and -, starting with a letter or digit", what, name)
	case p.Image(name) != nil:
		d.errField(field, "%q is already the name of an image (line %d)", name, p.Image(name).Pos.Line)
	case what == "task" && isGroup(p, name):
		d.errField(field, "%q is already the name of a group (line %d)", name, d.pos["groups."+name].Line)
	}
}

func (d *decoder) checkTasks(p *Project) {
	for _, name := range slices.Sorted(maps.Keys(p.Tasks)) {
		t, f := p.Tasks[name], "tasks."+name
		d.checkName(p, f, "task", name)
		if d.bad[f] {
			continue
		}
		if _, ok := d.pos[f+".run"]; !ok {
			d.errField(f, `missing "run"`)
		} else if strings.TrimSpace(t.Run) == "" && !d.bad[f+".run"] {
			d.errField(f+".run", "empty command")
		}
		if t.Dir == "" {
			t.Dir = "."
		} else if !d.bad[f+".dir"] {
			t.Dir, _ = d.projectPath(f+".dir", "task folder", t.Dir, dirKind)
		}
		for i, need := range t.Needs {
			d.checkNeed(p, fmt.Sprintf("%s.needs[%d]", f, i), name, need)
		}
		if t.Restart != "" && t.Restart != "compose" && !d.bad[f+".restart"] {
			d.errField(f+".restart", "unknown restart %q: want compose, or leave restart out to restart the command itself", t.Restart)
		}
	}
}

func (d *decoder) checkNeed(p *Project, field, task, need string) {
	switch {
	case d.bad[field]:
	case need == task:
		d.errField(field, "a task cannot need itself")
	case p.Image(need) != nil || isGroup(p, need) || p.Tasks[need] != nil || d.external[need]:
	case need == "":
		d.errField(field, "empty name")
	default:
		all := append(append(imageNames(p), slices.Sorted(maps.Keys(p.Groups))...), slices.Sorted(maps.Keys(p.Tasks))...)
		d.errField(field, "no image, group or task named %q%s", need, DidYouMean(need, all))
	}
}

func isGroup(p *Project, name string) bool {
	_, ok := p.Groups[name]
	return ok
}

func imageNames(p *Project) []string {
	names := make([]string, len(p.Images))
	for i, img := range p.Images {
		names[i] = img.Name
	}
	return names
}

// compact drops empty strings, such as a tag written ${DOCKER_CACHE_TAG:-} with nothing set.
func compact(list []string) []string {
	var out []string
	for _, s := range list {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ValidImageName tells whether name can be an image's name: a Docker repository path component,
// since the name ends up in the default ref.
func ValidImageName(name string) bool { return imageNameRE.MatchString(name) }

// checkCacheMode checks cache.mode: min (the default) or max.
func (d *decoder) checkCacheMode(p *Project) {
	switch p.Cache.Mode {
	case "", "min", "max":
	default:
		d.errField("cache.mode", "unknown mode %q; want min (the default) or max", p.Cache.Mode)
	}
}
