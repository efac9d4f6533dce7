package bake

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	bk "github.com/docker/buildx/bake"
	"github.com/docker/buildx/util/urlutil"

	"github.com/imagemake/imagemake/internal/config"
)

// translation turns one resolved target (inherits applied, defaults filled by bake) into an
// image, collecting every problem instead of stopping at the first.
type translation struct {
	r          *reader
	name       string // the bake target's name
	t          *bk.Target
	imageNames map[string]string // bake target -> image name
	errs       []Error
	img        *config.Image
	dir        string // the context folder, absolute
}

func (t *translation) fail(field, format string, args ...any) {
	t.errs = append(t.errs, t.r.errAt(t.name, field, format, args...))
}

// warn says that field was not carried over, and why.
func (t *translation) warn(field, format string, args ...any) {
	file, at, from := t.r.pos.field(t.name, field)
	loc := file
	if at.Line > 0 {
		loc += fmt.Sprintf(":%d", at.Line)
	}
	if from != "" {
		loc += " (inherited from target " + from + ")"
	}
	t.r.warnings = append(t.r.warnings, "target."+t.name+"."+field+" in "+loc+" "+fmt.Sprintf(format, args...))
}

// image is the target's image, or nil when the target cannot be one (a warning or an error
// says why).
func (t *translation) image() *config.Image {
	if t.t.DockerfileInline != nil {
		t.warn("dockerfile-inline", "is not supported by imagemake: target %s was left out (write the Dockerfile to a file in its context)", t.name)
		return nil
	}
	t.img = &config.Image{Name: t.imageNames[t.name], Target: deref(t.t.Target)}
	t.tags()
	t.context()
	t.dockerfile()
	t.img.Args = values(t.t.Args)
	t.img.Labels = values(t.t.Labels)
	t.network()
	t.platform()
	t.contexts()
	t.secrets()
	t.ssh()
	t.cacheFrom()
	t.ignored()
	if len(t.errs) > 0 {
		return nil
	}
	return t.img
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// values are args or labels with a value: bake leaves a null one unset.
func values(m map[string]*string) map[string]string {
	var out map[string]string
	for k, v := range m {
		if v == nil {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = *v
	}
	return out
}

// tags: the first is the image's ref, the others its extra tags.
func (t *translation) tags() {
	for i, tag := range t.t.Tags {
		ref, err := normalise(tag)
		if err != nil {
			t.fail("tags", "tags[%d]: %v", i, err)
			continue
		}
		if i == 0 {
			t.img.Ref = ref
		} else {
			t.img.Tags = append(t.img.Tags, ref)
		}
	}
}

// local is a path of the bake file as bake resolves it: relative to the folder bake runs in
// (the root; bake has already rebased it when paths are file-relative), cwd:// meaning that
// folder too.
func (t *translation) local(p string) string {
	p = strings.TrimPrefix(p, "cwd://")
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(t.r.opt.Root, filepath.FromSlash(p))
}

// folder is the project-relative folder p names, or a failure of field.
func (t *translation) folder(field, what, p string) (string, string, bool) {
	abs := t.local(p)
	r, err := config.ProjectFolder(t.r.opt.Root, abs)
	if err != nil {
		t.fail(field, "%s %v", what, err)
		return "", "", false
	}
	return r, abs, true
}

func (t *translation) context() {
	c := deref(t.t.Context) // bake's default is "."
	if c == "-" || urlutil.IsRemoteURL(c) {
		t.fail("context", "context %q: imagemake builds from folders of the project", c)
		return
	}
	t.img.Context, t.dir, _ = t.folder("context", "context", c)
}

// dockerfile is relative to the context, as bake takes it (cwd:// makes it relative to the
// root); it may lie outside the context, as with buildx, but not outside the project root.
func (t *translation) dockerfile() {
	if t.dir == "" {
		return
	}
	given := deref(t.t.Dockerfile) // bake's default is Dockerfile
	abs := filepath.Join(t.dir, filepath.FromSlash(given))
	if strings.HasPrefix(given, "cwd://") || filepath.IsAbs(given) {
		abs = t.local(given)
	}
	df, err := filepath.Rel(t.dir, abs)
	df = filepath.ToSlash(df)
	if _, ok := config.Inside(t.r.opt.Root, abs); err != nil || !ok {
		t.fail("dockerfile", "%q is outside the project root", given)
		return
	}
	if st, err := os.Stat(abs); err != nil || st.IsDir() {
		t.fail("dockerfile", "%s is not a file (from the project root)", path.Join(t.img.Context, df))
		return
	}
	t.img.Dockerfile = df
}

// network is carried over when BuildKit knows it.
func (t *translation) network() {
	switch n := deref(t.t.NetworkMode); n {
	case "", "default", "none", "host":
		t.img.Network = n
	default:
		t.warn("network", "is %q, which BuildKit does not take (default, none, host): it was ignored", n)
	}
}

// platform is what the target is built for: one platform, or one image index of several.
func (t *translation) platform() {
	switch ps := t.t.Platforms; {
	case len(ps) > 1:
		t.platforms(ps)
	case len(ps) == 1 && ps[0] == "local":
		// buildx's name for the platform of the machine that builds: the builder's.
	case len(ps) == 1:
		if _, err := platforms.Parse(ps[0]); err != nil {
			t.fail("platforms", "invalid platform %q (expected os/arch[/variant], such as linux/amd64)", ps[0])
			return
		}
		t.img.Platform = ps[0]
	}
}

// platforms are the platforms of a multi-platform image, each checked, each once. "local"
// (the builder's) has no place in a list: an index names each of its platforms.
func (t *translation) platforms(ps []string) {
	var list []string
	for _, p := range ps {
		if _, err := platforms.Parse(p); err != nil || p == "local" {
			t.fail("platforms", "invalid platform %q in a list of several (expected os/arch[/variant], such as linux/amd64)", p)
			return
		}
		if !slices.Contains(list, p) {
			list = append(list, p)
		}
	}
	t.img.Platforms = list
}

// contexts are the named contexts: target:NAME becomes image:NAME (a dependency on that
// image), docker-image:// is kept, a folder becomes project-relative.
func (t *translation) contexts() {
	for _, name := range sortedKeys(t.t.Contexts) {
		v := t.t.Contexts[name]
		field := "contexts." + name
		switch {
		case strings.HasPrefix(v, "target:"):
			target := strings.TrimPrefix(v, "target:")
			img := t.imageNames[target]
			if img == "" {
				t.fail("contexts", "%s: target %q is not an image imagemake can build", name, target)
				continue
			}
			v = "image:" + img
		case strings.HasPrefix(v, "docker-image://"):
			if _, err := reference.ParseNormalizedNamed(strings.TrimPrefix(v, "docker-image://")); err != nil {
				t.fail("contexts", "%s: invalid image reference in %q: %v", name, v, err)
				continue
			}
		case strings.HasPrefix(v, "oci-layout://") || urlutil.IsRemoteURL(v):
			t.fail("contexts", "%s: unsupported context %q: use a project folder, target:NAME or docker-image://REF", name, v)
			continue
		default:
			r, _, ok := t.folder("contexts", field, v)
			if !ok {
				continue
			}
			v = r
		}
		if t.img.Contexts == nil {
			t.img.Contexts = map[string]string{}
		}
		t.img.Contexts[name] = v
	}
}

// secrets keep bake's default source: a secret with neither src nor env reads the variable
// named by its id when it is set, else the file of that name (BuildKit's rule).
func (t *translation) secrets() {
	for _, s := range t.t.Secrets {
		sec := config.Secret{ID: s.ID, Src: s.FilePath, Env: s.Env}
		if sec.Src == "" && sec.Env == "" {
			if _, set := t.r.vars[s.ID]; set {
				sec.Env = s.ID
			} else {
				sec.Src = s.ID
			}
		}
		switch {
		case sec.Env != "":
			if _, set := t.r.vars[sec.Env]; !set {
				t.fail("secret", "secret %q: environment variable %q is not set", s.ID, sec.Env)
				continue
			}
		default:
			abs := t.local(sec.Src)
			if st, err := os.Stat(abs); err != nil || !st.Mode().IsRegular() {
				t.fail("secret", "secret %q: %s is not a file (from the project root)", s.ID, config.FromRoot(t.r.opt.Root, abs))
				continue
			}
			sec.Src = abs
			if r, ok := config.Inside(t.r.opt.Root, abs); ok {
				sec.Src = r
			}
		}
		t.img.Secrets = append(t.img.Secrets, sec)
	}
}

// ssh is in docker build --ssh form: "default", or ID=PATH[,PATH] with paths made absolute
// against the root.
func (t *translation) ssh() {
	for _, k := range t.t.SSH {
		if len(k.Paths) == 0 {
			t.img.SSH = append(t.img.SSH, k.ID)
			continue
		}
		paths := make([]string, len(k.Paths))
		for i, p := range k.Paths {
			paths[i] = t.local(p)
		}
		t.img.SSH = append(t.img.SSH, k.ID+"="+strings.Join(paths, ","))
	}
}

// cacheFrom takes registry caches, whose ref imagemake can check; other cache types (local,
// gha, s3...) are not images.
func (t *translation) cacheFrom() {
	for _, c := range t.t.CacheFrom {
		ref := c.Attrs["ref"]
		if c.Type != "registry" || ref == "" {
			t.warn("cache-from", "has a %s cache (%s), which is not an image ref: imagemake takes registry caches; it was ignored", c.Type, c.String())
			continue
		}
		if _, err := reference.ParseNormalizedNamed(ref); err != nil {
			t.fail("cache-from", "invalid image reference %q: %v", ref, err)
			continue
		}
		t.img.CacheFrom = append(t.img.CacheFrom, ref)
	}
}

// normalise gives a ref in the form imagemake stores: familiar, with a tag.
func normalise(s string) (string, error) {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return "", fmt.Errorf("invalid image reference %q: %v", s, err)
	}
	if _, ok := named.(reference.Digested); ok {
		return "", fmt.Errorf("image reference %q has a digest: imagemake tags the images it builds", s)
	}
	return reference.FamiliarString(reference.TagNameOnly(named)), nil
}
