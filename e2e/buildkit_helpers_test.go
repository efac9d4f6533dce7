package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
)

// buildkitdDir holds buildkitd and buildctl: $IMAGEMAKE_BUILDKITD (scripts/buildkitd.sh sets
// it), else where that script builds them.
func buildkitdDir() string {
	if d := os.Getenv("IMAGEMAKE_BUILDKITD"); d != "" {
		return d
	}
	return "/var/cache/imagemake/buildkit-v0.34.2/bin"
}

// bkDaemon is a buildkitd of one test, on a free loopback port, with a root of its own.
type bkDaemon struct {
	addr string // tcp://127.0.0.1:PORT
	sock string // unix://..., never with TLS: how the test sees it answer
	cmd  *exec.Cmd
	done chan struct{}
}

// startBuildkitd starts a buildkitd (root, runc from Debian, host network, no containerd
// worker) that talks plain HTTP to the test registry at registryAddr, with extra flags. It stops
// when the test ends. Without the binary the test is skipped, or fails under IMAGEMAKE_E2E=1.
func startBuildkitd(t *testing.T, registryAddr string, extra ...string) *bkDaemon {
	t.Helper()
	bin := filepath.Join(buildkitdDir(), "buildkitd")
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("IMAGEMAKE_E2E") == "1" {
			t.Fatalf("IMAGEMAKE_E2E=1 but buildkitd is missing (scripts/buildkitd.sh builds it): %v", err)
		}
		t.Skipf("buildkitd is missing (scripts/buildkitd.sh builds it; IMAGEMAKE_E2E=1 makes this a failure)")
	}
	root, err := os.MkdirTemp("", "imagemake-buildkitd-")
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(root, "buildkitd.toml")
	write(t, cfg, fmt.Sprintf(`[worker.containerd]
  enabled = false
[worker.oci]
  enabled = true
  gc = false
[registry.%q]
  http = true
  insecure = true
`, registryAddr), 0o644)
	d := &bkDaemon{addr: "tcp://" + freeLoopback(t), sock: "unix://" + filepath.Join(root, "buildkitd.sock"), done: make(chan struct{})}
	log, err := os.Create(filepath.Join(root, "log"))
	if err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command(bin, append([]string{"--config", cfg, "--root", filepath.Join(root, "state"), "--addr", d.addr,
		"--addr", d.sock, "--oci-worker-net=host", "--oci-worker-binary", runcPath(t)}, extra...)...)
	d.cmd.Stdout, d.cmd.Stderr = log, log
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.cmd.Wait(); log.Close(); close(d.done) }()
	t.Cleanup(func() {
		d.stop(syscall.SIGTERM)
		if t.Failed() {
			out, _ := os.ReadFile(log.Name())
			t.Logf("buildkitd %s log (tail):\n%s", d.addr, tail(string(out), 3000))
		}
		unmountUnder(root) // a killed daemon may leave mounts behind
		os.RemoveAll(root)
	})
	d.waitReady(t)
	return d
}

func (d *bkDaemon) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c, err := client.New(ctx, d.sock)
		if err == nil {
			_, err = c.ListWorkers(ctx)
			c.Close()
		}
		cancel()
		if err == nil {
			return
		}
		select {
		case <-d.done:
			t.Fatalf("buildkitd %s exited before answering", d.addr)
		case <-time.After(200 * time.Millisecond):
		}
	}
	t.Fatalf("buildkitd %s did not answer within 60s", d.addr)
}

// stop sends sig to the daemon's process group and waits for the daemon to end.
func (d *bkDaemon) stop(sig syscall.Signal) {
	select {
	case <-d.done:
		return
	default:
	}
	syscall.Kill(-d.cmd.Process.Pid, sig)
	select {
	case <-d.done:
	case <-time.After(20 * time.Second):
		syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.done
	}
}

// unmountUnder detaches every mount below dir.
func unmountUnder(dir string) {
	data, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return
	}
	lines := strings.Split(string(data), "\n")
	for i := len(lines) - 1; i >= 0; i-- { // the latest mount first
		if f := strings.Fields(lines[i]); len(f) > 1 && strings.HasPrefix(f[1], dir+"/") {
			syscall.Unmount(f[1], syscall.MNT_DETACH)
		}
	}
}

func runcPath(t *testing.T) string {
	for _, p := range []string{"/usr/sbin/runc", "/usr/bin/runc"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("runc is missing (it comes with docker.io)")
	return ""
}

func freeLoopback(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
