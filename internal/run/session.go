package run

import (
	"context"
	"fmt"
	"sync"

	"github.com/imagemake/imagemake/internal/engine/buildkit"
	"github.com/imagemake/imagemake/internal/engine/docker"
)

// Session keeps what a run connects to open from one run to the next, for a command that opens
// many runs (imagemake watch): the Docker engine's client and the builders' connections (the
// engine's BuildKit, or the BuildKit daemons). A run opened with it (OpenOptions.Session) takes
// them from it instead of connecting, and leaves them open at its Close; each run checks, while
// it plans, that they still answer, and one that does not is connected again, said with a
// warning. Runs use a Session one at a time; Close closes what it holds.
type Session struct {
	mu       sync.Mutex
	engine   *docker.Engine
	env      string                       // the env the engine was reached with (its endpoint's)
	builders map[string]*buildkit.Builder // by address and options (builderKey)
}

// NewSession returns a Session holding nothing yet: the first run connects.
func NewSession() *Session {
	return &Session{builders: map[string]*buildkit.Builder{}}
}

// Close closes the connections the session holds.
func (k *Session) Close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.dropBuilders()
	if k.engine != nil {
		_ = k.engine.Close()
		k.engine = nil
	}
}

func (k *Session) dropBuilders() {
	for key, b := range k.builders {
		_ = b.Close()
		delete(k.builders, key)
	}
}

// dockerEngine is the kept engine when it was reached with the same env and still answers
// (its image list, which the run needs anyway), else a new connection. The engine's image
// list is returned with it.
func (k *Session) dockerEngine(ctx context.Context, env map[string]string, warn func(string)) (*docker.Engine, map[string]docker.Image, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	key := fmt.Sprint(env)
	if k.engine != nil && k.env == key {
		images, err := k.engine.Images(ctx)
		if err == nil {
			return k.engine, images, nil
		}
		warn(fmt.Sprintf("the Docker engine at %s does not answer on the kept connection (%v); connecting again", k.engine.Endpoint(), err))
	}
	if k.engine != nil { // gone, or another engine: its builders with it
		k.dropBuilders()
		_ = k.engine.Close()
		k.engine = nil
	}
	e, err := docker.New(ctx, env)
	if err != nil {
		return nil, nil, err
	}
	k.engine, k.env = e, key
	images, err := e.Images(ctx)
	return e, images, err
}

// check drops the kept builders that no longer answer on their connection, so that the run
// connects to them again; warn says which.
func (k *Session) check(ctx context.Context, warn func(string)) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for key, b := range k.builders {
		if err := b.Ping(ctx); err != nil {
			warn(fmt.Sprintf("%v on the kept connection; connecting again", err))
			_ = b.Close()
			delete(k.builders, key)
		}
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
