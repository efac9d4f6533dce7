package registry_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/imagemake/imagemake/internal/registry"
)

func TestLookupFindsEveryManifestKind(t *testing.T) {
	_, host := serve(t)
	docker := labelled(t, nil)
	oci := mutate.MediaType(mutate.ConfigMediaType(labelled(t, nil), types.OCIConfigJSON), types.OCIManifestSchema1)
	idx, err := random.Index(256, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	list := mutate.IndexMediaType(mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: docker}), types.DockerManifestList)
	want := map[string]struct{ digest, mediaType string }{
		host + "/app:docker": {push(t, host+"/app:docker", docker), string(types.DockerManifestSchema2)},
		host + "/app:oci":    {push(t, host+"/app:oci", oci), string(types.OCIManifestSchema1)},
		host + "/app:index":  {pushIndex(t, host+"/app:index", idx), string(types.OCIImageIndex)},
		host + "/app:list":   {pushIndex(t, host+"/app:list", list), string(types.DockerManifestList)},
	}
	for ref, w := range want {
		got, err := client().Lookup(context.Background(), ref)
		if err != nil {
			t.Fatalf("Lookup(%s): %v", ref, err)
		}
		if got == nil || got.Ref != ref || got.Digest != w.digest || got.MediaType != w.mediaType {
			t.Errorf("Lookup(%s) = %+v, want digest %s, media type %s", ref, got, w.digest, w.mediaType)
		}
	}
}

func TestLookupMissingIsNil(t *testing.T) {
	_, host := serve(t)
	push(t, host+"/app:v1", labelled(t, nil))
	for _, ref := range []string{host + "/app:v2", host + "/nothing:v1", host + "/app@sha256:" + strings.Repeat("0", 64)} {
		got, err := client().Lookup(context.Background(), ref)
		if got != nil || err != nil {
			t.Errorf("Lookup(%s) = %+v, %v; want nil, nil", ref, got, err)
		}
	}
}

func TestLookupRetriesTransientFailures(t *testing.T) {
	for _, status := range []int{500, 502, 503, 504, 429} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			f, host := serve(t)
			digest := push(t, host+"/app:v1", labelled(t, nil))
			f.reset()
			f.inject(fault{path: "/manifests/", status: status, times: 2})
			got, err := client().Lookup(context.Background(), host+"/app:v1")
			if err != nil || got == nil || got.Digest != digest {
				t.Fatalf("Lookup = %+v, %v; want %s", got, err, digest)
			}
			if n := f.count(http.MethodHead, "/manifests/"); n != 3 {
				t.Errorf("%d HEAD requests, want 3:\n%s", n, f.log())
			}
		})
	}
}

func TestLookupFailingRegistryIsAnErrorNotMissing(t *testing.T) {
	f, host := serve(t)
	push(t, host+"/app:v1", labelled(t, nil))
	f.reset()
	f.inject(fault{path: "/manifests/", status: http.StatusInternalServerError})
	ref := host + "/app:v1"
	got, err := client().Lookup(context.Background(), ref)
	if err == nil || got != nil {
		t.Fatalf("Lookup = %+v, %v; want an error", got, err)
	}
	t.Logf("error: %v", err)
	if errors.Is(err, registry.ErrNotFound) {
		t.Errorf("a failing registry reported as not found: %v", err)
	}
	for _, want := range []string{ref, "injected 500 from the test"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	// 1 try + 3 retries, then one GET for the registry's message.
	if heads, gets := f.count(http.MethodHead, "/manifests/"), f.count(http.MethodGet, "/manifests/"); heads != 4 || gets != 1 {
		t.Errorf("%d HEAD and %d GET, want 4 and 1:\n%s", heads, gets, f.log())
	}
}

func TestLookupFailingPingIsAnErrorNotMissing(t *testing.T) {
	f, host := serve(t)
	f.inject(fault{method: http.MethodGet, path: "/v2/", status: http.StatusNotFound})
	got, err := client().Lookup(context.Background(), host+"/app:v1")
	if err == nil || got != nil || errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("a registry without /v2/: Lookup = %+v, %v; want an error other than not found", got, err)
	}
}

func TestLookupDoesNotRetryDenialOrMissing(t *testing.T) {
	for _, status := range []int{401, 403} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			f, host := serve(t)
			push(t, host+"/app:v1", labelled(t, nil))
			f.reset()
			f.inject(fault{path: "/manifests/", status: status})
			ref := host + "/app:v1"
			_, err := client().Lookup(context.Background(), ref)
			t.Logf("error: %v", err)
			if !errors.Is(err, registry.ErrDenied) {
				t.Fatalf("Lookup error %v, want ErrDenied", err)
			}
			for _, want := range []string{ref, "docker login " + host} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if n := f.count(http.MethodHead, "/manifests/"); n != 1 {
				t.Errorf("%d HEAD requests, want 1", n)
			}
		})
	}
	t.Run("404", func(t *testing.T) {
		f, host := serve(t)
		push(t, host+"/app:v1", labelled(t, nil))
		f.reset()
		f.inject(fault{path: "/manifests/", status: http.StatusNotFound})
		got, err := client().Lookup(context.Background(), host+"/app:v1")
		if got != nil || err != nil {
			t.Fatalf("Lookup = %+v, %v; want nil, nil", got, err)
		}
		if n := f.count("", "/manifests/"); n != 1 {
			t.Errorf("%d manifest requests, want 1", n)
		}
	})
}

func TestLookupTimesOutSlowResponses(t *testing.T) {
	f, host := serve(t)
	digest := push(t, host+"/app:v1", labelled(t, nil))
	f.reset()
	f.inject(fault{method: http.MethodHead, path: "/manifests/", delay: time.Second, times: 2})
	c := client(registry.WithTimeout(50 * time.Millisecond))
	start := time.Now()
	got, err := c.Lookup(context.Background(), host+"/app:v1")
	if err != nil || got == nil || got.Digest != digest {
		t.Fatalf("Lookup = %+v, %v; want %s after two timeouts", got, err, digest)
	}
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Errorf("took %s: the slow responses were awaited", d)
	}

	f.inject(fault{path: "/manifests/", delay: time.Second})
	_, err = c.Lookup(context.Background(), host+"/app:v1")
	t.Logf("error: %v", err)
	if err == nil || !strings.Contains(err.Error(), "within 50ms") {
		t.Fatalf("Lookup of a registry that never answers: %v, want a timeout error", err)
	}
}

func TestLookupUnsupportedMediaType(t *testing.T) {
	_, host := serve(t)
	const schema1 = "application/vnd.docker.distribution.manifest.v1+prettyjws"
	do(t, http.MethodPut, "http://"+host+"/v2/old/manifests/v1", schema1, `{"schemaVersion":1}`, http.StatusCreated)
	ref := host + "/old:v1"
	got, err := client().Lookup(context.Background(), ref)
	want := "unsupported manifest media type " + schema1 + " for " + ref
	if got != nil || err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, registry.ErrUnsupported) {
		t.Fatalf("Lookup = %+v, %v; want error %q", got, err, want)
	}
	if _, err := client().Inputs(context.Background(), ref); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Inputs: %v, want %q", err, want)
	}
	if err := client().Retag(context.Background(), ref, host+"/old:v2"); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Retag: %v, want %q", err, want)
	}
}

func TestLookupConnectionRefused(t *testing.T) {
	addr := closedPort(t)
	start := time.Now()
	got, err := client().Lookup(context.Background(), addr+"/app:v1")
	t.Logf("error: %v", err)
	if err == nil || got != nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("Lookup = %+v, %v; want connection refused", got, err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %s", time.Since(start))
	}
}

func TestLookupHonoursCancellation(t *testing.T) {
	f, host := serve(t)
	push(t, host+"/app:v1", labelled(t, nil))
	f.reset()
	t.Run("during a slow response", func(t *testing.T) {
		f.inject(fault{path: "/manifests/", delay: 10 * time.Second, times: 1})
		expectCancelled(t, client(registry.WithTimeout(time.Minute)), host+"/app:v1")
	})
	t.Run("during the backoff", func(t *testing.T) {
		f.inject(fault{path: "/manifests/", status: 503})
		expectCancelled(t, client(registry.WithRetries(5, 10*time.Second)), host+"/app:v1")
	})
	t.Run("before starting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		founds, err := client().LookupAll(ctx, []string{host + "/app:v1", host + "/app:v2"}, 1)
		if !errors.Is(err, context.Canceled) || founds[0] != nil || founds[1] != nil {
			t.Errorf("LookupAll with a cancelled context = %v, %v", founds, err)
		}
	})
}

func expectCancelled(t *testing.T, c *registry.Client, ref string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	got, err := c.Lookup(ctx, ref)
	if got != nil || !errors.Is(err, context.Canceled) {
		t.Errorf("Lookup = %+v, %v; want context.Canceled", got, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("returned %s after the start, long after the cancellation", d)
	}
}

func TestLookupAllKeepsOrder(t *testing.T) {
	_, host := serve(t)
	var refs []string
	want := map[string]string{}
	for i := range 12 {
		ref := fmt.Sprintf("%s/app%d:v1", host, i)
		refs = append(refs, ref)
		if i%3 != 0 {
			want[ref] = push(t, ref, labelled(t, nil))
		}
	}
	got, err := client().LookupAll(context.Background(), refs, 4)
	if err != nil {
		t.Fatal(err)
	}
	for i, ref := range refs {
		switch {
		case want[ref] == "" && got[i] != nil:
			t.Errorf("%s: found %+v, want nil", ref, got[i])
		case want[ref] != "" && (got[i] == nil || got[i].Ref != ref || got[i].Digest != want[ref]):
			t.Errorf("%s: found %+v, want %s", ref, got[i], want[ref])
		}
	}
}

func TestLookupAllReportsTheFirstFailure(t *testing.T) {
	f, host := serve(t)
	ok := push(t, host+"/ok:v1", labelled(t, nil))
	f.inject(fault{path: "/bad", status: 500})
	refs := []string{host + "/ok:v1", host + "/bad1:v1", host + "/bad2:v1"}
	got, err := client().LookupAll(context.Background(), refs, 0)
	if err == nil || !strings.Contains(err.Error(), refs[1]) || !strings.Contains(err.Error(), "1 more") {
		t.Errorf("LookupAll error %v, want the failure of %s and a count", err, refs[1])
	}
	if got[0] == nil || got[0].Digest != ok {
		t.Errorf("the ref that worked: %+v", got[0])
	}
}

func TestFirstExisting(t *testing.T) {
	f, host := serve(t)
	second := push(t, host+"/cache:second", labelled(t, nil))
	push(t, host+"/cache:third", labelled(t, nil))
	f.inject(fault{path: "/broken/", status: 503})
	ref := func(s string) string { return host + "/" + s }
	for _, tc := range []struct {
		name    string
		refs    []string
		want    string
		wantErr bool
	}{
		{"first in order wins", []string{ref("cache:first"), ref("cache:second"), ref("cache:third")}, second, false},
		{"none", []string{ref("cache:a"), ref("cache:b")}, "", false},
		{"empty", nil, "", false},
		{"failure before the hit", []string{ref("broken:x"), ref("cache:second")}, "", true},
		{"failure after the hit", []string{ref("cache:second"), ref("broken:x")}, second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := client().FirstExisting(context.Background(), tc.refs)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want one: %v", err, tc.wantErr)
			}
			if digest := digestOf(got); digest != tc.want {
				t.Errorf("found %+v, want %q", got, tc.want)
			}
		})
	}
}

func digestOf(f *registry.Found) string {
	if f == nil {
		return ""
	}
	return f.Digest
}
