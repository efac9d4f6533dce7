package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
)

// TestSignal runs the imagemake binary as a real process and stops it with a signal while
// the engine builds the worker image (its Dockerfile made slow): SIGINT and SIGTERM must end
// the run with exit code 130 and no build left in the engine; after SIGKILL too the next run
// must see the worker stale and build fine (the state under .imagemake/ survived).
func TestSignal(t *testing.T) {
	engine(t)
	bin := filepath.Join(t.TempDir(), "imagemake")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/imagemake")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, c := range []struct {
		name string
		sig  syscall.Signal
	}{{"SIGINT", syscall.SIGINT}, {"SIGTERM", syscall.SIGTERM}, {"SIGKILL", syscall.SIGKILL}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			testSignal(t, bin, c.name, c.sig)
		})
	}
}

func testSignal(t *testing.T, bin, name string, sig syscall.Signal) {
	r := newRepo(t, "monorepo")
	r.build(0)
	ctx := context.Background()
	old, err := r.docker.ImageInspect(ctx, r.ref("worker"))
	if err != nil {
		t.Fatal(err)
	}
	df := filepath.Join(r.dir, "services/worker/Dockerfile")
	orig := readFile(t, df)
	// The marker names the step's shell in the process table (sh cannot exec sleep: a
	// command follows), so that this run's build can be told from any other.
	marker := r.prefix + "-" + strings.ToLower(name)
	write(t, df, orig+"RUN sleep 60; : "+marker+"\n", 0o644)

	p := startImagemake(t, bin, r, "build", "--output", "line")
	if !p.waitFor(func(l string) bool {
		return strings.HasPrefix(l, "worker ") && strings.Contains(l, "RUN sleep 60")
	}, 90*time.Second) {
		p.kill()
		t.Fatalf("the worker build did not start within 90s\nstdout:\n%s\nstderr:\n%s", p.stdout(), p.stderr.String())
	}
	// The log shows the step as it starts; wait until its process runs, so that the signal
	// comes in the middle of it.
	local := engineIsLocal()
	if local {
		for start := time.Now(); !buildRunning(marker); time.Sleep(20 * time.Millisecond) {
			if time.Since(start) > 20*time.Second {
				p.kill()
				t.Fatalf("the worker's RUN step did not run in the engine within 20s of its log line")
			}
		}
	} else {
		time.Sleep(2 * time.Second)
	}
	sent := time.Now()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	state, err := p.wait(20 * time.Second)
	if err != nil {
		t.Fatalf("after %v: %v\nstdout:\n%s\nstderr:\n%s", sig, err, p.stdout(), p.stderr.String())
	}
	took := time.Since(sent)
	t.Logf("%v: imagemake exited in %v", sig, took.Round(time.Millisecond))
	if sig == syscall.SIGKILL {
		if ws, ok := state.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("imagemake did not die of SIGKILL: %v", state)
		}
	} else {
		if code := state.ExitCode(); code != 130 {
			t.Errorf("exit code %d after %v, want 130\nstdout:\n%s\nstderr:\n%s", code, sig, p.stdout(), p.stderr.String())
		}
		if !strings.Contains(p.stdout(), "cancelled") {
			t.Errorf("the output does not say the worker build was cancelled:\n%s", p.stdout())
		}
	}

	// No build left running in the engine. imagemake waits for the engine to end the build
	// it cancels; after SIGKILL the engine ends it when the connection drops.
	if local {
		grace := 2 * time.Second
		if sig == syscall.SIGKILL {
			grace = 20 * time.Second
		}
		exited := time.Now()
		for buildRunning(marker) {
			if time.Since(exited) > grace {
				t.Fatalf("the worker's RUN step still runs in the engine %v after imagemake exited", grace)
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Logf("%s: the RUN step was gone %v after imagemake exited", name, time.Since(exited).Round(time.Millisecond))
	} else {
		t.Logf("engine not local (DOCKER_HOST=%s): the process table check is skipped", os.Getenv("DOCKER_HOST"))
	}

	// Nothing was built or recorded: the ref still names the old image, no image carries
	// the new inputs, and plan says the worker is stale.
	now, err := r.docker.ImageInspect(ctx, r.ref("worker"))
	if err != nil {
		t.Fatal(err)
	}
	if now.ID != old.ID {
		t.Errorf("%s is now %s, want the old image %s: the interrupted build tagged it", r.ref("worker"), now.ID, old.ID)
	}
	worker, stderr := r.planImage("worker")
	if worker.Status != "stale" {
		t.Errorf("plan after %v: worker %q (%s), want stale", sig, worker.Status, worker.Reason)
	}
	if strings.Contains(stderr, "warning") {
		t.Errorf("plan after %v warns (state under .imagemake damaged?):\n%s", sig, stderr)
	}
	list, err := r.docker.ImageList(ctx, image.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("label", "imagemake.inputs="+worker.Inputs))})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 0 {
		t.Errorf("an image with the interrupted build's inputs exists: %v", list[0].ID)
	}

	// The next run, without the sleep (and with a change of its own, so that the worker
	// really builds), succeeds.
	write(t, df, orig, 0o644)
	write(t, filepath.Join(r.dir, "services/worker/after-signal.txt"), marker, 0o644)
	got := r.build(0)
	if exp := want("built", "worker"); !equalMaps(statuses(got), exp) {
		t.Fatalf("build after %v: %v, want %v", sig, got, exp)
	}
	if worker, _ := r.planImage("worker"); worker.Status != "up-to-date" {
		t.Errorf("plan after the rebuild: worker %q (%s)", worker.Status, worker.Reason)
	}
	rebuilt, err := r.docker.ImageInspect(ctx, r.ref("worker"))
	if err != nil {
		t.Fatal(err)
	}
	if rebuilt.ID == old.ID {
		t.Errorf("the worker was not rebuilt")
	}
}

type planEntry struct{ Name, Ref, Status, Reason, Inputs string }

// planImage runs `imagemake plan --json` in-process and returns the entry of name and stderr.
func (r *repo) planImage(name string) (planEntry, string) {
	r.t.Helper()
	code, out, errOut := r.run("plan", "--json")
	if code != 0 {
		r.t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
	}
	var p struct{ Images []planEntry }
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		r.t.Fatalf("plan --json: %v\n%s", err, out)
	}
	for _, e := range p.Images {
		if e.Name == name {
			return e, errOut
		}
	}
	r.t.Fatalf("plan --json has no image %q:\n%s", name, out)
	return planEntry{}, ""
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// proc is a running imagemake process whose stdout is read line by line as it comes.
type proc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	mu     sync.Mutex
	out    []string
	lines  chan string   // every stdout line, until closed at EOF
	eof    chan struct{} // closed when stdout is drained
}

func startImagemake(t *testing.T, bin string, r *repo, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-C", r.dir}, args...)...)
	for k, v := range r.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &proc{cmd: cmd, stderr: &syncBuffer{}, lines: make(chan string, 1024), eof: make(chan struct{})}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.eof)
		defer close(p.lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.out = append(p.out, sc.Text())
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default: // nobody waits for lines any more
			}
		}
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			p.kill()
		}
	})
	return p
}

// waitFor reads lines until one satisfies ok; false on timeout or at the end of the output.
func (p *proc) waitFor(ok func(string) bool, timeout time.Duration) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case l, more := <-p.lines:
			if !more {
				return false
			}
			if ok(l) {
				return true
			}
		case <-timer.C:
			return false
		}
	}
}

// wait waits for stdout's end and the process's exit, at most timeout.
func (p *proc) wait(timeout time.Duration) (*os.ProcessState, error) {
	go func() {
		for range p.lines { // keep draining so the reader never blocks
		}
	}()
	select {
	case <-p.eof:
	case <-time.After(timeout):
		p.kill()
		return nil, errors.New("imagemake did not exit within " + timeout.String())
	}
	err := p.cmd.Wait()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return nil, err
	}
	return p.cmd.ProcessState, nil
}

func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.eof
	_ = p.cmd.Wait()
}

func (p *proc) stdout() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.out, "\n")
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(b)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// engineIsLocal tells whether the engine runs on this machine, so that the processes of its
// builds show in /proc.
func engineIsLocal() bool {
	h := os.Getenv("DOCKER_HOST")
	return h == "" || strings.HasPrefix(h, "unix://")
}

// buildRunning tells whether a process whose command line holds marker runs: the shell of a
// RUN step the engine is executing.
func buildRunning(marker string) bool {
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		if d.Name()[0] < '0' || d.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), marker) {
			return true
		}
	}
	return false
}
