package run

import (
	"context"
	"fmt"
	"strings"

	"github.com/imagemake/imagemake/internal/engine/buildkit"
	"github.com/imagemake/imagemake/internal/gitinfo"
	"github.com/imagemake/imagemake/internal/plan"
	"github.com/imagemake/imagemake/internal/schedule"
)

// builders is what builds a run: the Docker engine's BuildKit, or a pool of BuildKit daemons;
// and where its warnings go.
type builders struct {
	pool    *buildkit.Pool
	engine  bool // the pool is the Docker engine's BuildKit
	report  func(schedule.Event)
	pending []string // warnings from before the run's output started
}

// backend picks what builds: the BuildKit daemons of --builder (or builders: in
// imagemake.yaml, or $BUILDKIT_HOST), else the Docker engine's own BuildKit. With daemons and
// --push the engine is not needed.
func (s *Run) backend(ctx context.Context, o Options) error {
	addrs := o.Builders
	if len(addrs) == 0 {
		addrs = defaultBuilders(s.Model)
	}
	if err := s.checkBuilders(addrs, o); err != nil {
		return err
	}
	if err := s.checkSSH(); err != nil {
		return err
	}
	if len(addrs) == 0 {
		return s.engineBackend(ctx, o)
	}
	s.bk = &builders{}
	var list []*buildkit.Builder
	var errs []string
	opts := s.daemonOptions(ctx, o)
	for _, addr := range addrs {
		b, err := s.dial(ctx, addr, o, opts) // session.go: kept by a Session
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		list = append(list, b)
	}
	if len(list) == 0 {
		return failed(fmt.Errorf("no builder answers: %s", strings.Join(errs, "; ")))
	}
	for _, e := range errs { // the others build: told once the run's output starts
		s.bk.pending = append(s.bk.pending, e+"; building on the other builders")
	}
	s.bk.pool = buildkit.NewPool(list, o.Jobs, s.bk.warn)
	return s.checkReadFor(s.bk.pool.Platform())
}

// engineBackend builds on the Docker engine's BuildKit, a pool of one.
func (s *Run) engineBackend(ctx context.Context, o Options) error {
	b, err := s.engineBuildKit(ctx)
	if err != nil {
		return failed(fmt.Errorf("cannot build: %w", err))
	}
	s.bk = &builders{engine: true, pool: buildkit.NewPool([]*buildkit.Builder{b}, o.Jobs, nil)}
	return s.checkReadFor(b.Platform())
}

// daemonOptions: TLS, the values of secrets named by variable, loads into the engine, and the
// git annotations of what a daemon pushes (git_annotations).
func (s *Run) daemonOptions(ctx context.Context, o Options) []buildkit.Option {
	opts := []buildkit.Option{buildkit.WithTLS(o.TLS), buildkit.WithEnv(s.Model.Project.Env)}
	if s.Model.Project.GitAnnotations && o.Push {
		opts = append(opts, buildkit.WithAnnotations(gitinfo.Annotations(ctx, s.Model.Root)))
	}
	if s.engine != nil {
		opts = append(opts, buildkit.WithLoader(s.engine.Load))
	}
	return opts
}

// loads tells whether built images go into the local engine: with --load, and without --push
// (a daemon keeps nothing it builds, so `build --builder URL` alone loads).
func loads(o Options) bool { return o.Load || !o.Push }

// checkBuilders refuses what cannot work, before anything is built.
func (s *Run) checkBuilders(addrs []string, o Options) error {
	switch {
	case len(addrs) == 0 && o.Load:
		return badInput(fmt.Errorf("--load goes with --builder: images built by the Docker engine are in it already"))
	case len(addrs) == 0 && s.EngineErr != nil:
		return failed(fmt.Errorf("cannot build: %w", s.EngineErr))
	case len(addrs) > 1 && !o.Push:
		return badInput(fmt.Errorf("a pool of %d builders needs --push: an image built on one builder finds the base image it is built FROM, built on another, only in the registry", len(addrs)))
	case len(addrs) > 0 && loads(o) && s.EngineErr != nil:
		return failed(fmt.Errorf("loading the built images (--load; --push instead needs no engine): %w", s.EngineErr))
	case len(addrs) > 0 && !o.Push:
		return s.baseBuiltToo()
	}
	return nil
}

// baseBuiltToo refuses, without --push, an image to build FROM another image this run builds:
// the daemon looks for its base in the registry, where nothing is pushed.
func (s *Run) baseBuiltToo() error {
	stale := map[string]bool{}
	for _, pi := range s.Images {
		stale[pi.Name] = pi.Status != plan.UpToDate
	}
	for _, pi := range s.Images {
		for _, dep := range s.Model.Graph.DepNames(pi.Name) {
			if stale[pi.Name] && stale[dep] {
				return badInput(s.Model.ImageError(pi.Config, "", fmt.Sprintf(
					"is built on %s, which this run builds too: a BuildKit daemon finds it only in the registry; add --push", dep)))
			}
		}
	}
	return nil
}

// checkSSH refuses, before anything builds, an image to build whose ssh: cannot be forwarded.
func (s *Run) checkSSH() error {
	for _, pi := range s.Images {
		if pi.Status != plan.UpToDate {
			if _, err := s.sshAgents(pi.Config); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *builders) warn(line string) {
	if b.report != nil {
		b.report(schedule.Event{Kind: schedule.Message, Line: "imagemake: warning: " + line})
	}
}

// listen sends the pool's warnings to report, the pending ones first.
func (b *builders) listen(report func(schedule.Event)) {
	if b == nil {
		return
	}
	b.report = report
	for _, w := range b.pending {
		b.warn(w)
	}
}

// jobs is the run's parallelism: jobs per builder.
func (b *builders) jobs(perBuilder int) int {
	if b == nil {
		return perBuilder
	}
	return perBuilder * len(b.pool.Addrs())
}

func (b *builders) close() {
	if b != nil && b.pool != nil { // nil: no builder answered
		b.pool.Close()
	}
}

// where names what builds, for the run's header.
func (s *Run) where() string {
	if s.bk != nil && !s.bk.engine {
		return "BuildKit " + strings.Join(s.bk.pool.Addrs(), ", ")
	}
	return s.engine.Endpoint()
}

// buildWork builds pi on a builder of the pool: with --push, pushed with every ref and its
// inputs tag; built by a daemon, loaded into the engine (--load, or no --push).
func (s *Run) buildWork(pi *plan.Image, o Options) workFunc {
	return func(ctx context.Context, logs func(string)) (schedule.Status, error) {
		req, err := s.buildRequest(ctx, pi, o, logs)
		if err != nil {
			return "", err
		}
		err = s.bk.pool.Run(ctx, pi.Name, req.Deps, func(ctx context.Context, b *buildkit.Builder) error {
			if o.Push && s.stopping() { // waited for a builder while another image failed
				return errNotPushed
			}
			if !s.bk.engine {
				logs("builder: " + b.Addr())
			}
			_, err := b.Build(ctx, req, logs)
			return err
		})
		if err != nil {
			return "", err
		}
		return schedule.Built, s.State.Record(pi.Manifest, true)
	}
}

// buildRequest is the request of pi's build, with its named contexts, pushes and cache.
func (s *Run) buildRequest(ctx context.Context, pi *plan.Image, o Options, logs func(string)) (schedule.Request, error) {
	req, err := s.Request(pi, o)
	if err != nil {
		return req, err
	}
	if o.Push {
		req.Push = append(pi.Config.Refs(), s.inputsTag(pi))
	}
	req.Load = loads(o)
	return req, s.buildkitCache(ctx, pi, o, &req, logs)
}

// namedContexts sends a folder as a local source, "image:NAME" as the image of the project's
// image NAME (from the engine, or the registry for a daemon), anything else (docker-image://, a
// URL) as written.
func (s *Run) namedContexts(pi *plan.Image) (map[string]schedule.NamedContext, error) {
	out := map[string]schedule.NamedContext{}
	for name, v := range pi.Config.Contexts {
		switch {
		case strings.HasPrefix(v, "image:"):
			img := s.Model.Project.Image(strings.TrimPrefix(v, "image:"))
			if img == nil {
				return nil, s.Model.ImageError(pi.Config, "contexts."+name, "no image named "+strings.TrimPrefix(v, "image:"))
			}
			out[name] = schedule.NamedContext{Source: "docker-image://" + img.Ref}
		case strings.Contains(v, "://"):
			out[name] = schedule.NamedContext{Source: v}
		default:
			entries, err := s.Scanner.NamedContext(pi.Config, name)
			if err != nil {
				return nil, err
			}
			out[name] = schedule.NamedContext{Entries: entries, Dir: v}
		}
	}
	pinBases(out, pi.Manifest) // registry.go: a base --pull resolved is built FROM that digest
	return out, nil
}

// buildkitCache imports the registry cache of the image ({cache.repo or repo}/NAME-buildcache)
// when the registry holds it, and the first cache-from candidate the registry holds; with --push
// it exports the build's cache there (cache.mode min or max).
func (s *Run) buildkitCache(ctx context.Context, pi *plan.Image, o Options, req *schedule.Request, logs func(string)) error {
	if s.reg == nil {
		return nil
	}
	ref := buildCacheRef(s.inputsTag(pi))
	if o.Push {
		req.CacheTo, req.CacheMode = ref, s.Model.Project.Cache.Mode
	}
	found, err := s.reg.Lookup(ctx, ref)
	if err != nil {
		return err
	}
	if found != nil {
		req.CacheFrom = append(req.CacheFrom, ref)
	}
	from, err := s.CacheFrom(ctx, pi)
	if err != nil {
		return err
	}
	if from != "" {
		req.CacheFrom = append(req.CacheFrom, from)
	}
	for _, c := range req.CacheFrom {
		logs("cache from " + c)
	}
	return nil
}

// buildCacheRef is the image's registry cache: a repository of its own next to the inputs
// tag's, {cache.repo or repo}/NAME-buildcache:latest. Not a tag of NAME itself: BuildKit pushes
// the image and exports the cache at the same time, and two pushes of the same layers into one
// repository at once can fail ("provided digest did not match uploaded content").
func buildCacheRef(inputsTag string) string {
	return artifactRepo(inputsTag) + "-buildcache:latest"
}
