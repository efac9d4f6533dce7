package run

import (
	"context"
	"errors"
	"io"

	"github.com/imagemake/imagemake/internal/engine/buildkit"
	"github.com/imagemake/imagemake/internal/engine/docker"
	"github.com/imagemake/imagemake/internal/plan"
	"github.com/imagemake/imagemake/internal/registry"
)

// Options tune Build and Push.
type Options struct {
	Jobs        int  // images at once (per builder)
	KeepGoing   bool // after a failure, go on with what does not depend on it
	Rebuild     bool // --always-make: build every planned image; never tag or reuse
	NoCache     bool // do not use the builder's cache
	Push        bool // push every ref of each image, and its inputs tag
	NoReuse     bool // never ask the registry
	RawProgress bool // builders report BuildKit's raw status JSON (--progress rawjson)
	// Builders are the BuildKit daemons to build on (none: the project's builders:, else
	// $BUILDKIT_HOST, else the Docker engine's own BuildKit), reached with TLS.
	Builders []string
	TLS      buildkit.TLS
	Load     bool // with Builders and Push: also load every image into the engine
	fetch    bool // imagemake pull: tag or pull the requested images, build nothing (Run.Pull)
	// aside are the images the engine need not hold (Facts.Aside), set when the jobs are made.
	aside map[string]bool
}

// Engine is what a run asks of the Docker engine.
type Engine interface {
	Images(ctx context.Context) (map[string]docker.Image, error)
	Tag(ctx context.Context, source, ref string) error
	Inputs(ctx context.Context, ref string) (string, error)
	Pull(ctx context.Context, ref string, logs func(string)) error
	Push(ctx context.Context, ref string, logs func(string)) error
	Load(ctx context.Context, tarball io.Reader, logs func(string)) error
	BuildKit(ctx context.Context) (*buildkit.Builder, error)
	Endpoint() string
	Close() error
}

var _ Engine = (*docker.Engine)(nil)

// Registry is what a run asks of a registry itself.
type Registry interface {
	Lookup(ctx context.Context, ref string) (*registry.Found, error)
	LookupAll(ctx context.Context, refs []string, parallel int) ([]*registry.Found, error)
	FirstExisting(ctx context.Context, refs []string) (*registry.Found, error)
	InputsFor(ctx context.Context, ref, platform string) (string, error)
	RetagInputs(ctx context.Context, from, inputs string, refs ...string) error
}

var _ Registry = (*registry.Client)(nil)

// Kind is what went wrong with a run, for the exit code.
type Kind int

const (
	// BadInput: the project, a flag or an image's settings are wrong (exit 2).
	BadInput Kind = iota + 1
	// Failed: something the run needs failed: the engine, a builder, the registry (exit 1).
	Failed
)

// Error is an error of a run, with its Kind.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func badInput(err error) error { return &Error{BadInput, err} }
func failed(err error) error   { return &Error{Failed, err} }

// KindOf is err's Kind; 0 when err is not a run's.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// HasRegistry tells whether OpenRegistry found a registry to ask.
func (s *Run) HasRegistry() bool { return s.reg != nil }

// CacheSources finds, for each stale image, the cache source a build would use ("" for none);
// an image in the registry is reused, not built. The map is never nil.
func (s *Run) CacheSources(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	if s.reg == nil { // FindInRegistry may have opened it
		s.OpenRegistry(ctx, false)
	}
	for _, pi := range s.Images {
		if pi.Status == plan.UpToDate || pi.Status == plan.InRegistry {
			continue
		}
		ref, err := s.CacheFrom(ctx, pi)
		if err != nil {
			return nil, failed(err)
		}
		out[pi.Name] = ref
	}
	return out, nil
}
