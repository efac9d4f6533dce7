// Package buildkit builds images with BuildKit through github.com/moby/buildkit/client, on
// the Docker engine (its Engine API's /grpc and /session endpoints, as buildx's docker driver
// reaches it) as on standalone daemons (buildkitd, addressed as buildctl and buildx address
// them). BuildKit's Dockerfile frontend runs in this process, so every builder gets the same
// frontend whatever its own; the context is sent through the client's session straight from
// disk. A Pool shares a run's builds among several builders.
package buildkit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client"
	_ "github.com/moby/buildkit/client/connhelper/dockercontainer" // docker-container://NAME
	_ "github.com/moby/buildkit/client/connhelper/kubepod"         // kube-pod://NAME
	_ "github.com/moby/buildkit/client/connhelper/ssh"             // ssh://USER@HOST
	"github.com/moby/buildkit/session"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imagemake/imagemake/internal/schedule"
)

// pingTimeout bounds the question "does the builder still answer?" asked after a failed build.
const pingTimeout = 5 * time.Second

// snapshotterLabel is set on the worker of a Docker engine that keeps images in containerd;
// only such an engine exports cache to a registry (buildx's docker driver asks the same).
const snapshotterLabel = "org.mobyproject.buildkit.worker.snapshotter"

// TLS is the mTLS setup of every builder, as buildctl's --tlscacert, --tlscert, --tlskey and
// --tlsservername give it. Empty: plain connections.
type TLS struct {
	CA, Cert, Key, ServerName string
}

func (t TLS) opts() []client.ClientOpt {
	var opts []client.ClientOpt
	if t.CA != "" || t.ServerName != "" {
		opts = append(opts, client.WithServerConfig(t.ServerName, t.CA))
	}
	if t.Cert != "" || t.Key != "" {
		opts = append(opts, client.WithCredentials(t.Cert, t.Key))
	}
	return opts
}

// Builder is one BuildKit: a standalone daemon or the Docker engine's.
type Builder struct {
	addr string
	c    *client.Client
	opts options
	// engine: the Docker engine's BuildKit, whose images land in the engine (moby exporter)
	// and are pushed by the engine.
	engine      *Engine
	platform    ocispecs.Platform   // the first worker's
	platforms   []ocispecs.Platform // all the first worker's: what its RUN steps can run
	cacheExport bool                // exports cache to a registry
}

var _ schedule.Builder = (*Builder)(nil)

// Engine is what a Docker engine gives its BuildKit: how to reach it and how to push what it
// built (its moby exporter keeps images in the engine).
type Engine struct {
	Name        string // the endpoint, for messages
	Dial        func(ctx context.Context) (net.Conn, error)
	DialSession func(ctx context.Context, proto string, meta map[string][]string) (net.Conn, error)
	Push        func(ctx context.Context, ref string, logs func(string)) error
}

// Option sets up a Builder.
type Option func(*options)

type options struct {
	tls  TLS
	env  map[string]string                                               // secrets given by variable name
	load func(ctx context.Context, r io.Reader, logs func(string)) error // a daemon's images into the engine
	auth session.Attachable                                              // registry credentials
	// annotations are set on the images and indexes a daemon pushes (the engine's moby
	// exporter has none to set).
	annotations map[string]string
}

// WithTLS connects with mTLS (daemons only).
func WithTLS(t TLS) Option { return func(o *options) { o.tls = t } }

// WithEnv gives the values of secrets named by environment variable.
func WithEnv(env map[string]string) Option { return func(o *options) { o.env = env } }

// WithLoader loads a daemon's images (a `docker save` tarball) into the Docker engine when a
// request says Load.
func WithLoader(load func(ctx context.Context, r io.Reader, logs func(string)) error) Option {
	return func(o *options) { o.load = load }
}

// WithAuth serves registry credentials to the builder; default: the docker config's
// (~/.docker/config.json, $DOCKER_CONFIG, credential helpers).
func WithAuth(a session.Attachable) Option { return func(o *options) { o.auth = a } }

// WithAnnotations sets OCI annotations (such as gitinfo.Annotations) on every image, and
// every index, a daemon pushes. They are no build input: the same build with other
// annotations is the same image config, and the inputs digest does not see them. The Docker
// engine's moby exporter stores no annotations: there, they are not set.
func WithAnnotations(a map[string]string) Option { return func(o *options) { o.annotations = a } }

// Dial connects to the daemon at addr, addressed as buildctl addresses it: tcp://host:port,
// unix:///path, docker-container://NAME, kube-pod://NAME, ssh://user@host; it checks that the
// daemon answers and has a worker.
func Dial(ctx context.Context, addr string, opts ...Option) (*Builder, error) {
	if !strings.Contains(addr, "://") {
		return nil, fmt.Errorf("builder %q: want an address such as tcp://host:1234, unix:///run/buildkit/buildkitd.sock or docker-container://NAME", addr)
	}
	b := &Builder{addr: addr, opts: apply(opts)}
	c, err := client.New(ctx, addr, b.opts.tls.opts()...)
	if err != nil {
		return nil, fmt.Errorf("builder %s: %w", addr, err)
	}
	b.c = c
	return b, b.start(ctx)
}

// NewEngine connects to the BuildKit of the Docker engine e.
func NewEngine(ctx context.Context, e *Engine, opts ...Option) (*Builder, error) {
	b := &Builder{addr: e.Name, opts: apply(opts), engine: e}
	c, err := client.New(ctx, "",
		client.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return e.Dial(ctx) }),
		client.WithSessionDialer(e.DialSession))
	if err != nil {
		return nil, fmt.Errorf("the BuildKit of the Docker engine at %s: %w", e.Name, err)
	}
	b.c = c
	return b, b.start(ctx)
}

func apply(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// start asks the builder for its worker: it must answer and have one.
func (b *Builder) start(ctx context.Context) error {
	w, err := b.worker(ctx)
	if err != nil {
		_ = b.c.Close()
		return err
	}
	b.platforms = w.Platforms
	if len(w.Platforms) == 0 {
		b.platforms = []ocispecs.Platform{platforms.DefaultSpec()}
	}
	b.platform = b.platforms[0]
	_, containerd := w.Labels[snapshotterLabel]
	b.cacheExport = b.engine == nil || containerd
	return nil
}

// Addr is the builder's address as given (the engine's endpoint for the engine).
func (b *Builder) Addr() string { return b.addr }

// Platform is the platform the builder builds for when an image names none, such as
// linux/amd64.
func (b *Builder) Platform() string { return platforms.Format(b.platform) }

// Close releases the connection.
func (b *Builder) Close() error { return b.c.Close() }

func (b *Builder) name() string {
	if b.engine != nil {
		return "the Docker engine at " + b.addr
	}
	return "builder " + b.addr
}

func (b *Builder) worker(ctx context.Context) (*client.WorkerInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	workers, err := b.c.ListWorkers(ctx)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s does not answer: %w", b.name(), err)
	case len(workers) == 0:
		return nil, fmt.Errorf("%s has no worker", b.name())
	}
	return workers[0], nil
}

// gone tells whether a build's failure came from the builder rather than from the build: the
// builder no longer answers.
func (b *Builder) gone(ctx context.Context, buildErr error) bool {
	if ctx.Err() != nil || errors.Is(buildErr, context.Canceled) {
		return false
	}
	_, err := b.worker(context.WithoutCancel(ctx))
	return err != nil
}
