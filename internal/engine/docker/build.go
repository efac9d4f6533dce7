package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	buildtypes "github.com/docker/docker/api/types/build"

	"github.com/imagemake/imagemake/internal/build"
)

const (
	// cancelCallTimeout bounds the BuildCancel request made once ctx is already done.
	cancelCallTimeout = 5 * time.Second
	// cancelGrace bounds the wait for the engine to end a cancelled build's stream before
	// the request is cut; until the stream ends, the engine may still tag the image.
	cancelGrace = 10 * time.Second
)

// Build builds req with the engine's BuildKit builder. The context tar streams from
// req.Context into the request body; progress reaches logs as `docker build --progress=plain`
// lines. When ctx is cancelled, the build is cancelled in the engine, Build waits for the
// engine to end it and returns ctx's error.
func (e *Engine) Build(ctx context.Context, req build.Request, logs func(string)) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if req.Context == nil {
		return "", errors.New("no build context")
	}
	out := newLineWriter(logs)
	defer out.Flush()
	opts := buildOptions(req, newBuildID())
	sessionID, stopSession, err := e.startSession(ctx, req.Secrets)
	if err != nil {
		return "", err
	}
	defer stopSession()
	opts.SessionID = sessionID
	body := startContext(req.Context)
	imageID, err := e.runBuild(ctx, body, opts, out)
	writeErr := body.finish()
	switch {
	case ctx.Err() != nil:
		return "", ctx.Err()
	case writeErr != nil:
		return "", writeErr
	case err != nil:
		return "", err
	}
	return imageID, nil
}

// runBuild sends the build request and reads its stream. The request does not use ctx:
// cancellation goes through stopOnCancel so that the engine's end of the build is awaited.
func (e *Engine) runBuild(ctx context.Context, body io.Reader, opts buildtypes.ImageBuildOptions, out io.Writer) (string, error) {
	reqCtx, cancelReq := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelReq()
	streamDone := make(chan struct{})
	watcherDone := make(chan struct{})
	go func() {
		defer close(watcherDone)
		e.stopOnCancel(ctx, opts.BuildID, streamDone, cancelReq)
	}()
	defer func() { close(streamDone); <-watcherDone }()

	resp, err := e.api.ImageBuild(reqCtx, body, opts)
	if err != nil {
		return "", e.wrap(err)
	}
	defer resp.Body.Close()
	id, err := readStream(resp.Body, out)
	if errors.Is(err, errNoResult) || errors.Is(err, errStreamBroken) {
		// The engine died or the connection broke: say which engine.
		err = fmt.Errorf("the Docker engine at %s: %w", e.Endpoint(), err)
	}
	return id, err
}

// stopOnCancel waits for the stream's end or ctx's cancellation. On cancellation it asks the
// engine to cancel the build, gives the engine cancelGrace to end the stream, then cuts the
// request.
func (e *Engine) stopOnCancel(ctx context.Context, buildID string, streamDone <-chan struct{}, cancelReq func()) {
	select {
	case <-streamDone:
		return
	case <-ctx.Done():
	}
	callCtx, cancel := context.WithTimeout(context.Background(), cancelCallTimeout)
	_ = e.api.BuildCancel(callCtx, buildID) // cutting the request below also stops the build
	cancel()
	timer := time.NewTimer(cancelGrace)
	defer timer.Stop()
	select {
	case <-streamDone:
	case <-timer.C:
	}
	cancelReq()
}

func buildOptions(req build.Request, buildID string) buildtypes.ImageBuildOptions {
	args := make(map[string]*string, len(req.Args))
	for name, value := range req.Args {
		args[name] = &value
	}
	return buildtypes.ImageBuildOptions{
		Version:     buildtypes.BuilderBuildKit,
		BuildID:     buildID,
		Dockerfile:  req.Dockerfile,
		BuildArgs:   args,
		Target:      req.Target,
		Platform:    req.Platform,
		NetworkMode: req.Network,
		Labels:      req.Labels,
		Tags:        req.Refs,
		NoCache:     req.NoCache,
		CacheFrom:   req.CacheFrom,
		Remove:      true,
		ForceRemove: true,
	}
}

func newBuildID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return "imagemake-" + hex.EncodeToString(b[:])
}

// errRequestDone closes the context pipe once the request is over, so that a writer the
// engine stopped reading from returns instead of blocking.
var errRequestDone = errors.New("build request finished")

// contextBody is the request body: the read end of a pipe the context writer writes into.
type contextBody struct {
	*io.PipeReader
	done chan struct{}
	err  error // the writer's error, set before done is closed
}

func startContext(write func(io.Writer) error) *contextBody {
	pr, pw := io.Pipe()
	b := &contextBody{PipeReader: pr, done: make(chan struct{})}
	go func() {
		defer close(b.done)
		b.err = write(pw)
		_ = pw.CloseWithError(b.err) // nil: the engine reads EOF
	}()
	return b
}

// finish stops the writer and returns its own error; failures caused by the request ending
// early (the engine's error, cancellation) are not the writer's.
func (b *contextBody) finish() error {
	_ = b.CloseWithError(errRequestDone)
	<-b.done
	if b.err == nil || errors.Is(b.err, errRequestDone) || errors.Is(b.err, io.ErrClosedPipe) {
		return nil
	}
	return fmt.Errorf("writing the build context: %w", b.err)
}
