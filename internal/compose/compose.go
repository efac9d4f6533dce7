// Package compose turns the build: sections of Docker Compose files into imagemake images.
// The files are read with compose-go as `docker compose -f a -f b` reads them: later files
// override earlier ones, the first file's folder is the project directory (relative paths and
// `.env` are found there), the environment feeds interpolation, and services of inactive
// profiles are left out. Every build key is either carried over to the image or named in a
// warning: nothing is dropped silently.
package compose

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/imagemake/imagemake/internal/config"
)

// Options say which Compose files to read and how.
type Options struct {
	Root     string            // the imagemake project's root: the model's paths are relative to it
	Files    []string          // Compose files, relative to Root or absolute
	Env      map[string]string // variables for interpolation; not modified
	Profiles []string          // profiles to activate besides those of COMPOSE_PROFILES
	// Structure skips checking that secret files exist and secret variables are set, for
	// callers that read the files' shape without building (init's scan).
	Structure bool
}

// Service is an image made from a Compose service, with the Compose file that gives its
// build: section (the last one of the files that does).
type Service struct {
	Image *config.Image
	File  string // relative to the project root, slash-separated
}

// Load reads the Compose files and returns an image for every service `docker compose build`
// would build, sorted by name, and warnings about what was not carried over. Ref is the
// service's image: in familiar form with a tag ("acme/web:latest"), or "" when the service has
// none. Its error is an *Errors naming every problem found.
func Load(ctx context.Context, opt Options) ([]Service, []string, error) {
	if len(opt.Files) == 0 {
		return nil, nil, nil
	}
	l, err := newLoader(opt)
	if err != nil {
		return nil, nil, err
	}
	proj, errs := l.load(ctx)
	if errs != nil {
		sortErrors(l, errs)
		return nil, dedupe(l.warnings), &Errors{List: errs}
	}
	var out []Service
	for _, name := range selected(proj) {
		svc, _ := service(proj, name)
		t := &translation{l: l, proj: proj, svc: svc}
		img := t.image()
		errs = append(errs, t.errs...)
		if img != nil {
			file, _ := l.where("services." + name + ".build")
			out = append(out, Service{Image: img, File: l.names[file]})
		}
	}
	if len(errs) > 0 {
		sortErrors(l, errs)
		return nil, dedupe(l.warnings), &Errors{List: errs}
	}
	return out, dedupe(l.warnings), nil
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

// rel is p relative to root when it is below it, else p.
func rel(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(r)
	}
	return p
}

// fromRoot is p as messages show it (config.FromRoot).
func (l *loader) fromRoot(p string) string { return config.FromRoot(l.root, p) }

// Services reads the shape of the files: Load with Structure set, without profiles or warnings.
func Services(ctx context.Context, root string, files []string, env map[string]string) ([]Service, error) {
	svcs, _, err := Load(ctx, Options{Root: root, Files: files, Env: env, Structure: true})
	return svcs, err
}
