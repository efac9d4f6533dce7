package docker

import (
	"archive/tar"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/imagemake/imagemake/internal/build"
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

// contextTar writes a context with busybox at /busybox and the given Dockerfile; stop, when
// not nil, is returned once the Dockerfile is written, before the rest.
func contextTar(t *testing.T, dockerfile string, stop error) func(io.Writer) error {
	t.Helper()
	busybox, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Skipf("test images need a static /bin/busybox: %v", err)
	}
	return func(w io.Writer) error {
		tw := tar.NewWriter(w)
		if err := writeFile(tw, "Dockerfile", []byte(dockerfile), 0o644); err != nil {
			return err
		}
		if stop != nil {
			return stop
		}
		if err := writeFile(tw, "busybox", busybox, 0o755); err != nil {
			return err
		}
		return tw.Close()
	}
}

func writeFile(tw *tar.Writer, name string, data []byte, mode int64) error {
	hdr := &tar.Header{Name: name, Mode: mode, Size: int64(len(data)), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
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
	id, err := e.Build(context.Background(), build.Request{
		Image:   "build",
		Context: contextTar(t, busyboxBase+"ARG TOKEN\nRUN echo \"hello $TOKEN\"\n", nil),
		Args:    map[string]string{"TOKEN": token},
		Network: "none",
		Labels:  map[string]string{InputsLabel: "sha256:abc", "team": "edge"},
		Refs:    []string{ref, extra},
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
	_, err := e.Build(context.Background(), build.Request{
		Context: contextTar(t, busyboxBase+"RUN exit 3\n", nil),
		Network: "none",
		Labels:  map[string]string{InputsLabel: "x"},
		Refs:    []string{ref},
		NoCache: true,
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
	_, err := e.Build(ctx, build.Request{
		Context: contextTar(t, busyboxBase+"RUN sleep 30\n", nil),
		Network: "none",
		Labels:  map[string]string{InputsLabel: "x"},
		Refs:    []string{ref},
		NoCache: true,
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

func TestBuildContextWriterError(t *testing.T) {
	e := testEngine(t)
	ref := testRef(t, e, "writer")
	errBoom := errors.New("boom")
	_, err := e.Build(context.Background(), build.Request{
		Context: contextTar(t, busyboxBase, errBoom),
		Network: "none",
		Refs:    []string{ref},
	}, nil)
	if !errors.Is(err, errBoom) {
		t.Fatalf("Build error = %v, want the writer's error", err)
	}
	assertNoImage(t, e, ref)
}

func TestImagesAndTag(t *testing.T) {
	e := testEngine(t)
	ref, tagged := testRef(t, e, "images"), testRef(t, e, "images-tagged")
	inputs := "sha256:" + strings.Repeat("ab", 32)
	id, err := e.Build(context.Background(), build.Request{
		Context: contextTar(t, busyboxBase, nil),
		Labels:  map[string]string{InputsLabel: inputs},
		Refs:    []string{ref},
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
