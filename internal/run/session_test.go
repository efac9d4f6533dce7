package run

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/engine/buildkit"
	"github.com/imagemake/imagemake/internal/engine/docker"
	"github.com/imagemake/imagemake/internal/project"
)

// engineModel is a project whose env reaches this machine's Docker engine, with an image of
// ref; the test is skipped without an engine.
func engineModel(t *testing.T, ref string) *project.Model {
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
	return &project.Model{Project: &config.Project{Env: env, Images: []*config.Image{{Name: "x", Ref: ref}}}}
}

// endRun is a run of session k ending, as Close ends it.
func endRun(t *testing.T, k *Session, e *docker.Engine, b *buildkit.Builder) {
	asked := make(chan struct{})
	close(asked)
	r := &Run{kept: k, engine: e, restoreGC: func() {}, release: func() {}, asked: asked}
	if b != nil {
		r.bk = &builders{engine: true, pool: buildkit.NewPool([]*buildkit.Builder{b}, 1, nil)}
	}
	r.Close()
}

func TestSessionKeepsConnectionsAndRedialsADroppedOne(t *testing.T) {
	ctx := context.Background()
	m := engineModel(t, "imagemake-session-test/x:t")
	k := NewSession()
	defer k.Close()
	var warnings []string
	warn := func(line string) { warnings = append(warnings, line) }

	e1, _, err := k.dockerEngine(ctx, m, warn)
	if err != nil {
		t.Fatal(err)
	}
	r := &Run{kept: k, engine: e1}
	b1, err := r.engineBuildKit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	endRun(t, k, e1, b1) // a run of the session leaves its connections open
	k.checkBuilders(ctx)
	e2, _, err := k.dockerEngine(ctx, m, warn)
	if err != nil || e2 != e1 {
		t.Fatalf("second run: engine %p (err %v), want the kept %p", e2, err, e1)
	}
	if b2, err := r.engineBuildKit(ctx); err != nil || b2 != b1 || len(warnings) > 0 {
		t.Fatalf("second run: builder %p (err %v), warnings %q; want the kept %p and none", b2, err, warnings, b1)
	}

	_ = b1.Close() // the connection drops under the session
	endRun(t, k, e1, nil)
	k.checkBuilders(ctx)
	if _, _, err := k.dockerEngine(ctx, m, warn); err != nil {
		t.Fatal(err)
	}
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

	other := &project.Model{Project: &config.Project{Env: map[string]string{"HOME": m.Project.Env["HOME"], "DOCKER_HOST": m.Project.Env["DOCKER_HOST"], "X": "y"}}}
	e4, _, err := k.dockerEngine(ctx, other, warn)
	if err != nil || e4 == e1 || len(k.builders) != 0 {
		t.Fatalf("another env: engine %p (err %v), %d builders kept; want a new engine and its builders dropped", e4, err, len(k.builders))
	}
}

// TestSessionImageListFollowsEvents: between runs the session lists the engine's images again,
// and an image event about a ref of the project makes it list them once more.
func TestSessionImageListFollowsEvents(t *testing.T) {
	ctx := context.Background()
	const ref = "imagemake-session-test/tagged:t"
	m := engineModel(t, ref)
	k := NewSession()
	defer k.Close()
	e, images, err := k.dockerEngine(ctx, m, logTo(t))
	if err != nil {
		t.Fatal(err)
	}
	var source string
	for r, img := range images {
		if !strings.HasPrefix(r, "docker.io/imagemake-session-test/") {
			source = img.ID
			break
		}
	}
	if source == "" {
		t.Skip("the engine holds no image to tag")
	}
	endRun(t, k, e, nil)
	waitFresh(t, k, true)

	if err := e.Tag(ctx, source, ref); err != nil {
		t.Fatal(err)
	}
	defer exec.Command("docker", "rmi", ref).Run() // the tag only: the image has others
	normal := "docker.io/" + ref
	for range 400 { // no run starts: the event alone makes the session list again
		k.mu.Lock()
		id, fresh := k.images.images[normal].ID, k.images.fresh
		k.mu.Unlock()
		if id == source && fresh {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	_, images, err = k.dockerEngine(ctx, m, logTo(t))
	if err != nil || images[normal].ID != source {
		t.Fatalf("the list after tagging %s holds %+v there (err %v), want %s", ref, images[normal], err, source)
	}
}

func logTo(t *testing.T) func(string) { return func(line string) { t.Log(line) } }

// waitFresh waits until the session's list is fresh (or not).
func waitFresh(t *testing.T, k *Session, want bool) {
	t.Helper()
	for range 400 {
		k.mu.Lock()
		fresh := k.images.fresh
		k.mu.Unlock()
		if fresh == want {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("the session's image list never became fresh=%v", want)
}

func TestEngineListTouchedBy(t *testing.T) {
	l := &engineList{}
	l.set(map[string]docker.Image{
		"docker.io/acme/api:latest":   {ID: "sha256:a1", Inputs: "sha256:i1"},
		"docker.io/other/thing:v1":    {ID: "sha256:b2", Inputs: "sha256:i2"},
		"docker.io/library/alpine:3":  {ID: "sha256:c3"},
		"registry.example.com/x/y:v9": {ID: "sha256:d4"},
	})
	l.setRefs(map[string]bool{"docker.io/acme/api:latest": true, "docker.io/acme/worker:latest": true})
	for _, c := range []struct {
		change docker.ImageChange
		want   bool
	}{
		{docker.ImageChange{Action: "tag", Name: "acme/api:latest", ID: "sha256:new"}, true},
		{docker.ImageChange{Action: "tag", Name: "acme/worker", ID: "sha256:new"}, true}, // not held yet
		{docker.ImageChange{Action: "untag", Name: "sha256:a1", ID: "sha256:a1"}, true},
		{docker.ImageChange{Action: "delete", Name: "sha256:a1", ID: "sha256:a1"}, true},
		{docker.ImageChange{Action: "tag", Name: "other/thing:v2", ID: "sha256:b2"}, false},
		{docker.ImageChange{Action: "delete", Name: "sha256:b2", ID: "sha256:b2"}, false},
		{docker.ImageChange{Action: "pull", Name: "alpine:3", ID: "sha256:c3"}, false},
	} {
		if got := l.touchedBy(c.change); got != c.want {
			t.Errorf("touchedBy(%+v) = %v, want %v", c.change, got, c.want)
		}
	}
}
