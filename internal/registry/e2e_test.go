package registry_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/imagemake/imagemake/internal/registry"
	"github.com/imagemake/imagemake/internal/registry/registrytest"
)

// counting records the requests a Client sends, seen from the client side.
type counting struct {
	mu       sync.Mutex
	requests []string
}

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.requests = append(c.requests, r.Method+" "+r.URL.RequestURI())
	c.mu.Unlock()
	return remote.DefaultTransport.RoundTrip(r)
}

func (c *counting) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests = nil
}

func (c *counting) blobGets() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var gets []string
	for _, r := range c.requests {
		if strings.HasPrefix(r, "GET ") && strings.Contains(r, "/blobs/sha256:") {
			gets = append(gets, r)
		}
	}
	return gets
}

func TestRealRegistry(t *testing.T) {
	host := registrytest.Start(t, registrytest.Options{})
	ctx := context.Background()
	src := host + "/cache/api:in-0123456789abcdef"
	digest := push(t, src, labelled(t, map[string]string{registry.InputsLabel: "sha256:feed"}))

	wire := &counting{}
	c := client(registry.WithTransport(wire))
	if got, err := c.Lookup(ctx, src); err != nil || got == nil || got.Digest != digest {
		t.Fatalf("Lookup(%s) = %+v, %v; want %s", src, got, err, digest)
	}
	if got, err := c.Lookup(ctx, host+"/cache/api:in-ffffffffffffffff"); got != nil || err != nil {
		t.Errorf("Lookup of a missing tag = %+v, %v", got, err)
	}
	if inputs, err := c.Inputs(ctx, src); err != nil || inputs != "sha256:feed" {
		t.Errorf("Inputs = %q, %v", inputs, err)
	}

	wire.reset()
	dsts := []string{host + "/cache/api:v2", host + "/api:v2", host + "/api:latest"}
	if err := c.Retag(ctx, src, dsts...); err != nil {
		t.Fatal(err)
	}
	if gets := wire.blobGets(); len(gets) > 0 {
		t.Errorf("Retag pulled blobs: %v\nall requests:\n%s", gets, strings.Join(wire.requests, "\n"))
	}
	founds, err := c.LookupAll(ctx, dsts, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range founds {
		if f == nil || f.Digest != digest {
			t.Errorf("%s = %+v, want %s", dsts[i], f, digest)
		}
	}
}

func TestRealRegistryWithPassword(t *testing.T) {
	const user, password = "ci", "s3cret-pa55word"
	host := registrytest.Start(t, registrytest.Options{User: user, Password: password})
	ctx := context.Background()
	ref := host + "/api:in-0123456789abcdef"
	digest := push(t, ref, labelled(t, map[string]string{registry.InputsLabel: "sha256:feed"}),
		remote.WithAuth(&authn.Basic{Username: user, Password: password}))

	dockerConfig(t, "") // no credentials
	_, err := registry.New().Lookup(ctx, ref)
	if !errors.Is(err, registry.ErrDenied) || !strings.Contains(err.Error(), "docker login "+host) || !strings.Contains(err.Error(), ref) {
		t.Errorf("Lookup without credentials: %v, want ErrDenied naming %s and docker login", err, ref)
	}

	dockerConfig(t, authJSON(host, user, "wrong-"+password))
	_, err = registry.New().Lookup(ctx, ref)
	t.Logf("wrong password: %v", err)
	if !errors.Is(err, registry.ErrDenied) || strings.Contains(err.Error(), password) {
		t.Errorf("Lookup with a wrong password: %v, want ErrDenied without the password", err)
	}

	dockerConfig(t, authJSON(host, user, password))
	c := registry.New()
	if got, err := c.Lookup(ctx, ref); err != nil || got == nil || got.Digest != digest {
		t.Fatalf("Lookup with credentials = %+v, %v; want %s", got, err, digest)
	}
	if inputs, err := c.Inputs(ctx, ref); err != nil || inputs != "sha256:feed" {
		t.Errorf("Inputs = %q, %v", inputs, err)
	}
	if err := c.Retag(ctx, ref, host+"/api:v2", host+"/other:v2"); err != nil {
		t.Errorf("Retag: %v", err)
	}
}

// dockerConfig points DOCKER_CONFIG, which authn.DefaultKeychain reads, at a config.json
// with the given auths ("" for none).
func dockerConfig(t *testing.T, auths string) {
	t.Helper()
	dir := t.TempDir()
	if auths == "" {
		auths = "{}"
	}
	cfg := fmt.Sprintf(`{"auths": %s}`, auths)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
}

func authJSON(host, user, password string) string {
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	return fmt.Sprintf(`{%q: {"auth": %q}}`, host, auth)
}
