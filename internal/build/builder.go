// Package build schedules image builds: dependency order, parallel, cancellable, explained.
package build

import (
	"context"
	"io"
)

// Request is everything an engine needs to build one image.
type Request struct {
	Image      string                  // the image's name in imagemake.yaml (for messages)
	Context    func(w io.Writer) error // writes the build context as a tar stream
	Dockerfile string                  // path of the Dockerfile inside the context tar
	Args       map[string]string       // build args
	Target     string                  // stage to build; "" = last
	Platform   string                  // "" = the engine's
	Network    string                  // "" = the engine's default
	Labels     map[string]string       // labels, imagemake.inputs included
	Refs       []string                // every ref the image gets (first one is the main ref)
	NoCache    bool                    // do not use the engine's build cache
	CacheFrom  []string                // refs to use as cache sources
	Secrets    []Secret                // BuildKit secrets (RUN --mount=type=secret,id=ID)
}

// Secret is a BuildKit secret: the content of the file Src or of the environment variable Env,
// given to RUN --mount=type=secret,id=ID. It is never part of an image, a label, the inputs
// digest or a log line.
type Secret struct {
	ID  string
	Src string // absolute path of the file holding the secret; "" when Env is set
	Env string // name of the environment variable holding the secret; "" when Src is set
}

// Builder builds one image. Log lines go to logs, one complete line per call, without the
// trailing newline. It returns the ID of the built image. Cancelling ctx stops the build in the
// engine and returns ctx's error.
type Builder interface {
	Build(ctx context.Context, req Request, logs func(line string)) (imageID string, err error)
}
