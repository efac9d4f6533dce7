package registry_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/imagemake/imagemake/internal/registry"
)

func TestRetagInTheSameRepoPullsNoBlob(t *testing.T) {
	f, host := serve(t)
	digest := push(t, host+"/app:in-0123456789abcdef", labelled(t, nil))
	pushIndex(t, host+"/app:index", index(platformed(labelled(t, nil), "linux", "amd64")))
	f.reset()
	c := client()
	if err := c.Retag(context.Background(), host+"/app:in-0123456789abcdef", host+"/app:v2", host+"/app:latest"); err != nil {
		t.Fatal(err)
	}
	if err := c.Retag(context.Background(), host+"/app:index", host+"/app:index2"); err != nil {
		t.Fatal(err)
	}
	if n := f.count("", "/blobs/"); n != 0 {
		t.Errorf("%d blob requests, want none:\n%s", n, f.log())
	}
	for _, tag := range []string{"v2", "latest"} {
		got, err := c.Lookup(context.Background(), host+"/app:"+tag)
		if err != nil || got == nil || got.Digest != digest {
			t.Errorf("app:%s = %+v, %v; want %s", tag, got, err, digest)
		}
	}
}

func TestRetagIntoAnotherRepo(t *testing.T) {
	_, host := serve(t)
	digest := push(t, host+"/cache/app:in-0123456789abcdef", labelled(t, map[string]string{registry.InputsLabel: "sha256:abc"}))
	c := client()
	if err := c.Retag(context.Background(), host+"/cache/app:in-0123456789abcdef", host+"/app:v2"); err != nil {
		t.Fatal(err)
	}
	got, err := c.Lookup(context.Background(), host+"/app:v2")
	if err != nil || got == nil || got.Digest != digest {
		t.Fatalf("app:v2 = %+v, %v; want %s", got, err, digest)
	}
	if inputs, err := c.Inputs(context.Background(), host+"/app:v2"); err != nil || inputs != "sha256:abc" {
		t.Errorf("Inputs(app:v2) = %q, %v", inputs, err)
	}
}

func TestRetagOfAVanishedSource(t *testing.T) {
	_, host := serve(t)
	src := host + "/app:in-0123456789abcdef"
	push(t, src, labelled(t, nil))
	c := client()
	if got, err := c.Lookup(context.Background(), src); err != nil || got == nil {
		t.Fatalf("Lookup = %+v, %v", got, err)
	}
	do(t, http.MethodDelete, "http://"+host+"/v2/app/manifests/in-0123456789abcdef", "", "", http.StatusAccepted)
	err := c.Retag(context.Background(), src, host+"/app:v2")
	if !errors.Is(err, registry.ErrNotFound) || !strings.Contains(err.Error(), src) {
		t.Fatalf("Retag after the source was deleted: %v, want ErrNotFound naming %s", err, src)
	}
	if got, err := c.Lookup(context.Background(), host+"/app:v2"); got != nil || err != nil {
		t.Errorf("app:v2 = %+v, %v; want nothing", got, err)
	}
}

func TestRetagRejects(t *testing.T) {
	_, host := serve(t)
	src := host + "/app:v1"
	push(t, src, labelled(t, nil))
	for _, dst := range []string{"other.example/app:v2", host + "/app@sha256:" + strings.Repeat("a", 64), "Not A Ref"} {
		if err := client().Retag(context.Background(), src, dst); err == nil || !strings.Contains(err.Error(), dst) {
			t.Errorf("Retag to %s: %v, want an error naming it", dst, err)
		}
	}
}

func TestRetagRetriesTheManifestPut(t *testing.T) {
	f, host := serve(t)
	digest := push(t, host+"/app:v1", labelled(t, nil))
	f.inject(fault{method: http.MethodPut, path: "/manifests/", status: 503, times: 2})
	c := client()
	if err := c.Retag(context.Background(), host+"/app:v1", host+"/app:v2"); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Lookup(context.Background(), host+"/app:v2"); err != nil || got == nil || got.Digest != digest {
		t.Errorf("app:v2 = %+v, %v; want %s", got, err, digest)
	}
}

func TestInputsAndRetagHonourCancellation(t *testing.T) {
	f, host := serve(t)
	push(t, host+"/app:v1", labelled(t, nil))
	c := client(registry.WithTimeout(time.Minute))
	f.inject(fault{method: http.MethodGet, path: "/blobs/", delay: 10 * time.Second})
	f.inject(fault{method: http.MethodPut, path: "/manifests/", delay: 10 * time.Second})
	calls := map[string]func(ctx context.Context) error{
		"Inputs": func(ctx context.Context) error { _, err := c.Inputs(ctx, host+"/app:v1"); return err },
		"Retag":  func(ctx context.Context) error { return c.Retag(ctx, host+"/app:v1", host+"/app:v2") },
	}
	for name, call := range calls {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		start := time.Now()
		err := call(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
			t.Errorf("%s: %v after %s, want the context's deadline promptly", name, err, time.Since(start))
		}
	}
}
