// Package schedule schedules image builds: dependency order, parallel, cancellable, explained.
package schedule

import (
	"context"

	"github.com/imagemake/imagemake/internal/inputs"
)

// Request is everything a builder needs to build one image, whichever builder it is: the
// Docker engine's BuildKit or a standalone BuildKit daemon.
type Request struct {
	Image      string         // the image's name in imagemake.yaml (for messages)
	Deps       []string       // the project images it is built on (a pool prefers their builder)
	Context    []inputs.Entry // the build context, in path order (inputs.ComparePaths)
	Dockerfile string         // path of the Dockerfile inside the context
	// Contexts are the named build contexts (FROM NAME, COPY --from=NAME), by name.
	Contexts map[string]NamedContext
	Args     map[string]string // build args
	Target   string            // stage to build; "" = last
	Platform string            // "" = the builder's
	// Platforms, when set, are the platforms of one image index built for them all (Platform
	// is then ""): the builder must push it, since an engine keeps one platform per image.
	Platforms []string
	Network   string            // "" = the builder's default
	Labels    map[string]string // labels, imagemake.inputs included
	Refs      []string          // every ref the image gets (first one is the main ref)
	NoCache   bool              // do not use the builder's cache
	// RawProgress asks for the builder's progress as BuildKit's raw status JSON (one object
	// per line, as `--progress rawjson` prints it) instead of `--progress plain` lines.
	RawProgress bool
	Secrets     []Secret // RUN --mount=type=secret,id=ID
	SSH         []SSH    // RUN --mount=type=ssh,id=ID

	CacheFrom   []string // registry refs to import cache from (cache images or inline cache)
	CacheTo     string   // registry ref to export the build's cache to; "" none
	CacheMode   string   // of CacheTo: "min" (default) or "max"
	InlineCache bool     // embed the cache in the image (with Push)

	Push []string // refs to push to the registry once built; none: no push
	Load bool     // the image must end up in the local Docker engine under Refs
	// SharedKey names the context for the builder (the repository and the image): a builder
	// that received the same key before diffs against what it kept, by metadata (size, mode,
	// a time drawn from the content), and receives only the files that changed.
	SharedKey string
}

// NamedContext is one named build context: a folder (Entries, from Dir) or a source BuildKit
// resolves itself (Source: docker-image://REF, a Git or HTTP URL).
type NamedContext struct {
	Entries []inputs.Entry
	Dir     string // the folder as imagemake.yaml names it, for messages
	Source  string
}

// Secret is a BuildKit secret: the content of the file Src or of the environment variable Env,
// given to RUN --mount=type=secret,id=ID. It is never part of an image, a label, the inputs
// digest or a log line.
type Secret struct {
	ID  string
	Src string // absolute path of the file holding the secret; "" when Env is set
	Env string // name of the environment variable holding the secret; "" when Src is set
}

// SSH is an SSH agent forwarded to RUN --mount=type=ssh,id=ID, as `docker build --ssh
// ID=PATH,...` forwards it: PATHS are agent sockets or private keys; none means the agent of
// $SSH_AUTH_SOCK.
type SSH struct {
	ID    string
	Paths []string
}

// Builder builds one image. Log lines go to logs, one complete line per call, without the
// trailing newline. It returns the ID of the built image when the builder knows it (the Docker
// engine's image ID; "" for a daemon that only pushed). Cancelling ctx stops the build in the
// builder and returns ctx's error.
type Builder interface {
	Build(ctx context.Context, req Request, logs func(line string)) (imageID string, err error)
}
