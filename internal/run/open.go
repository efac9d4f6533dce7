package run

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/imagemake/imagemake/internal/engine/docker"
	"github.com/imagemake/imagemake/internal/gitinfo"
	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/lock"
	"github.com/imagemake/imagemake/internal/plan"
	"github.com/imagemake/imagemake/internal/project"
)

// Run is what plan, explain, build and push share: the model, the inputs of each image and
// what the engine holds; with Build or Push, what builds and what the registry holds.
type Run struct {
	Model     *project.Model
	Scanner   *inputs.Scanner
	State     *inputs.State
	Images    []*plan.Image // the planned images, in build order
	EngineErr error         // why the engine cannot be reached (nil: it can): statuses are "unknown"

	engine     Engine
	bk         *builders           // nil: the engine builds
	reg        Registry            // nil: no registry named, or --no-reuse
	git        func() gitinfo.Info // cache tags from history, read from git once first asked (history)
	contextKey func() string       // the repository's part of the builder's shared keys, once asked
	inRegistry map[string]string   // image name -> its inputs tag, found in the registry
	failing    atomic.Bool         // a failure stops the run: push nothing more
	restoreGC  func()              // turns the garbage collector back on after planning
	release    func()              // releases the project lock
	asked      chan struct{}       // closed once askEngine has set engine and engineErr
	kept       *Session            // nil: the run's own connections, closed with it
	closeOnce  sync.Once
}

// Close ends the session, whatever the command and however it ends: the garbage collector
// as it was before planning, the project lock released, the engine's and the builders'
// clients closed. It may be called more than once.
func (s *Run) Close() {
	s.closeOnce.Do(func() {
		s.restoreGC()
		<-s.asked
		if s.kept != nil { // a Session's stay open for the next run
			s.kept.idle()
		} else {
			if s.engine != nil {
				s.engine.Close()
			}
			s.bk.close()
		}
		s.release()
	})
}

// OpenOptions say how a run is opened.
type OpenOptions struct {
	Names   []string // images and groups to plan (none: all)
	Rebuild bool     // --always-make: plan every image stale
	// LockAs, when set, takes the project's lock for this command ("imagemake build"); NoWait
	// fails instead of waiting for another process's lock.
	LockAs string
	NoWait bool
	// Pull says whether to resolve the external bases to their registry digests (--pull,
	// --pull=false); nil leaves it to the config's pull:.
	Pull *bool
	Warn func(string) // warnings, one line each, before a run's events start
	// Waiting is told once, with who holds it, when the lock is held by another process.
	Waiting func(holder string)
	// Scanner, when set, is the scanner to plan with instead of a new one: watch keeps one,
	// with its listings and hashes, from a round to the next (see inputs.Scanner.Forget).
	Scanner *inputs.Scanner
	// State, when set, is the state to plan with instead of a new one (watch keeps one, with
	// the manifests it recorded in memory); NoSave leaves the stat cache unsaved, for the
	// caller to save once the builds started (Scanner.Save).
	State  *inputs.State
	NoSave bool
	// Session, when set, holds the connections to the engine and the builders from one run to
	// the next (watch's rounds): the run takes them from it and leaves them open.
	Session *Session
}

func (o OpenOptions) warn(line string) {
	if o.Warn != nil {
		o.Warn(line)
	}
}

// lockProject takes the project's lock when o asks for it.
func lockProject(ctx context.Context, root string, o OpenOptions) (func(), error) {
	if o.LockAs == "" {
		return func() {}, nil
	}
	release, err := lock.Acquire(ctx, filepath.Join(root, inputs.StateDir), o.LockAs, !o.NoWait, o.Waiting)
	if err != nil {
		return nil, failed(err)
	}
	return release, nil
}

// Open plans the run of m: takes the lock when asked, asks the engine once for every labelled
// image and plans o.Names. Without an engine (unreachable) the plan says "unknown" and EngineErr
// says why. The garbage collector is off until the builds start or Close; every Run that Open
// returns must be closed.
func Open(ctx context.Context, m *project.Model, o OpenOptions) (*Run, error) {
	names, err := m.Expand(o.Names)
	if err != nil {
		return nil, badInput(err)
	}
	release, err := lockProject(ctx, m.Root, o)
	if err != nil {
		return nil, err
	}
	s := &Run{Model: m, State: o.State, restoreGC: gcOffWhilePlanning(), release: release,
		asked: make(chan struct{}), kept: o.Session}
	if s.State == nil {
		s.State = inputs.OpenState(m.Root)
	}
	root := m.Root // git runs only when a build asks: a no-op build asks git nothing
	s.contextKey = sync.OnceValue(func() string { return contextKey(ctx, root) })
	fail := func(err error) (*Run, error) { s.Close(); return nil, err } // not only at exit: cli.Run runs in tests
	// Before the scanner narrows with the Dockerfiles.
	if w := readForBuilder(ctx, m); w != "" {
		o.warn(w)
	}
	if s.Scanner = o.Scanner; s.Scanner == nil {
		if s.Scanner, err = inputs.NewScanner(m.Project, inputs.WithDockerfiles(m.Dockerfiles)); err != nil {
			return fail(failed(err))
		}
	}
	closure := m.Graph.Closure(names)
	s.Scanner.Prefetch(m.ImagesNamed(closure)) // walk the trees while the engine answers
	for _, w := range s.Scanner.Warnings() {
		o.warn(w)
	}
	engine := make(chan map[string]plan.EngineImage, 1)
	go func() { // overlaps the file scan
		defer close(s.asked)
		engine <- s.askEngine(ctx, o.warn)
	}()
	s.Images, err = plan.Compute(m, s.Scanner, s.State, plan.Options{Names: names, Rebuild: o.Rebuild, Pull: basePuller(ctx, m, Pulling(o.Pull, m.Project.Pull)),
		Engine: func() map[string]plan.EngineImage { return <-engine }})
	if ie := (*inputs.InputError)(nil); errors.As(err, &ie) {
		return fail(badInput(err)) // the project's files are wrong, as with a bad config
	} else if err != nil {
		return fail(failed(err))
	}
	for _, w := range s.State.Warnings() { // damaged state files, taken as absent
		o.warn(w)
	}
	if o.NoSave {
		return s, nil
	}
	if err := s.Scanner.Save(); err != nil {
		return fail(failed(err))
	}
	return s, nil
}

func (s *Run) askEngine(ctx context.Context, warn func(string)) map[string]plan.EngineImage {
	e, images, err := s.engineImages(ctx, warn)
	if e != nil {
		s.engine = e
	}
	if err != nil {
		s.EngineErr = err
		return nil
	}
	held := map[string]plan.EngineImage{}
	for ref, img := range images {
		held[ref] = plan.EngineImage{ID: img.ID, Inputs: img.Inputs}
	}
	return held
}

// engineImages connects to the engine and lists its images, or takes the Session's connection
// and list.
func (s *Run) engineImages(ctx context.Context, warn func(string)) (*docker.Engine, map[string]docker.Image, error) {
	if s.kept != nil {
		return s.kept.dockerEngine(ctx, s.Model, warn)
	}
	e, err := docker.New(ctx, s.Model.Project.Env)
	if err != nil {
		return nil, nil, err
	}
	images, err := e.Images(ctx)
	return e, images, err
}

// RecordSeen remembers the inputs of the images the engine holds up to date (of every image when
// the engine is unknown), so the next run can explain what changed. A stale image is recorded
// once it is built: until then "never built" stays true.
func (s *Run) RecordSeen() error {
	for _, pi := range s.Images {
		if pi.Status == plan.Stale {
			continue
		}
		if err := s.State.Record(pi.Manifest, true); err != nil {
			return failed(err)
		}
	}
	return nil
}
