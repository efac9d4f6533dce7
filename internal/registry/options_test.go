package registry_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/imagemake/imagemake/internal/registry"
)

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost":          true,
		"localhost:5000":     true,
		"LocalHost:5000":     true,
		"127.0.0.1":          true,
		"127.1.2.3:5000":     true,
		"[::1]:5000":         true,
		"::1":                true,
		"10.0.0.1:5000":      false,
		"registry.local":     false,
		"ghcr.io":            false,
		"localhost.evil.com": false,
	} {
		if got := registry.IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestInvalidOptionsFailEveryCall(t *testing.T) {
	for _, opt := range []registry.Option{
		registry.WithRetries(-1, time.Second),
		registry.WithRetries(2, 0),
		registry.WithTimeout(-time.Second),
		registry.WithTransport(nil),
		registry.WithKeychain(nil),
		registry.WithInsecure(nil),
	} {
		c := registry.New(opt)
		if _, err := c.Lookup(context.Background(), "localhost:1/app:v1"); err == nil || !strings.Contains(err.Error(), "registry client") {
			t.Errorf("Lookup with an invalid option: %v", err)
		}
	}
}

// A registry under a name that is not loopback is spoken to over plain HTTP only when
// WithInsecure says so; WithTransport carries the requests to the test server.
func TestWithInsecureAndTransport(t *testing.T) {
	f, host := serve(t)
	digest := push(t, host+"/app:v1", labelled(t, nil))
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, host)
	}
	tr := &http.Transport{DialContext: dial}
	t.Cleanup(tr.CloseIdleConnections)
	const ref = "registry.test:5000/app:v1"

	insecure := client(registry.WithTransport(tr), registry.WithUserAgent("imagemake-test/1"),
		registry.WithInsecure(func(h string) bool { return h == "registry.test:5000" }))
	got, err := insecure.Lookup(context.Background(), ref)
	if err != nil || got == nil || got.Digest != digest {
		t.Fatalf("Lookup over plain HTTP = %+v, %v; want %s", got, err, digest)
	}
	if ua := f.lastAgent(); !strings.Contains(ua, "imagemake-test/1") {
		t.Errorf("User-Agent %q lacks imagemake-test/1", ua)
	}

	if _, err := client(registry.WithTransport(tr)).Lookup(context.Background(), ref); err == nil {
		t.Errorf("Lookup of a non-loopback registry spoke plain HTTP by default")
	}
}
