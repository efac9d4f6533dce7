package buildkit

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/tonistiigi/fsutil"
	"golang.org/x/sync/errgroup"

	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/schedule"
)

// imageIDKey is where the moby exporter answers the ID of the image it stored in the engine.
const imageIDKey = "containerimage.digest"

// Build runs req: BuildKit's Dockerfile frontend, run in this process, solves on the builder.
// On the Docker engine the image lands in the engine under every ref (and is pushed from
// there); on a daemon it is pushed by the daemon and, with Load, loaded into the engine.
// Progress reaches logs as `docker build --progress=plain` lines. Cancelling ctx cancels the
// solve in the builder, and Build waits for the builder's progress stream to end.
func (b *Builder) Build(ctx context.Context, req schedule.Request, logs func(string)) (string, error) {
	outer := ctx
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if logs == nil {
		logs = func(string) {}
	}
	if err := b.CheckPlatforms(req); err != nil {
		return "", err
	}
	if u := b.unrunnable(req); len(u) > 0 {
		logs(fmt.Sprintf("imagemake: warning: %s does not list %s among its platforms: a RUN step for it fails unless QEMU's binfmt handler runs it (scripts/qemu.sh)",
			b.name(), strings.Join(u, ", ")))
	}
	opt, err := b.solveOpt(req, logs)
	if err != nil {
		return "", fmt.Errorf("building %s: %w", req.Image, err)
	}
	ctx, abort := context.WithCancel(ctx)
	defer abort()
	abortOnChange(opt.LocalMounts, abort) // a context file changed since hashed: see changedFile below
	eg, ctx := errgroup.WithContext(ctx)
	done := func(error) {}
	if req.Load && b.engine == nil {
		if b.opts.load == nil {
			return "", fmt.Errorf("building %s: no Docker engine to load it into", req.Image)
		}
		done = b.addLoad(ctx, eg, &opt, req, logs)
	}
	status := make(chan *client.SolveStatus)
	eg.Go(func() error { return showProgress(status, logs, req.RawProgress) })
	var resp *client.SolveResponse
	eg.Go(func() error {
		var err error
		resp, err = b.c.Build(ctx, opt, "imagemake", b.frontend(logs), status)
		done(err)
		return err
	})
	if err := eg.Wait(); err != nil {
		if outer.Err() != nil {
			return "", outer.Err()
		}
		if changed := changedFile(opt.LocalMounts); changed != nil { // BuildKit's error only says the sync failed
			return "", fmt.Errorf("building %s: %w", req.Image, changed)
		}
		if b.engine != nil { // the default builder: the error alone, as docker build prints it
			return "", err
		}
		return "", fmt.Errorf("building %s on %s: %w", req.Image, b.name(), err)
	}
	return b.afterSolve(outer, req, resp, logs)
}

// afterSolve pushes what the engine built (its exporter only stores images) and returns the
// image ID the engine answered.
func (b *Builder) afterSolve(ctx context.Context, req schedule.Request, resp *client.SolveResponse, logs func(string)) (string, error) {
	if b.engine == nil {
		return "", nil
	}
	for _, ref := range req.Push {
		if err := b.engine.Push(ctx, ref, logs); err != nil {
			return "", fmt.Errorf("pushing %s: %w", req.Image, err)
		}
	}
	return resp.ExporterResponse[imageIDKey], nil
}

// addLoad adds the docker exporter, its tarball piped to the loader. The returned func ends the
// pipe once the solve is over, with the solve's error, so the load never waits for more.
func (b *Builder) addLoad(ctx context.Context, eg *errgroup.Group, opt *client.SolveOpt, req schedule.Request, logs func(string)) func(error) {
	r, w := io.Pipe()
	opt.Exports = append(opt.Exports, client.ExportEntry{Type: client.ExporterDocker,
		Attrs:  map[string]string{"name": strings.Join(req.Refs, ",")},
		Output: func(map[string]string) (io.WriteCloser, error) { return w, nil }})
	eg.Go(func() error {
		err := b.opts.load(ctx, r, logs)
		r.CloseWithError(err)
		return err
	})
	return func(err error) { w.CloseWithError(err) }
}

// solveOpt turns a request into the solve's options: the frontend's attributes, the local
// sources, outputs, cache and session services.
func (b *Builder) solveOpt(req schedule.Request, logs func(string)) (client.SolveOpt, error) {
	if err := sendable(req); err != nil {
		return client.SolveOpt{}, err
	}
	opt := client.SolveOpt{
		SharedKey:     req.SharedKey,
		FrontendAttrs: frontendAttrs(req),
		LocalMounts:   localMounts(req),
		Exports:       b.exports(req),
	}
	if st, ok, err := dockerfileInput(req); err != nil {
		return client.SolveOpt{}, err
	} else if ok {
		opt.FrontendInputs = map[string]llb.State{dockerui.DefaultLocalNameDockerfile: st}
	}
	for name, nc := range req.Contexts {
		if nc.Source != "" {
			opt.FrontendAttrs["context:"+name] = nc.Source
			continue
		}
		opt.LocalMounts["named-"+name] = newFS(nc.Entries)
		opt.FrontendAttrs["context:"+name] = "local:named-" + name
	}
	opt.CacheImports, opt.CacheExports = b.cacheOptions(req, logs)
	var err error
	opt.Session, err = attachables(req, b.opts)
	return opt, err
}

// localMounts serves the "context" and "dockerfile" locals from the request's entries. The
// entries only the build needs (Entry.DockerfileOnly: a Dockerfile outside the context, under
// inputs.DockerfileDir, or one the ignore rules exclude) are served in the "dockerfile" local
// and left out of the "context" one, as Docker sends the Dockerfile apart: `COPY . .` never
// copies it.
func localMounts(req schedule.Request) map[string]fsutil.FS {
	ctx := make([]inputs.Entry, 0, len(req.Context))
	for _, e := range req.Context {
		if !e.DockerfileOnly {
			ctx = append(ctx, e)
		}
	}
	if len(ctx) == len(req.Context) {
		all := newFS(req.Context)
		return map[string]fsutil.FS{"context": all, "dockerfile": all}
	}
	return map[string]fsutil.FS{"context": newFS(ctx), "dockerfile": newFS(req.Context)}
}

// exports: the engine stores the image under its refs and push refs (moby exporter); a daemon
// pushes it (image exporter).
func (b *Builder) exports(req schedule.Request) []client.ExportEntry {
	if b.engine != nil {
		names := slices.Compact(append(slices.Clone(req.Refs), req.Push...))
		return []client.ExportEntry{{Type: "moby", Attrs: map[string]string{"name": strings.Join(names, ",")}}}
	}
	if len(req.Push) == 0 {
		return nil
	}
	attrs := annotationAttrs(b.opts.annotations, multi(req))
	attrs["name"], attrs["push"] = strings.Join(req.Push, ","), "true"
	return []client.ExportEntry{{Type: client.ExporterImage, Attrs: attrs}}
}

// frontendAttrs are the Dockerfile frontend's options, as `buildctl build --frontend
// dockerfile.v0` would send them.
func frontendAttrs(req schedule.Request) map[string]string {
	attrs := map[string]string{"filename": inputs.BuildDockerfile(req.Dockerfile)}
	set := func(k, v string) {
		if v != "" {
			attrs[k] = v
		}
	}
	set("target", req.Target)
	set("platform", platformAttr(req))
	set("force-network-mode", req.Network)
	if req.NoCache {
		attrs["no-cache"] = ""
	}
	for k, v := range req.Args {
		attrs["build-arg:"+k] = v
	}
	for k, v := range req.Labels {
		attrs["label:"+k] = v
	}
	return attrs
}

// cacheOptions: registry imports; a registry export where the builder can (a Docker engine
// without containerd's image store exports no cache but inline: logs says so when max was
// asked for); inline cache in pushed images.
func (b *Builder) cacheOptions(req schedule.Request, logs func(string)) (imports, exports []client.CacheOptionsEntry) {
	for _, ref := range req.CacheFrom {
		imports = append(imports, client.CacheOptionsEntry{Type: "registry", Attrs: map[string]string{"ref": ref}})
	}
	switch {
	case req.CacheTo != "" && !b.cacheExport && req.CacheMode == "max":
		logs(fmt.Sprintf("imagemake: warning: cache.mode max: %s exports no cache to a registry (its BuildKit has only inline cache, which is min; an engine with the containerd image store or a BuildKit daemon has more): %s not written",
			b.name(), req.CacheTo))
	case req.CacheTo != "" && b.cacheExport:
		mode := req.CacheMode
		if mode == "" {
			mode = "min"
		}
		exports = append(exports, client.CacheOptionsEntry{Type: "registry",
			Attrs: map[string]string{"ref": req.CacheTo, "mode": mode}})
	}
	// The engine keeps the cache in the image it stores, for the push that may follow.
	if req.InlineCache && (len(req.Push) > 0 || b.engine != nil) {
		exports = append(exports, client.CacheOptionsEntry{Type: "inline"})
	}
	return imports, exports
}
