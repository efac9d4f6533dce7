package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/engine/buildkit"
	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/schedule"
)

// These tests drive the real engine the environment points at. Without one they are skipped,
// unless IMAGEMAKE_E2E=1 says an engine must be there.

func processEnv() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

func requireEngine(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("IMAGEMAKE_E2E") == "1" {
		t.Fatalf("IMAGEMAKE_E2E=1 but no engine: %v", err)
	}
	t.Skipf("no Docker engine: %v", err)
}

func testEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := New(context.Background(), processEnv())
	requireEngine(t, err)
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// testRef is a ref no other test uses; it is removed when the test ends.
func testRef(t *testing.T, e *Engine, repo string) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	ref := "imagemake-test/" + repo + ":" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		_, _ = e.api.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true, PruneChildren: true})
	})
	return ref
}

// testContext is a context on disk with busybox at /busybox and the given Dockerfile, its
// entries digested as a run digests them (the builder sends only the bytes it was digested with).
func testContext(t *testing.T, dockerfile string) []inputs.Entry {
	t.Helper()
	busybox, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Skipf("test images need a static /bin/busybox: %v", err)
	}
	dir := t.TempDir()
	df, bb := filepath.Join(dir, "Dockerfile"), filepath.Join(dir, "busybox")
	if err := os.WriteFile(df, []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bb, busybox, 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := inputs.NewScanner(&config.Project{Root: dir, File: filepath.Join(dir, config.FileName)})
	if err != nil {
		t.Fatal(err)
	}
	l, _, err := s.Inputs(&config.Image{Name: "test", Context: ".", Dockerfile: "Dockerfile"}, inputs.Build{})
	if err != nil {
		t.Fatal(err)
	}
	return l.Entries()
}

// testBuilder is the engine's BuildKit.
func testBuilder(t *testing.T, e *Engine) *buildkit.Builder {
	t.Helper()
	b, err := e.BuildKit(context.Background())
	if err != nil {
		t.Fatalf("BuildKit: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

const busyboxBase = `FROM scratch
COPY busybox /bin/busybox
SHELL ["/bin/busybox", "sh", "-c"]
`

// logLines collects log lines safely and checks each is a single line.
type logLines struct {
	mu    sync.Mutex
	lines []string
	seen  chan string
}

func newLogLines() *logLines { return &logLines{seen: make(chan string, 1000)} }

func (l *logLines) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
	select {
	case l.seen <- line:
	default:
	}
}

func (l *logLines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

func (l *logLines) contains(s string) bool {
	for _, line := range l.all() {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

func assertNoImage(t *testing.T, e *Engine, ref string) {
	t.Helper()
	_, err := e.api.ImageInspect(context.Background(), ref)
	if err == nil {
		t.Errorf("%s exists after a build that did not succeed", ref)
	} else if !client.IsErrNotFound(err) {
		t.Errorf("inspecting %s: %v", ref, err)
	}
}

func TestBuildLabelsRefsAndLogs(t *testing.T) {
	e := testEngine(t)
	ref, extra := testRef(t, e, "build"), testRef(t, e, "build-extra")
	token := hex.EncodeToString([]byte(t.Name()))[:8] + time.Now().Format("150405.000000")
	logs := newLogLines()
	id, err := testBuilder(t, e).Build(context.Background(), schedule.Request{
		Image:      "build",
		Dockerfile: "Dockerfile",
		Context:    testContext(t, busyboxBase+"ARG TOKEN\nRUN echo \"hello $TOKEN\"\n"),
		Args:       map[string]string{"TOKEN": token},
		Network:    "none",
		Labels:     map[string]string{InputsLabel: "sha256:abc", "team": "edge"},
		Refs:       []string{ref, extra},
	}, logs.add)
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, strings.Join(logs.all(), "\n"))
	}
	for _, r := range []string{ref, extra} {
		inspect, err := e.api.ImageInspect(context.Background(), r)
		if err != nil {
			t.Fatalf("inspecting %s: %v", r, err)
		}
		if inspect.ID != id {
			t.Errorf("%s is %s, Build returned %s", r, inspect.ID, id)
		}
		if got := inspect.Config.Labels; got[InputsLabel] != "sha256:abc" || got["team"] != "edge" {
			t.Errorf("%s labels = %v", r, got)
		}
	}
	if !logs.contains("hello " + token) {
		t.Errorf("no log line with the RUN's output %q:\n%s", "hello "+token, strings.Join(logs.all(), "\n"))
	}
	for _, line := range logs.all() {
		if strings.ContainsAny(line, "\n") {
			t.Errorf("log line with a newline: %q", line)
		}
	}
}

func TestBuildFailingRun(t *testing.T) {
	e := testEngine(t)
	ref := testRef(t, e, "fail")
	logs := newLogLines()
	_, err := testBuilder(t, e).Build(context.Background(), schedule.Request{
		Image:      "fail",
		Dockerfile: "Dockerfile",
		Context:    testContext(t, busyboxBase+"RUN exit 3\n"),
		Network:    "none",
		Labels:     map[string]string{InputsLabel: "x"},
		Refs:       []string{ref},
		NoCache:    true,
	}, logs.add)
	if err == nil || !strings.Contains(err.Error(), "exit code: 3") {
		t.Fatalf("Build error = %v, want one with the exit code", err)
	}
	assertNoImage(t, e, ref)
}

func TestBuildCancel(t *testing.T) {
	e := testEngine(t)
	ref := testRef(t, e, "cancel")
	logs := newLogLines()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelled := make(chan time.Time, 1)
	go func() {
		for line := range logs.seen {
			if strings.Contains(line, "sleep 30") {
				time.Sleep(500 * time.Millisecond) // let the RUN start
				cancelled <- time.Now()
				cancel()
				return
			}
		}
	}()
	_, err := testBuilder(t, e).Build(ctx, schedule.Request{
		Image:      "cancel",
		Dockerfile: "Dockerfile",
		Context:    testContext(t, busyboxBase+"RUN sleep 30\n"),
		Network:    "none",
		Labels:     map[string]string{InputsLabel: "x"},
		Refs:       []string{ref},
		NoCache:    true,
	}, logs.add)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Build error = %v, want context.Canceled\n%s", err, strings.Join(logs.all(), "\n"))
	}
	if took := time.Since(<-cancelled); took > 5*time.Second {
		t.Errorf("Build returned %s after its context was cancelled", took)
	}
	time.Sleep(time.Second) // a late export would tag now
	assertNoImage(t, e, ref)
}

// TestBuildRefusesWhatTheEngineLacks: COPY --exclude, which the BuildKit of an older engine
// drops without a word, is refused naming the Dockerfile line; nothing is built.
func TestBuildRefusesWhatTheEngineLacks(t *testing.T) {
	e := testEngine(t)
	b := testBuilder(t, e)
	ref := testRef(t, e, "caps")
	_, err := b.Build(context.Background(), schedule.Request{
		Image:      "caps",
		Dockerfile: "Dockerfile",
		Context:    testContext(t, busyboxBase+"COPY --exclude=*.txt . /src\n"),
		Network:    "none",
		Refs:       []string{ref},
	}, nil)
	if err == nil {
		t.Skip("this engine's BuildKit has COPY --exclude")
	}
	if !strings.Contains(err.Error(), "Dockerfile:4: COPY --exclude=*.txt . /src: COPY --exclude") || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("Build error = %v, want the line and the feature named", err)
	}
	assertNoImage(t, e, ref)
}

func TestImagesAndTag(t *testing.T) {
	e := testEngine(t)
	ref, tagged := testRef(t, e, "images"), testRef(t, e, "images-tagged")
	inputs := "sha256:" + strings.Repeat("ab", 32)
	id, err := testBuilder(t, e).Build(context.Background(), schedule.Request{
		Image:      "images",
		Dockerfile: "Dockerfile",
		Context:    testContext(t, busyboxBase),
		Labels:     map[string]string{InputsLabel: inputs},
		Refs:       []string{ref},
	}, nil)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if err := e.Tag(context.Background(), id, tagged); err != nil {
		t.Fatalf("Tag: %v", err)
	}
	images, err := e.Images(context.Background())
	if err != nil {
		t.Fatalf("Images: %v", err)
	}
	for _, r := range []string{ref, tagged} {
		want := Image{ID: id, Inputs: inputs}
		if got := images["docker.io/"+r]; got != want {
			t.Errorf("Images()[%q] = %+v, want %+v", "docker.io/"+r, got, want)
		}
	}
}
