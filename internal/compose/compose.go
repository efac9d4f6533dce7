// Package compose turns the build: sections of Docker Compose files into imagemake images. The
// files are loaded with compose-go as one project, the way `docker compose -f a -f b` does:
// later files override earlier ones, `.env` in the project root and the environment feed
// interpolation.
package compose

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/distribution/reference"
	"github.com/goccy/go-yaml"
	"github.com/sirupsen/logrus"

	"github.com/imagemake/imagemake/internal/config"
)

// Service is an image made from a compose service, with the compose file that gives its
// build: section (the last one of the files that does).
//
// build.cache_from is dropped: imagemake computes its own cache-from candidates (cache: in
// imagemake.yaml). Other build keys imagemake has no field for (ssh, secrets, platforms, ...)
// are ignored too.
type Service struct {
	Image *config.Image
	File  string // project-relative, slash-separated
}

// Error is a problem with a compose service, named by file and field.
type Error struct {
	File  string // the compose file, project-relative
	Field string // such as services.api.build.context
	Msg   string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.File + ": " + e.Msg
	}
	return e.File + ": " + e.Field + ": " + e.Msg
}

var logMu sync.Mutex

// Images loads the compose files (project-relative or absolute) of the project at root as one
// Compose project and returns an image for every service with a build: section, sorted by
// name. Ref is the service's image: in familiar form with a tag ("acme/web:latest"), or "" when
// the service has none. env holds the variables for interpolation; it is not modified.
func Images(ctx context.Context, root string, files []string, env map[string]string) ([]*config.Image, error) {
	svcs, err := Services(ctx, root, files, env)
	if err != nil {
		return nil, err
	}
	var out []*config.Image
	for _, s := range svcs {
		out = append(out, s.Image)
	}
	return out, nil
}

// Services is Images with the compose file each image comes from.
func Services(ctx context.Context, root string, files []string, env map[string]string) ([]Service, error) {
	if len(files) == 0 {
		return nil, nil
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	abs := make([]string, len(files))
	for i, f := range files {
		if filepath.IsAbs(f) {
			abs[i] = f
		} else {
			abs[i] = filepath.Join(root, filepath.FromSlash(f))
		}
	}
	name := func(i int) string { return rel(root, abs[i]) }

	envList := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		envList = append(envList, k+"="+env[k])
	}
	fns := []cli.ProjectOptionsFn{
		cli.WithName("imagemake"),
		cli.WithWorkingDirectory(root),
		cli.WithEnv(envList),
	}
	// .env in the project root, as Compose reads it from the project directory; variables of
	// the environment win over it.
	if st, err := os.Stat(filepath.Join(root, ".env")); err == nil && !st.IsDir() {
		fns = append(fns, cli.WithEnvFiles(filepath.Join(root, ".env")), cli.WithDotEnv)
	}
	fns = append(fns, cli.WithInterpolation(true))
	opts, err := cli.NewProjectOptions(abs, fns...)
	if err != nil {
		return nil, &Error{File: name(0), Msg: err.Error()}
	}

	// compose-go logs warnings (obsolete version:, ...) through logrus: keep them quiet.
	logMu.Lock()
	logger := logrus.StandardLogger()
	out, level := logger.Out, logger.GetLevel()
	logger.SetOutput(io.Discard)
	logger.SetLevel(logrus.PanicLevel)
	proj, err := cli.ProjectFromOptions(ctx, opts)
	logger.SetOutput(out)
	logger.SetLevel(level)
	logMu.Unlock()
	if err != nil {
		return nil, &Error{File: strings.Join(namesOf(root, abs), ", "), Msg: err.Error()}
	}

	defined := buildFiles(abs)
	var images []Service
	for _, svcName := range slices.Sorted(maps.Keys(proj.Services)) {
		svc := proj.Services[svcName]
		if svc.Build == nil {
			continue
		}
		file := name(len(abs) - 1)
		if i, ok := defined[svcName]; ok {
			file = name(i)
		}
		img, err := image(root, file, svc)
		if err != nil {
			return nil, err
		}
		images = append(images, Service{Image: img, File: file})
	}
	return images, nil
}

func namesOf(root string, abs []string) []string {
	out := make([]string, len(abs))
	for i, a := range abs {
		out[i] = rel(root, a)
	}
	return out
}

// buildFiles returns, for each service, the index of the last file that has a build: for it:
// the file errors about that service name. Files that do not parse are skipped (compose-go
// reported them already).
func buildFiles(abs []string) map[string]int {
	out := map[string]int{}
	for i, f := range abs {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var doc struct {
			Services map[string]map[string]any `yaml:"services"`
		}
		if yaml.Unmarshal(data, &doc) != nil {
			continue
		}
		for svc, body := range doc.Services {
			if _, ok := body["build"]; ok {
				out[svc] = i
			}
		}
	}
	return out
}

func image(root, file string, svc types.ServiceConfig) (*config.Image, error) {
	b := svc.Build
	f := "services." + svc.Name
	fail := func(field, format string, args ...any) error {
		return &Error{File: file, Field: f + field, Msg: fmt.Sprintf(format, args...)}
	}
	img := &config.Image{Name: svc.Name, Target: b.Target, Network: b.Network}

	if svc.Image != "" {
		ref, err := normalise(svc.Image)
		if err != nil {
			return nil, fail(".image", "%v", err)
		}
		img.Ref = ref
	}

	ctxDir := b.Context
	if ctxDir == "" {
		ctxDir = "."
	}
	if strings.Contains(ctxDir, "://") || strings.HasPrefix(ctxDir, "git@") {
		return nil, fail(".build.context", "remote context %q: imagemake builds from folders of the project", ctxDir)
	}
	if !filepath.IsAbs(ctxDir) {
		ctxDir = filepath.Join(root, ctxDir)
	}
	ctxRel, ok := inside(root, ctxDir)
	if !ok {
		return nil, fail(".build.context", "%q is outside the project root %s", b.Context, root)
	}
	if st, err := os.Stat(ctxDir); err != nil || !st.IsDir() {
		return nil, fail(".build.context", "%q is not a folder", b.Context)
	}
	img.Context = ctxRel

	if b.DockerfileInline != "" {
		return nil, fail(".build.dockerfile_inline", "inline Dockerfiles are not supported: write it to a file")
	}
	df := b.Dockerfile
	if df == "" {
		df = "Dockerfile"
	}
	if filepath.IsAbs(df) {
		r, err := filepath.Rel(ctxDir, df)
		if err != nil {
			return nil, fail(".build.dockerfile", "%v", err)
		}
		df = r
	}
	df = path.Clean(filepath.ToSlash(df))
	if df == ".." || strings.HasPrefix(df, "../") {
		return nil, fail(".build.dockerfile", "Dockerfile %q is outside the context %q: the context is sent as a tar, so the Dockerfile must be inside it", b.Dockerfile, img.Context)
	}
	if st, err := os.Stat(filepath.Join(ctxDir, filepath.FromSlash(df))); err != nil || st.IsDir() {
		return nil, fail(".build.dockerfile", "%q is not a file in the context %q", df, img.Context)
	}
	img.Dockerfile = df

	for k, v := range b.Args {
		if v == nil { // not set and not in the environment: Compose leaves it out too
			continue
		}
		if img.Args == nil {
			img.Args = map[string]string{}
		}
		img.Args[k] = *v
	}
	if len(b.Labels) > 0 {
		img.Labels = maps.Clone(map[string]string(b.Labels))
	}
	for i, t := range b.Tags {
		ref, err := normalise(t)
		if err != nil {
			return nil, fail(fmt.Sprintf(".build.tags[%d]", i), "%v", err)
		}
		img.Tags = append(img.Tags, ref)
	}
	for _, k := range slices.Sorted(maps.Keys(b.AdditionalContexts)) {
		v := b.AdditionalContexts[k]
		field := ".build.additional_contexts." + k
		if img.Contexts == nil {
			img.Contexts = map[string]string{}
		}
		switch {
		case strings.HasPrefix(v, "service:"):
			img.Contexts[k] = "image:" + strings.TrimPrefix(v, "service:")
		case strings.HasPrefix(v, "docker-image://"):
			img.Contexts[k] = v
		case strings.Contains(v, "://"):
			return nil, fail(field, "unsupported context %q: use a project folder, service:NAME or docker-image://REF", v)
		default:
			dir := v
			if !filepath.IsAbs(dir) {
				dir = filepath.Join(ctxDir, dir)
			}
			r, ok := inside(root, dir)
			if !ok {
				return nil, fail(field, "%q is outside the project root %s", v, root)
			}
			img.Contexts[k] = r
		}
	}
	// build.cache_from is dropped on purpose: imagemake's cache: section decides cache-from.
	return img, nil
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

// inside returns p relative to root, slash-separated, when p is root or below it, following
// symlinks on both sides.
func inside(root, p string) (string, bool) {
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	r, err := filepath.Rel(root, p)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) || filepath.IsAbs(r) {
		return "", false
	}
	return filepath.ToSlash(r), true
}

func rel(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return p
}
