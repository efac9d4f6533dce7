package buildkit

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/docker/cli/cli/config"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/moby/buildkit/session/secrets"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/tonistiigi/fsutil"
	"golang.org/x/sync/errgroup"

	"github.com/imagemake/imagemake/internal/build"
	"github.com/imagemake/imagemake/internal/inputs"
)

// Job is one image to build on a daemon.
type Job struct {
	build.Request                                              // Context is not used: Entries are sent instead
	Entries       []inputs.Entry                               // the build context, in path order
	Folders       map[string][]inputs.Entry                    // named contexts that are folders, by name
	Sources       map[string]string                            // other named contexts: name -> docker-image://REF or a URL
	Push          []string                                     // refs to push to the registry; none: no push
	Load          func(ctx context.Context, r io.Reader) error // loads a docker tarball into the engine; nil: no load
	CacheImports  []string                                     // registry refs to import cache from (cache images or inline cache)
	CacheExport   string                                       // registry ref to export the cache to; "" none
	CacheMode     string                                       // "min" or "max"
	InlineCache   bool                                         // also embed the cache in the pushed image
	SecretStore   secrets.SecretStore                          // serves Secrets; nil: none
	// SharedKey names the context's content (image name and inputs digest). A daemon that
	// received the same key before diffs against what it kept, by metadata only (size, mode,
	// time); every file is sent with the same time, so only a key that changes with any content
	// change is safe, and an unchanged context then moves nothing.
	SharedKey string
}

// Build runs job on the daemon. Progress reaches logs as `docker build --progress=plain`
// lines. Cancelling ctx cancels the build in the daemon.
func (b *Builder) Build(ctx context.Context, job Job, logs func(string)) error {
	opt := solveOpt(job)
	eg, ctx := errgroup.WithContext(ctx)
	done := func(error) {}
	if job.Load != nil {
		done = addLoad(ctx, eg, &opt, job)
	}
	status := make(chan *client.SolveStatus)
	eg.Go(func() error { return showProgress(status, logs) })
	eg.Go(func() error {
		_, err := b.c.Solve(ctx, nil, opt, status)
		done(err)
		return err
	})
	if err := eg.Wait(); err != nil {
		return fmt.Errorf("building %s on %s: %w", job.Image, b.addr, err)
	}
	return nil
}

// addLoad adds the docker exporter, its tarball piped to job.Load. The returned func ends the
// pipe once the solve is over, with the solve's error, so the load never waits for more.
func addLoad(ctx context.Context, eg *errgroup.Group, opt *client.SolveOpt, job Job) func(error) {
	r, w := io.Pipe()
	opt.Exports = append(opt.Exports, client.ExportEntry{Type: client.ExporterDocker,
		Attrs:  map[string]string{"name": strings.Join(job.Refs, ",")},
		Output: func(map[string]string) (io.WriteCloser, error) { return w, nil }})
	eg.Go(func() error {
		err := job.Load(ctx, r)
		r.CloseWithError(err)
		return err
	})
	return func(err error) { w.CloseWithError(err) }
}

// solveOpt turns a job into the Dockerfile frontend's options, as buildctl build would send
// them for `--frontend dockerfile.v0 --local context=... --local dockerfile=...`.
func solveOpt(job Job) client.SolveOpt {
	ctxFS := newFS(job.Entries)
	opt := client.SolveOpt{
		Frontend:      "dockerfile.v0",
		SharedKey:     job.SharedKey,
		FrontendAttrs: frontendAttrs(job),
		LocalMounts:   map[string]fsutil.FS{"context": ctxFS, "dockerfile": ctxFS},
	}
	for name, entries := range job.Folders {
		opt.LocalMounts["named-"+name] = newFS(entries)
		opt.FrontendAttrs["context:"+name] = "local:named-" + name
	}
	for name, src := range job.Sources {
		opt.FrontendAttrs["context:"+name] = src
	}
	if len(job.Push) > 0 {
		opt.Exports = append(opt.Exports, client.ExportEntry{Type: client.ExporterImage,
			Attrs: map[string]string{"name": strings.Join(job.Push, ","), "push": "true"}})
	}
	opt.CacheImports, opt.CacheExports = cacheOptions(job)
	opt.Session = attachables(job.SecretStore)
	return opt
}

func frontendAttrs(job Job) map[string]string {
	attrs := map[string]string{"filename": job.Dockerfile}
	if job.Target != "" {
		attrs["target"] = job.Target
	}
	if job.Platform != "" {
		attrs["platform"] = job.Platform
	}
	if job.Network != "" {
		attrs["force-network-mode"] = job.Network
	}
	if job.NoCache {
		attrs["no-cache"] = ""
	}
	for k, v := range job.Args {
		attrs["build-arg:"+k] = v
	}
	for k, v := range job.Labels {
		attrs["label:"+k] = v
	}
	return attrs
}

func cacheOptions(job Job) (imports, exports []client.CacheOptionsEntry) {
	for _, ref := range job.CacheImports {
		imports = append(imports, client.CacheOptionsEntry{Type: "registry", Attrs: map[string]string{"ref": ref}})
	}
	if job.CacheExport != "" {
		mode := job.CacheMode
		if mode == "" {
			mode = "min"
		}
		exports = append(exports, client.CacheOptionsEntry{Type: "registry",
			Attrs: map[string]string{"ref": job.CacheExport, "mode": mode}})
	}
	if job.InlineCache && len(job.Push) > 0 {
		exports = append(exports, client.CacheOptionsEntry{Type: "inline"})
	}
	return imports, exports
}

// attachables are the session's services: registry credentials from the docker config
// (~/.docker/config.json, $DOCKER_CONFIG, credential helpers) and the build's secrets.
func attachables(store secrets.SecretStore) []session.Attachable {
	auth := authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
		AuthConfigProvider: authprovider.LoadAuthConfig(config.LoadDefaultConfigFile(io.Discard)),
	})
	if store == nil {
		return []session.Attachable{auth}
	}
	return []session.Attachable{auth, secretsprovider.NewSecretProvider(store)}
}
