package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/imagemake/imagemake/internal/engine/docker"
	"github.com/imagemake/imagemake/internal/gitinfo"
	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/lock"
	"github.com/imagemake/imagemake/internal/plan"
	"github.com/imagemake/imagemake/internal/project"
	"github.com/imagemake/imagemake/internal/registry"
)

// session is what plan and build share: the model, the inputs of each image and what the
// engine holds.
type session struct {
	model     *project.Model
	scanner   *inputs.Scanner
	state     *inputs.State
	engine    *docker.Engine
	engineErr error
	bk        *builders // nil: the engine builds
	images    []*plan.Image

	reg        *registry.Client  // nil: no registry named, or --no-reuse
	git        gitinfo.Info      // cache tags from history
	inRegistry map[string]string // image name -> its inputs tag, found in the registry
	failing    atomic.Bool       // a failure stops the run: push nothing more
	restoreGC  func()            // turns the garbage collector back on after planning
	release    func()            // releases the project lock
	asked      chan struct{}     // closed once askEngine has set engine and engineErr
	closeOnce  sync.Once
}

// Close ends the session, whatever the command and however it ends: the garbage collector
// as it was before planning, the project lock released, the engine's and the builders'
// clients closed. It may be called more than once.
func (s *session) Close() {
	s.closeOnce.Do(func() {
		s.restoreGC()
		<-s.asked
		if s.engine != nil {
			s.engine.Close()
		}
		s.bk.close()
		s.release()
	})
}

// lock takes the project's lock when the command asked for it (g.lockAs).
func (g *global) lock(ctx context.Context, root string) (func(), error) {
	if g.lockAs == "" {
		return func() {}, nil
	}
	release, err := lock.Acquire(ctx, filepath.Join(root, inputs.StateDir), g.lockAs, !g.noWait, func(holder string) {
		fmt.Fprintf(g.io.Err, "imagemake: waiting for another imagemake on this project (%s)\n", holder)
	})
	if err != nil {
		return nil, failedErr(err)
	}
	return release, nil
}

// prepare loads the project, asks the engine once for every labelled image and plans names.
// Without an engine (unreachable) the plan says "unknown" and engineErr says why.
func (g *global) prepare(ctx context.Context, names []string, rebuild bool) (*session, error) {
	m, err := g.load(ctx)
	if err != nil {
		return nil, err
	}
	if names, err = m.Expand(names); err != nil {
		return nil, usageErr(err)
	}
	release, err := g.lock(ctx, m.Root)
	if err != nil {
		return nil, err
	}
	s := &session{model: m, state: inputs.OpenState(m.Root), restoreGC: gcOffWhilePlanning(), release: release,
		asked: make(chan struct{})}
	fail := func(err error) (*session, error) { s.Close(); return nil, err } // not only at exit: cli.Run runs in tests
	if s.scanner, err = inputs.NewScanner(m.Project); err != nil {
		return fail(failedErr(err))
	}
	closure := m.Graph.Closure(names)
	s.scanner.Prefetch(m.ImagesNamed(closure)) // walk the trees while the engine answers
	for _, w := range s.scanner.Warnings() {
		fmt.Fprintln(g.io.Err, "imagemake: warning: "+w)
	}
	engine := make(chan map[string]plan.EngineImage, 1)
	go func() { // overlaps the file scan
		defer close(s.asked)
		engine <- s.askEngine(ctx, m.Project.Env)
	}()
	s.images, err = plan.Compute(m, s.scanner, s.state, plan.Options{Names: names, Rebuild: rebuild,
		Engine: func() map[string]plan.EngineImage { return <-engine }})
	if ie := (*inputs.InputError)(nil); errors.As(err, &ie) {
		return fail(usageErr(err)) // the project's files are wrong, as with a bad config
	} else if err != nil {
		return fail(failedErr(err))
	}
	if err := s.scanner.Save(); err != nil {
		return fail(failedErr(err))
	}
	return s, nil
}

func (s *session) askEngine(ctx context.Context, env map[string]string) map[string]plan.EngineImage {
	s.engine, s.engineErr = docker.New(ctx, env)
	if s.engineErr != nil {
		return nil
	}
	images, err := s.engine.Images(ctx)
	if err != nil {
		s.engineErr = err
		return nil
	}
	held := map[string]plan.EngineImage{}
	for ref, img := range images {
		held[ref] = plan.EngineImage{ID: img.ID, Inputs: img.Inputs}
	}
	return held
}

// recordSeen remembers the inputs of the images the engine holds up to date (of every image when
// the engine is unknown), so the next run can explain what changed. A stale image is recorded
// once it is built: until then "never built" stays true.
func (s *session) recordSeen() error {
	for _, pi := range s.images {
		if pi.Status == plan.Stale {
			continue
		}
		if err := s.state.Record(pi.Manifest, true); err != nil {
			return failedErr(err)
		}
	}
	return nil
}
