// Package registrytest starts Debian's docker-registry (the CNCF distribution registry)
// on a free loopback port for tests that need a real registry.
package registrytest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Binary is the registry program Start runs.
const Binary = "docker-registry"

// Options configure the registry Start runs.
type Options struct {
	// User and Password, when User is set, protect the registry with htpasswd basic auth.
	User, Password string
}

// Start runs a registry with storage in a temporary directory and returns its address,
// 127.0.0.1:port. The registry stops when the test ends. Without the binary the test is
// skipped, unless IMAGEMAKE_E2E=1 demands a real registry: then it fails.
func Start(t testing.TB, opts Options) string {
	t.Helper()
	bin, err := exec.LookPath(Binary)
	if err != nil {
		if os.Getenv("IMAGEMAKE_E2E") == "1" {
			t.Fatalf("IMAGEMAKE_E2E=1 but %s is missing (apt-get install docker-registry): %v", Binary, err)
		}
		t.Skipf("%s is missing (apt-get install docker-registry; IMAGEMAKE_E2E=1 makes this a failure)", Binary)
	}
	dir := t.TempDir()
	auth := htpasswd(t, dir, opts)
	var lastErr error
	for range 3 { // another process may take the free port before the registry binds it
		addr := freePort(t)
		cfg := writeConfig(t, dir, addr, auth)
		if lastErr = run(t, bin, cfg, addr); lastErr == nil {
			return addr
		}
	}
	t.Fatalf("starting %s: %v", Binary, lastErr)
	return ""
}

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// htpasswd writes the password file and returns the config's auth section, or "".
func htpasswd(t testing.TB, dir string, opts Options) string {
	t.Helper()
	if opts.User == "" {
		return ""
	}
	// The registry checks the hash on every request: the cheapest cost keeps tests fast.
	hash, err := bcrypt.GenerateFromPassword([]byte(opts.Password), bcrypt.MinCost)
	if err != nil {
		t.Fatalf("hashing the registry password: %v", err)
	}
	path := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(path, fmt.Appendf(nil, "%s:%s\n", opts.User, hash), 0o600); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("auth:\n  htpasswd:\n    realm: registrytest\n    path: %s\n", path)
}

func writeConfig(t testing.TB, dir, addr, auth string) string {
	t.Helper()
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
%s`, filepath.Join(dir, "data"), addr, auth)
	path := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// run starts the registry and waits until it answers; on failure it is stopped again.
func run(t testing.TB, bin, cfg, addr string) error {
	t.Helper()
	out := &syncBuffer{}
	cmd := exec.Command(bin, "serve", cfg)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	var exitErr error
	go func() { exitErr = cmd.Wait(); close(exited) }()
	if err := waitReady(addr, exited, &exitErr); err != nil {
		stop(cmd, exited)
		return fmt.Errorf("%w\n%s", err, out.String())
	}
	t.Cleanup(func() {
		stop(cmd, exited)
		if t.Failed() && out.Len() > 0 {
			t.Logf("%s output:\n%s", Binary, out.String())
		}
	})
	return nil
}

func waitReady(addr string, exited <-chan struct{}, exitErr *error) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("exited before answering: %v", *exitErr)
		default:
		}
		if resp, err := client.Get("http://" + addr + "/v2/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return stillRunning(exited, exitErr)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("no answer on %s within 15s", addr)
}

// stillRunning makes sure the answer came from our registry, not from another process
// that took the port first while ours failed to bind it.
func stillRunning(exited <-chan struct{}, exitErr *error) error {
	select {
	case <-exited:
		return fmt.Errorf("exited: %v", *exitErr)
	case <-time.After(50 * time.Millisecond):
		return nil
	}
}

func stop(cmd *exec.Cmd, exited <-chan struct{}) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}
