package run

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"

	"github.com/imagemake/imagemake/internal/dockerfile"
	"github.com/imagemake/imagemake/internal/engine/buildkit"
	"github.com/imagemake/imagemake/internal/engine/docker"
	"github.com/imagemake/imagemake/internal/project"
)

// Session keeps what a run connects to open from one run to the next, for a command that opens
// many runs (imagemake watch): the Docker engine's client, the builders' connections (the
// engine's BuildKit, or the BuildKit daemons) and the engine's list of images. A run opened with
// it (OpenOptions.Session) takes them instead of connecting and listing, and leaves them open
// at its Close. Between runs the session lists the engine's images again (what the run built)
// and checks that the builders answer; the engine's image events since keep the list valid, so
// the next run asks the engine nothing before it builds. A connection that drops (the events
// stop, a builder does not answer) is opened again by the next run, said with a warning. Runs
// use a Session one at a time; Close closes what it holds.
type Session struct {
	ctx    context.Context // ends with Close: the session's own work between runs
	cancel context.CancelFunc

	mu        sync.Mutex
	engine    *docker.Engine
	env       string             // the env the engine was reached with (fmt.Sprint)
	endEvents context.CancelFunc // stops the engine's event stream
	lost      error              // the engine's event stream ended: it is reached again
	builders  map[string]*buildkit.Builder
	images    *engineList
	inRun     bool
	pending   []string // warnings found between runs, for the next run
}

// engineList is the engine's image list as last listed; fresh while no event since the
// listing began touched a ref of the project or an image it held under one. Events about other
// images (other projects build and remove theirs all the time) leave it fresh: they count only
// as an image of the same inputs under another ref (plan's SameAs), which a stale list may miss
// (the image is built instead) or name after it was removed (its tagging fails, and the
// list of the next round knows).
type engineList struct {
	images  map[string]docker.Image
	ids     map[string]bool // the images under the project's refs
	refs    map[string]bool // the project's refs, normalised
	fresh   bool
	seq     int           // events that made it stale
	listing chan struct{} // closed when the listing between runs ends; nil when none runs
}

// NewSession returns a Session holding nothing yet: the first run connects.
func NewSession() *Session {
	ctx, cancel := context.WithCancel(context.Background())
	return &Session{ctx: ctx, cancel: cancel, builders: map[string]*buildkit.Builder{}, images: &engineList{}}
}

// Close closes the connections the session holds and ends its work between runs.
func (k *Session) Close() {
	k.cancel()
	k.mu.Lock()
	defer k.mu.Unlock()
	k.dropEngine()
}

func (k *Session) dropBuilders() {
	for key, b := range k.builders {
		_ = b.Close()
		delete(k.builders, key)
	}
}

// dropEngine closes the engine's connection, its builders' with it; the next run connects.
func (k *Session) dropEngine() {
	k.dropBuilders()
	if k.engine != nil {
		k.endEvents()
		_ = k.engine.Close()
	}
	k.engine, k.lost, k.images = nil, nil, &engineList{}
}

// dockerEngine starts a run: it returns the kept engine when it was reached with the same env
// and its connection held, else a new connection; and the engine's images, the kept list when
// no event made it stale since it was taken.
func (k *Session) dockerEngine(ctx context.Context, m *project.Model, warn func(string)) (*docker.Engine, map[string]docker.Image, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.inRun = true
	for _, w := range k.pending {
		warn(w)
	}
	k.pending = nil
	key := fmt.Sprint(m.Project.Env)
	switch {
	case k.engine != nil && k.lost != nil:
		warn(fmt.Sprintf("%v; connecting again", k.lost))
		k.dropEngine()
	case k.engine != nil && k.env != key:
		k.dropEngine()
	}
	if k.engine == nil {
		if err := k.connect(ctx, m.Project.Env, key); err != nil {
			return nil, nil, err
		}
	}
	if refs := projectRefs(m); !maps.Equal(refs, k.images.refs) { // events about new refs were not followed
		k.images.setRefs(refs)
		k.images.fresh = false
	}
	if err := k.waitListing(ctx); err != nil {
		return nil, nil, err
	}
	if l := k.images; l.fresh {
		return k.engine, l.images, nil
	}
	images, err := k.engine.Images(ctx)
	if err != nil {
		k.lost = err // the next run connects again
		return k.engine, nil, err
	}
	k.images.set(images)
	return k.engine, images, nil
}

// waitListing waits for the listing between runs, if one runs: it began before, so it ends
// before a new one would.
func (k *Session) waitListing(ctx context.Context) error {
	for k.images.listing != nil {
		done := k.images.listing
		k.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
		}
		k.mu.Lock()
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// connect reaches the engine and follows its image events.
func (k *Session) connect(ctx context.Context, env map[string]string, key string) error {
	e, err := docker.New(ctx, env)
	if err != nil {
		return err
	}
	events, cancel := context.WithCancel(k.ctx)
	k.engine, k.env, k.endEvents = e, key, cancel
	changes, errs := e.ImageChanges(events)
	go k.follow(e, changes, errs)
	return nil
}

// follow makes the image list stale at each event about it, and lists again when no run
// runs; when the stream ends, the engine's connection counts as lost.
func (k *Session) follow(e *docker.Engine, changes <-chan docker.ImageChange, errs <-chan error) {
	for c := range changes {
		k.mu.Lock()
		if k.engine == e && k.images.touchedBy(c) {
			k.images.fresh = false
			k.images.seq++
			if !k.inRun {
				k.listBetweenRuns()
			}
		}
		k.mu.Unlock()
	}
	err := <-errs
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.engine == e && k.ctx.Err() == nil {
		k.lost, k.images.fresh = err, false
	}
}

// listBetweenRuns lists the engine's images in the background, again until no event came
// during a listing. Called with k.mu held.
func (k *Session) listBetweenRuns() {
	l, e := k.images, k.engine
	if l.listing != nil || e == nil || k.lost != nil {
		return
	}
	done := make(chan struct{})
	l.listing = done
	seq := l.seq
	go func() {
		defer close(done)
		images, err := e.Images(k.ctx)
		k.mu.Lock()
		defer k.mu.Unlock()
		l.listing = nil
		switch {
		case k.engine != e || l != k.images:
		case err != nil:
			k.lost = err
		default:
			l.set(images)
			l.fresh = l.seq == seq
			if !l.fresh && !k.inRun {
				k.listBetweenRuns()
			}
		}
	}()
}

// idle ends a run: what it built makes the image list stale, listed again now, and the
// builders are checked while nothing runs.
func (k *Session) idle() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.inRun = false
	k.images.fresh = false
	k.images.seq++
	k.listBetweenRuns()
	go k.checkBuilders(k.ctx)
}

// checkBuilders drops the kept builders that no longer answer on their connection, so that the
// next run connects to them again and says so.
func (k *Session) checkBuilders(ctx context.Context) {
	k.mu.Lock()
	kept := make(map[string]*buildkit.Builder, len(k.builders))
	for key, b := range k.builders {
		kept[key] = b
	}
	k.mu.Unlock()
	for key, b := range kept {
		err := b.Ping(ctx)
		if err == nil || ctx.Err() != nil {
			continue
		}
		k.mu.Lock()
		if k.builders[key] == b {
			k.pending = append(k.pending, fmt.Sprintf("%v on the kept connection; connecting again", err))
			_ = b.Close()
			delete(k.builders, key)
		}
		k.mu.Unlock()
	}
}

// builder is the kept builder of key, else one dial connects, kept from then on.
func (k *Session) builder(key string, dial func() (*buildkit.Builder, error)) (*buildkit.Builder, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if b := k.builders[key]; b != nil {
		return b, nil
	}
	b, err := dial()
	if err != nil {
		return nil, err
	}
	k.builders[key] = b
	return b, nil
}

func (l *engineList) set(images map[string]docker.Image) {
	l.images = images
	l.setRefs(l.refs)
}

func (l *engineList) setRefs(refs map[string]bool) {
	l.refs, l.ids = refs, map[string]bool{}
	for ref := range refs {
		if img, ok := l.images[ref]; ok {
			l.ids[img.ID] = true
		}
	}
}

// touchedBy tells whether c is about a ref of the project or an image held under one.
func (l *engineList) touchedBy(c docker.ImageChange) bool {
	if l.ids[c.ID] || l.ids[c.Name] {
		return true
	}
	if c.Name == "" || strings.HasPrefix(c.Name, "sha256:") {
		return false
	}
	ref, err := dockerfile.Normalize(c.Name)
	return err != nil || l.refs[ref]
}

// projectRefs are the refs of m's images, normalised as the engine's list is.
func projectRefs(m *project.Model) map[string]bool {
	out := map[string]bool{}
	for _, img := range m.Project.Images {
		for _, ref := range img.Refs() {
			if n, err := dockerfile.Normalize(ref); err == nil {
				out[n] = true
			}
		}
	}
	return out
}

// builderKey names a builder's connection by what it was opened with: its address, TLS, the
// env its secrets are read from, and whether it pushes with git annotations. The engine a daemon
// loads into is the session's own.
func (s *Run) builderKey(addr string, o Options) string {
	return fmt.Sprint(addr, o.TLS, s.Model.Project.Env, s.Model.Project.GitAnnotations && o.Push)
}

// dial connects to the BuildKit daemon at addr, or takes the session's connection to it.
func (s *Run) dial(ctx context.Context, addr string, o Options, opts []buildkit.Option) (*buildkit.Builder, error) {
	if s.kept == nil {
		return buildkit.Dial(ctx, addr, opts...)
	}
	return s.kept.builder(s.builderKey(addr, o), func() (*buildkit.Builder, error) {
		return buildkit.Dial(ctx, addr, opts...)
	})
}

// engineBuildKit connects to the Docker engine's BuildKit, or takes the session's connection to
// it.
func (s *Run) engineBuildKit(ctx context.Context) (*buildkit.Builder, error) {
	if s.kept == nil {
		return s.engine.BuildKit(ctx)
	}
	return s.kept.builder("engine", func() (*buildkit.Builder, error) { return s.engine.BuildKit(ctx) })
}
