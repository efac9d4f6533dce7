package compose

import (
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"

	"github.com/imagemake/imagemake/internal/config"
)

// translation turns one service into an image, collecting every problem instead of stopping
// at the first.
type translation struct {
	l    *loader
	proj *types.Project
	svc  types.ServiceConfig
	errs []Error
	img  *config.Image
	dir  string // the context folder, absolute
}

func (t *translation) field(key string) string { return "services." + t.svc.Name + "." + key }

func (t *translation) fail(key, format string, args ...any) {
	t.errs = append(t.errs, t.l.errAt(t.field(key), format, args...))
}

// warn says that key was not carried over, and why.
func (t *translation) warn(key, format string, args ...any) {
	f := t.field(key)
	file, at := t.l.where(f)
	loc := t.l.names[file]
	if at.Line > 0 {
		loc += fmt.Sprintf(":%d", at.Line)
	}
	t.l.warnings = append(t.l.warnings, f+" in "+loc+" "+fmt.Sprintf(format, args...))
}

// image is the service's image, or nil when the service cannot be one (a warning or an error
// says why).
func (t *translation) image() *config.Image {
	b := t.svc.Build
	if b.DockerfileInline != "" {
		t.warn("build.dockerfile_inline", "is not supported by imagemake: service %s was left out (write the Dockerfile to a file in its context)", t.svc.Name)
		return nil
	}
	t.img = &config.Image{Name: t.svc.Name, Target: b.Target}
	t.ref()
	t.context()
	t.dockerfile()
	t.args()
	if len(b.Labels) > 0 {
		t.img.Labels = maps.Clone(map[string]string(b.Labels))
	}
	t.network()
	t.platform()
	t.tags()
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

func (t *translation) ref() {
	if t.svc.Image == "" {
		return
	}
	ref, err := normalise(t.svc.Image)
	if err != nil {
		t.fail("image", "%v", err)
		return
	}
	t.img.Ref = ref
}

// context checks the build context, which compose-go made absolute against the project
// directory.
func (t *translation) context() {
	dir := t.svc.Build.Context
	if dir == "" {
		dir = t.l.dir
	}
	if remote(dir) {
		t.fail("build.context", "remote context %q: imagemake builds from folders of the project", dir)
		return
	}
	r, err := config.ProjectFolder(t.l.root, dir)
	if err != nil {
		t.fail("build.context", "%v", err)
		return
	}
	t.img.Context, t.dir = r, dir
}

// dockerfile checks the Dockerfile, relative to the context.
func (t *translation) dockerfile() {
	if t.dir == "" {
		return
	}
	given := t.svc.Build.Dockerfile
	df := given
	if df == "" {
		df = "Dockerfile"
	}
	if filepath.IsAbs(df) {
		if r, err := filepath.Rel(t.dir, df); err == nil {
			df = r
		}
	}
	df = path.Clean(filepath.ToSlash(df))
	// Outside the context is fine, as with docker compose (BuildKit gets it apart from the
	// context); outside the project is not.
	abs := filepath.Join(t.dir, filepath.FromSlash(df))
	if _, ok := config.Inside(t.l.root, abs); !ok || path.IsAbs(df) {
		t.fail("build.dockerfile", "%q is outside the project root", given)
		return
	}
	if st, err := os.Stat(filepath.Join(t.dir, filepath.FromSlash(df))); err != nil || st.IsDir() {
		t.fail("build.dockerfile", "%s is not a file (from the project root)", path.Join(t.img.Context, df))
		return
	}
	t.img.Dockerfile = df
}

// args are the build args; one given without a value takes the environment's (or .env's), as
// docker compose does, and is left out when that has none.
func (t *translation) args() {
	for k, v := range t.svc.Build.Args {
		if v == nil {
			val, ok := t.proj.Environment[k]
			if !ok {
				continue
			}
			v = &val
		}
		if t.img.Args == nil {
			t.img.Args = map[string]string{}
		}
		t.img.Args[k] = *v
	}
}

// network is carried over when BuildKit knows it; a container network is not one of those.
func (t *translation) network() {
	switch n := t.svc.Build.Network; n {
	case "", "default", "none", "host":
		t.img.Network = n
	default:
		t.warn("build.network", "is %q, which BuildKit does not take (default, none, host): it was ignored", n)
	}
}

// platform is what the service is built for: build.platforms when it lists one or several
// (one image index of them all, as compose builds it), else the service's platform.
func (t *translation) platform() {
	key, p := "build.platforms[0]", ""
	switch ps := t.svc.Build.Platforms; {
	case len(ps) == 1:
		p = ps[0]
	case len(ps) > 1:
		t.platforms(ps)
		return
	default:
		key, p = "platform", t.svc.Platform
	}
	if p == "" {
		return
	}
	if _, err := platforms.Parse(p); err != nil {
		t.fail(key, "invalid platform %q (expected os/arch[/variant], such as linux/amd64)", p)
		return
	}
	t.img.Platform = p
}

// platforms are the platforms of a multi-platform image, each checked, each once.
func (t *translation) platforms(ps []string) {
	var list []string
	for i, p := range ps {
		if _, err := platforms.Parse(p); err != nil {
			t.fail(fmt.Sprintf("build.platforms[%d]", i), "invalid platform %q (expected os/arch[/variant], such as linux/amd64)", p)
			return
		}
		if !slices.Contains(list, p) {
			list = append(list, p)
		}
	}
	t.img.Platforms = list
}

func (t *translation) tags() {
	for i, tag := range t.svc.Build.Tags {
		ref, err := normalise(tag)
		if err != nil {
			t.fail(fmt.Sprintf("build.tags[%d]", i), "%v", err)
			continue
		}
		t.img.Tags = append(t.img.Tags, ref)
	}
}

// contexts are the named contexts: a folder (made absolute by compose-go) becomes
// project-relative, service:NAME becomes image:NAME, docker-image:// is kept.
func (t *translation) contexts() {
	for _, name := range slices.Sorted(maps.Keys(t.svc.Build.AdditionalContexts)) {
		v := t.svc.Build.AdditionalContexts[name]
		key := "build.additional_contexts." + name
		switch {
		case strings.HasPrefix(v, types.ServicePrefix):
			v = "image:" + strings.TrimPrefix(v, types.ServicePrefix)
		case strings.HasPrefix(v, "docker-image://"):
		case remote(v):
			t.fail(key, "unsupported context %q: use a project folder, service:NAME or docker-image://REF", v)
			continue
		default:
			r, err := config.ProjectFolder(t.l.root, v)
			if err != nil {
				t.fail(key, "%v", err)
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

// secrets are the build secrets: each names a top-level secret with file: or environment:, as
// docker compose passes them to BuildKit (id: the target if given, else the secret's name).
func (t *translation) secrets() {
	for i, s := range t.svc.Build.Secrets {
		key := fmt.Sprintf("build.secrets[%d]", i)
		def, ok := t.proj.Secrets[s.Source]
		if !ok {
			t.fail(key, "no secret %q in the top-level secrets:", s.Source)
			continue
		}
		sec := config.Secret{ID: s.Source}
		if s.Target != "" {
			sec.ID = s.Target
		}
		switch {
		case def.File != "":
			if st, err := os.Stat(def.File); !t.l.opt.Structure && (err != nil || !st.Mode().IsRegular()) {
				t.fail(key, "secret %q: %s (secrets.%s.file) is not a file", s.Source, t.l.fromRoot(def.File), s.Source)
				continue
			}
			sec.Src = def.File
			if r, ok := config.Inside(t.l.root, def.File); ok {
				sec.Src = r
			}
		case def.Environment != "":
			if _, set := t.l.opt.Env[def.Environment]; !set && !t.l.opt.Structure {
				t.fail(key, "secret %q: environment variable %q is not set", s.Source, def.Environment)
				continue
			}
			sec.Env = def.Environment
		default:
			t.fail(key, "secret %q has neither file: nor environment: (secrets.%s): builds take only those", s.Source, s.Source)
			continue
		}
		if s.UID != "" || s.GID != "" || s.Mode != nil {
			t.warn(key, "sets uid, gid or mode, which BuildKit does not take for build secrets: they were ignored")
		}
		t.img.Secrets = append(t.img.Secrets, sec)
	}
}

// ssh is in docker build --ssh form: "default", or ID=PATH (made absolute by compose-go).
func (t *translation) ssh() {
	keys := slices.Clone(t.svc.Build.SSH)
	slices.SortFunc(keys, func(a, b types.SSHKey) int { return strings.Compare(a.ID, b.ID) })
	for _, k := range keys {
		if k.Path == "" {
			t.img.SSH = append(t.img.SSH, k.ID)
		} else {
			t.img.SSH = append(t.img.SSH, k.ID+"="+k.Path)
		}
	}
}

// cacheFrom takes image refs, written alone or as type=registry,ref=REF; other cache types
// (local, gha, s3...) are not images imagemake can check.
func (t *translation) cacheFrom() {
	for i, c := range t.svc.Build.CacheFrom {
		key := fmt.Sprintf("build.cache_from[%d]", i)
		ref, ok := cacheRef(c)
		if !ok {
			t.warn(key, "is %q, which is not an image ref: imagemake takes image refs (REF or type=registry,ref=REF); it was ignored", c)
			continue
		}
		if _, err := reference.ParseNormalizedNamed(ref); err != nil {
			t.fail(key, "invalid image reference %q: %v", ref, err)
			continue
		}
		t.img.CacheFrom = append(t.img.CacheFrom, ref)
	}
}

func cacheRef(c string) (string, bool) {
	if !strings.Contains(c, "=") {
		return c, true
	}
	attrs := map[string]string{}
	for _, kv := range strings.Split(c, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		attrs[k] = v
	}
	if attrs["type"] != "registry" || attrs["ref"] == "" {
		return "", false
	}
	return attrs["ref"], true
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

// remote says whether a context is a URL or git address rather than a folder.
func remote(s string) bool {
	if strings.Contains(s, "://") || strings.HasPrefix(s, "git@") || strings.HasPrefix(s, "github.com/") {
		return true
	}
	return false
}
