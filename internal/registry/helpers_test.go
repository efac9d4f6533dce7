package registry_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/imagemake/imagemake/internal/registry"
)

// fault makes the requests it matches fail or stall, times times (0: forever).
type fault struct {
	method string // "" matches any
	path   string // substring of the URL path
	status int    // 0 passes the request on after the delay
	delay  time.Duration
	times  int
}

// faulty wraps a registry handler: it records every request and injects faults.
type faulty struct {
	next http.Handler

	mu       sync.Mutex
	faults   []*fault
	requests []string // "METHOD /path"
	agents   []string
}

func (f *faulty) inject(flt fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, &flt)
}

func (f *faulty) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults, f.requests, f.agents = nil, nil, nil
}

// take records r and returns the fault to apply to it, if any.
func (f *faulty) take(r *http.Request) *fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	f.agents = append(f.agents, r.UserAgent())
	for i, flt := range f.faults {
		if (flt.method == "" || flt.method == r.Method) && strings.Contains(r.URL.Path, flt.path) {
			if flt.times == 1 {
				f.faults = append(f.faults[:i], f.faults[i+1:]...)
			} else if flt.times > 1 {
				flt.times--
			}
			return flt
		}
	}
	return nil
}

func (f *faulty) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	flt := f.take(r)
	if flt != nil && flt.delay > 0 {
		// The server notices a client gone only once the request body was read.
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		select {
		case <-time.After(flt.delay):
		case <-r.Context().Done():
			return
		}
	}
	if flt != nil && flt.status != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(flt.status)
		fmt.Fprintf(w, `{"errors":[{"code":"UNKNOWN","message":"injected %d from the test"}]}`, flt.status)
		return
	}
	f.next.ServeHTTP(w, r)
}

// count is how many recorded requests have method and a path containing path.
func (f *faulty) count(method, path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		m, p, _ := strings.Cut(r, " ")
		if (method == "" || m == method) && strings.Contains(p, path) {
			n++
		}
	}
	return n
}

func (f *faulty) lastAgent() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.agents[len(f.agents)-1]
}

func (f *faulty) log() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.requests, "\n")
}

// serve starts go-containerregistry's in-process registry behind a faulty handler and
// returns it with the registry's host:port.
func serve(t *testing.T) (*faulty, string) {
	t.Helper()
	f := &faulty{next: ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, strings.TrimPrefix(srv.URL, "http://")
}

// anonymous has no credentials, whatever ~/.docker/config.json holds.
var anonymous = authn.NewMultiKeychain()

// client is a Client with fast retries, so fault tests take milliseconds.
func client(opts ...registry.Option) *registry.Client {
	base := []registry.Option{
		registry.WithKeychain(anonymous),
		registry.WithRetries(3, time.Millisecond),
		registry.WithTimeout(2 * time.Second),
	}
	return registry.New(append(base, opts...)...)
}

// labelled is a random image with the given labels.
func labelled(t *testing.T, labels map[string]string) v1.Image {
	t.Helper()
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.Config(img, v1.Config{Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// push writes img under ref, bypassing the Client under test.
func push(t *testing.T, ref string, img v1.Image, opts ...remote.Option) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, opts...); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func pushIndex(t *testing.T, ref string, idx v1.ImageIndex) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// do sends one raw request to the registry and checks its status.
func do(t *testing.T, method, url, contentType, body string, want int) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: %d %s, want %d", method, url, resp.StatusCode, b, want)
	}
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
