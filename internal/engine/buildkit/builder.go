// Package buildkit builds images on standalone BuildKit daemons (buildkitd) through
// github.com/moby/buildkit/client: the Dockerfile frontend built into the daemon, the context
// sent through the client's session straight from disk, images pushed to the registry or
// loaded into the local Docker engine. A Pool shares a run's builds among several daemons.
package buildkit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/moby/buildkit/client"
)

// pingTimeout bounds the question "does the daemon still answer?" asked after a failed build.
const pingTimeout = 5 * time.Second

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

// Builder is one BuildKit daemon.
type Builder struct {
	addr string
	c    *client.Client
}

// Dial connects to the daemon at addr (tcp://host:port, unix:///path, or any address buildctl
// takes) and checks that it answers and has a worker.
func Dial(ctx context.Context, addr string, tls TLS) (*Builder, error) {
	if !strings.Contains(addr, "://") {
		return nil, fmt.Errorf("builder %q: want an address such as tcp://host:1234 or unix:///run/buildkit/buildkitd.sock", addr)
	}
	c, err := client.New(ctx, addr, tls.opts()...)
	if err != nil {
		return nil, fmt.Errorf("builder %s: %w", addr, err)
	}
	b := &Builder{addr: addr, c: c}
	if err := b.ping(ctx); err != nil {
		_ = c.Close()
		return nil, err
	}
	return b, nil
}

// Addr is the daemon's address as given.
func (b *Builder) Addr() string { return b.addr }

// Close releases the connection.
func (b *Builder) Close() error { return b.c.Close() }

func (b *Builder) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	workers, err := b.c.ListWorkers(ctx)
	switch {
	case err != nil:
		return fmt.Errorf("builder %s does not answer: %w", b.addr, err)
	case len(workers) == 0:
		return fmt.Errorf("builder %s has no worker", b.addr)
	}
	return nil
}

// gone tells whether a build's failure came from the daemon rather than from the build: the
// daemon no longer answers.
func (b *Builder) gone(ctx context.Context, buildErr error) bool {
	if ctx.Err() != nil || errors.Is(buildErr, context.Canceled) {
		return false
	}
	return b.ping(context.WithoutCancel(ctx)) != nil
}
