package run

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/imagemake/imagemake/internal/engine/buildkit"
	"github.com/imagemake/imagemake/internal/engine/docker"
)

// engineEnv is the env that reaches this machine's Docker engine; the test is skipped without
// one.
func engineEnv(t *testing.T) map[string]string {
	t.Helper()
	env := map[string]string{"HOME": os.Getenv("HOME"), "DOCKER_HOST": os.Getenv("DOCKER_HOST")}
	e, err := docker.New(context.Background(), env)
	if errors.Is(err, docker.ErrUnreachable) {
		t.Skipf("no Docker engine: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	_ = e.Close()
	return env
}

func TestSessionKeepsConnectionsAndRedialsADroppedOne(t *testing.T) {
	ctx := context.Background()
	env := engineEnv(t)
	k := NewSession()
	defer k.Close()
	var warnings []string
	warn := func(line string) { warnings = append(warnings, line) }

	e1, _, err := k.dockerEngine(ctx, env, warn)
	if err != nil {
		t.Fatal(err)
	}
	e2, _, err := k.dockerEngine(ctx, env, warn)
	if err != nil || e2 != e1 {
		t.Fatalf("second run: engine %p (err %v), want the kept %p", e2, err, e1)
	}
	asked := make(chan struct{})
	close(asked)
	r := &Run{kept: k, engine: e1, restoreGC: func() {}, release: func() {}, asked: asked}
	b1, err := r.engineBuildKit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.bk = &builders{engine: true, pool: buildkit.NewPool([]*buildkit.Builder{b1}, 1, nil)}
	r.Close() // a run of the session leaves its connections open
	if _, err := e1.Images(ctx); err != nil {
		t.Fatalf("the engine's connection closed with the run: %v", err)
	}
	k.check(ctx, warn)
	if b2, err := r.engineBuildKit(ctx); err != nil || b2 != b1 || len(warnings) > 0 {
		t.Fatalf("second run: builder %p (err %v), warnings %q; want the kept %p and none", b2, err, warnings, b1)
	}

	_ = b1.Close() // the connection drops under the session
	k.check(ctx, warn)
	if len(warnings) != 1 || !strings.Contains(warnings[0], "connecting again") {
		t.Fatalf("warnings %q, want one saying the builder is connected again", warnings)
	}
	b3, err := r.engineBuildKit(ctx)
	if err != nil || b3 == b1 {
		t.Fatalf("after the drop: builder %p (err %v), want a new one", b3, err)
	}
	if err := b3.Ping(ctx); err != nil {
		t.Fatalf("the new builder does not answer: %v", err)
	}

	other := map[string]string{"HOME": env["HOME"], "DOCKER_HOST": env["DOCKER_HOST"], "X": "y"}
	e4, _, err := k.dockerEngine(ctx, other, warn)
	if err != nil || e4 == e1 || len(k.builders) != 0 {
		t.Fatalf("another env: engine %p (err %v), %d builders kept; want a new engine and its builders dropped", e4, err, len(k.builders))
	}
}
