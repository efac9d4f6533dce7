package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"

	"github.com/imagemake/imagemake/internal/lock"
)

var allImages = []string{"api", "luabase", "notifier", "openresty", "pybase", "worker"}

func want(status string, names ...string) map[string]string {
	m := map[string]string{}
	for _, n := range allImages {
		m[n] = "up-to-date"
	}
	for _, n := range names {
		m[n] = status
	}
	return m
}

func TestBuildThenNoop(t *testing.T) {
	r := newRepo(t, "monorepo")
	first := r.build(0)
	if got := statuses(first); !reflect.DeepEqual(got, want("built", allImages...)) {
		t.Fatalf("first build: %v", first)
	}
	if first["api"].Reason != "never built" {
		t.Errorf("api reason %q, want %q", first["api"].Reason, "never built")
	}
	second := r.build(0)
	if got := statuses(second); !reflect.DeepEqual(got, want("built")) {
		t.Fatalf("second build should build nothing: %v", second)
	}
	img, err := r.docker.ImageInspect(context.Background(), r.ref("openresty"))
	if err != nil {
		t.Fatal(err)
	}
	if img.Config.Labels["imagemake.inputs"] == "" {
		t.Errorf("openresty lacks the imagemake.inputs label: %v", img.Config.Labels)
	}
	if _, err := r.docker.ImageInspect(context.Background(), r.prefix+"/openresty:latest"); err != nil {
		t.Errorf("extra tag missing: %v", err)
	}
}

func TestIncludedFolderChangeRebuildsExactlyItsImages(t *testing.T) {
	r := newRepo(t, "monorepo")
	r.build(0)
	write(t, filepath.Join(r.dir, "src/luamods/http.lua"), "return {}\n", 0o644)
	got := r.build(0)
	if !reflect.DeepEqual(statuses(got), want("built", "openresty")) {
		t.Fatalf("after a luamods change: %v", got)
	}
	if got["openresty"].Reason != "file changed: src/luamods/http.lua" {
		t.Errorf("openresty reason %q", got["openresty"].Reason)
	}
	write(t, filepath.Join(r.dir, "src/pylib/acme/new.py"), "x = 1\n", 0o644)
	got = r.build(0)
	if !reflect.DeepEqual(statuses(got), want("built", "pybase", "api", "worker", "notifier")) {
		t.Fatalf("after a pylib change: %v", got)
	}
	if got["api"].Reason != "base image pybase rebuilt" {
		t.Errorf("api reason %q", got["api"].Reason)
	}
	write(t, filepath.Join(r.dir, "services/api/__pycache__/main.cpython-311.pyc"), "junk", 0o644)
	write(t, filepath.Join(r.dir, "services/api/debug.log"), "junk", 0o644)
	if got := r.build(0); !reflect.DeepEqual(statuses(got), want("built")) {
		t.Fatalf("excluded files rebuilt something: %v", got)
	}
}

func TestRemovedImageRebuildsJustIt(t *testing.T) {
	r := newRepo(t, "monorepo")
	r.build(0)
	ctx := context.Background()
	for _, ref := range []string{r.ref("worker")} {
		if _, err := r.docker.ImageRemove(ctx, ref, image.RemoveOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
	}
	got := r.build(0)
	if !reflect.DeepEqual(statuses(got), want("built", "worker")) {
		t.Fatalf("after rmi worker: %v", got)
	}
	if got["worker"].Reason != "image missing from engine" {
		t.Errorf("worker reason %q", got["worker"].Reason)
	}
}

func TestFailureKeepGoingAndFailFast(t *testing.T) {
	r := newRepo(t, "monorepo")
	r.build(0, "luabase")
	write(t, filepath.Join(r.dir, "base/py/Dockerfile"), strings.Replace(readFile(t, filepath.Join(r.dir, "base/py/Dockerfile")), "RUN echo \"pybase", "RUN exit 3\nRUN echo \"pybase", 1), 0o644)
	got := r.build(1, "-k", "-j", "1")
	wantK := map[string]string{"pybase": "failed", "api": "skipped", "worker": "skipped", "notifier": "skipped",
		"luabase": "up-to-date", "openresty": "built"}
	if !reflect.DeepEqual(statuses(got), wantK) {
		t.Fatalf("-k: %v", got)
	}
	if got["api"].Reason != "dependency pybase failed" {
		t.Errorf("api reason %q", got["api"].Reason)
	}
	if !strings.Contains(got["pybase"].Reason, "exit code: 3") {
		t.Errorf("pybase reason %q lacks the exit code", got["pybase"].Reason)
	}
	code, out, _ := r.run("build", "--output", "line", "-j", "1")
	if code != 1 || !strings.Contains(out, "--- pybase: last") || !strings.Contains(out, "exit code: 3") {
		t.Fatalf("fail-fast run: exit %d\n%s", code, out)
	}
}

func TestInterruptedBuildRecordsNothing(t *testing.T) {
	r := newRepo(t, "monorepo")
	r.build(0)
	df := filepath.Join(r.dir, "services/worker/Dockerfile")
	write(t, df, readFile(t, df)+"RUN sleep 60\n", 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(3*time.Second, cancel)
	start := time.Now()
	code, out, errOut := r.runCtx(ctx, "build", "--output", "json")
	if code != 130 {
		t.Fatalf("interrupted build: exit %d, want 130\n%s\n%s", code, out, errOut)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("cancel took %v: the engine did not stop the build", d)
	}
	if got := results(t, out)["worker"].Status; got != "cancelled" {
		t.Errorf("worker status %q, want cancelled", got)
	}
	code, out, _ = r.run("plan", "--json")
	if code != 0 || !strings.Contains(out, `"name": "worker",`) {
		t.Fatalf("plan: %d %s", code, out)
	}
	if !strings.Contains(out, `"status": "stale"`) {
		t.Errorf("worker should be stale after an interrupted build:\n%s", out)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSecondProcessWaitsForTheLock(t *testing.T) {
	r := newRepo(t, "monorepo")
	release, err := lock.Acquire(context.Background(), filepath.Join(r.dir, ".imagemake"), "imagemake build (test)", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut := r.run("build", "--no-wait")
	if code != 1 || !strings.Contains(errOut, "imagemake build (test), since") {
		t.Fatalf("--no-wait while locked: exit %d, %s", code, errOut)
	}
	done := make(chan string)
	go func() {
		code, _, errOut := r.run("build", "--output", "json")
		done <- fmt.Sprintf("%d %s", code, errOut)
	}()
	time.Sleep(time.Second)
	select {
	case got := <-done:
		t.Fatalf("build did not wait for the lock: %s", got)
	default:
	}
	release()
	if got := <-done; !strings.HasPrefix(got, "0 ") || !strings.Contains(got, "waiting for another imagemake on this project") {
		t.Fatalf("waiting build: %s", got)
	}
}
