package e2e

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imagemake/imagemake/internal/registry/registrytest"
)

// engineProxy is a unix socket in front of the real engine's, which a test can slow down or
// cut, as a dying or struggling engine would be seen from imagemake.
type engineProxy struct {
	path  string
	ln    net.Listener
	delay time.Duration // before each chunk passed on, both ways
	mu    sync.Mutex
	conns []net.Conn
	cut   bool
}

func startEngineProxy(t *testing.T, delay time.Duration) *engineProxy {
	t.Helper()
	target := strings.TrimPrefix(os.Getenv("DOCKER_HOST"), "unix://")
	if target == "" {
		target = "/var/run/docker.sock"
	}
	if strings.Contains(target, "://") {
		t.Skipf("the engine is not on a unix socket (DOCKER_HOST=%s)", target)
	}
	dir, err := os.MkdirTemp("", "proxy") // short: a socket path is at most 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := &engineProxy{path: filepath.Join(dir, "engine.sock"), delay: delay}
	if p.ln, err = net.Listen("unix", p.path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	go func() {
		for {
			c, err := p.ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("unix", target)
			if err != nil {
				c.Close()
				continue
			}
			if !p.track(c, up) {
				return
			}
			go p.pipe(c, up)
			go p.pipe(up, c)
		}
	}()
	return p
}

func (p *engineProxy) host() string { return "unix://" + p.path }

func (p *engineProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	p.conns = append(p.conns, cs...)
	return true
}

func (p *engineProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			time.Sleep(p.delay)
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if c, ok := dst.(*net.UnixConn); ok && errors.Is(err, io.EOF) {
				c.CloseWrite()
			}
			return
		}
	}
}

// stop cuts every connection and refuses new ones: the engine is gone.
func (p *engineProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
}

// faultProject is one image whose build runs a step long enough to be cut in the middle.
func faultProject(t *testing.T) *repo {
	r := newProject(t, map[string]string{
		"imagemake.yaml": "version: 1\nrepo: ${DOCKER_REPO}\ntag: ${DOCKER_TAG}\nimages:\n  app:\n    context: app\n    network: none\n",
		"app/busybox":    "busybox",
	})
	write(t, filepath.Join(r.dir, "app", "Dockerfile"), busyboxDockerfile+"RUN sleep 3; : "+r.prefix+"\n", 0o644)
	return r
}

// assertNothingBuilt: plan says stale (never built), and the engine has no image of the
// namespace.
func assertNothingBuilt(t *testing.T, r *repo, after string) {
	t.Helper()
	if app, _ := r.planImage("app"); app.Status != "stale" {
		t.Errorf("after %s: plan says app %s (%s), want stale", after, app.Status, app.Reason)
	}
	if images := engineImages(t, r); images != "" {
		t.Errorf("after %s: the engine holds images of the namespace:\n%s", after, images)
	}
}

// assertBuildsAgain: with the healthy engine, the next build completes.
func assertBuildsAgain(t *testing.T, r *repo) {
	t.Helper()
	delete(r.env, "DOCKER_HOST")
	if got := r.build(0); got["app"].Status != "built" {
		t.Errorf("the build with the healthy engine: %v", got)
	}
	if app, _ := r.planImage("app"); app.Status != "up-to-date" {
		t.Errorf("after the build: app %s (%s)", app.Status, app.Reason)
	}
}

// TestEngineGoneBeforeTheRun: a socket nothing listens on, and one that is not there: exit 1,
// the error names the endpoint, nothing is recorded as built.
func TestEngineGoneBeforeTheRun(t *testing.T) {
	r := faultProject(t)
	dir, err := os.MkdirTemp("", "gone")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	refused := filepath.Join(dir, "refused.sock")
	ln, err := net.Listen("unix", refused)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close() // the socket file stays, nothing listens: connection refused
	for _, sock := range []string{refused, filepath.Join(dir, "missing.sock")} {
		r.env["DOCKER_HOST"] = "unix://" + sock
		code, out, errOut := r.run("build")
		if code != 1 || !strings.Contains(errOut, "unix://"+sock) {
			t.Errorf("%s: exit %d, want 1 and an error naming the endpoint\n%s\n%s", sock, code, out, errOut)
		}
		t.Logf("%s: %s", filepath.Base(sock), strings.TrimSpace(errOut))
	}
	delete(r.env, "DOCKER_HOST")
	assertNothingBuilt(t, r, "the runs without an engine")
	assertBuildsAgain(t, r)
}

// TestEngineGoneDuringTheBuild cuts the engine's connections while the RUN step runs: the
// build fails (exit 1) naming the endpoint, nothing is recorded, the next run builds.
func TestEngineGoneDuringTheBuild(t *testing.T) {
	r := faultProject(t)
	p := startEngineProxy(t, 0)
	r.env["DOCKER_HOST"] = p.host()
	type result struct {
		code     int
		out, err string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errOut := r.run("build", "--output", "line")
		done <- result{code, out, errOut}
	}()
	for start := time.Now(); !buildRunning(r.prefix); time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > 60*time.Second {
			t.Fatal("the RUN step did not start within 60s")
		}
	}
	p.stop()
	res := <-done
	t.Logf("exit %d\n%s\n%s", res.code, res.out, res.err)
	if res.code != 1 || !strings.Contains(res.out, "failed in") || !strings.Contains(res.out, "the Docker engine at "+p.host()) {
		t.Errorf("exit %d, want 1 and app failed with an error naming %s", res.code, p.host())
	}
	for start := time.Now(); buildRunning(r.prefix); time.Sleep(50 * time.Millisecond) {
		if time.Since(start) > 30*time.Second {
			t.Fatal("the RUN step still runs 30s after its connection was cut")
		}
	}
	delete(r.env, "DOCKER_HOST")
	assertNothingBuilt(t, r, "the cut")
	assertBuildsAgain(t, r)
}

// TestSlowEngine passes every chunk of every connection on after a pause: the build is slow
// but ends, built, and plan agrees with the engine.
func TestSlowEngine(t *testing.T) {
	r := faultProject(t)
	write(t, filepath.Join(r.dir, "app", "Dockerfile"), busyboxDockerfile+"RUN : "+r.prefix+"\n", 0o644)
	p := startEngineProxy(t, 20*time.Millisecond)
	r.env["DOCKER_HOST"] = p.host()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	code, out, errOut := r.runCtx(ctx, "build", "--output", "json")
	if code != 0 || results(t, out)["app"].Status != "built" {
		t.Fatalf("build through the slow engine: exit %d\n%s\n%s", code, out, errOut)
	}
	checkPlanAgainstEngine(t, r, "the slow build")
	if app, _ := r.planImage("app"); app.Status != "up-to-date" {
		t.Errorf("after the slow build: app %s (%s)", app.Status, app.Reason)
	}
}

// TestReuseByPullKeepsTheInputs: an image found in the registry by its inputs and pulled (no
// --push) is reused only with the label of the inputs planned, which plan then confirms.
func TestReuseByPullKeepsTheInputs(t *testing.T) {
	addr := registrytest.Start(t, registrytest.Options{})
	r := faultProject(t)
	write(t, filepath.Join(r.dir, "app", "Dockerfile"), busyboxDockerfile+"RUN : "+r.prefix+"\n", 0o644)
	r.env["DOCKER_REPO"] = addr + "/" + r.prefix
	if got := r.build(0, "--push"); got["app"].Status != "built" {
		t.Fatalf("build --push: %v", got)
	}
	r.removeImages()
	r.env["DOCKER_TAG"] = "t2"
	if got := r.build(0); got["app"].Status != "reused" {
		t.Fatalf("build after the images were removed: %v, want app reused", got)
	}
	checkPlanAgainstEngine(t, r, "the reuse by pull")
	if app, _ := r.planImage("app"); app.Status != "up-to-date" {
		t.Errorf("after the reuse: app %s (%s)", app.Status, app.Reason)
	}
}
