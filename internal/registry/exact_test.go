package registry_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/imagemake/imagemake/internal/registry"
)

const wantInputs = "sha256:1111111111111111111111111111111111111111111111111111111111111111"

func inputsImage(t *testing.T, inputs string) v1.Image {
	return labelled(t, map[string]string{registry.InputsLabel: inputs})
}

// lookedUp finds ref and reads its label through the pinned digest, as a run does.
func lookedUp(t *testing.T, c *registry.Client, ref string) *registry.Found {
	t.Helper()
	f, err := c.Lookup(context.Background(), ref)
	if err != nil || f == nil {
		t.Fatalf("Lookup(%s) = %+v, %v", ref, f, err)
	}
	if got, err := c.Inputs(context.Background(), f.Pinned()); err != nil || got != wantInputs {
		t.Fatalf("Inputs(%s) = %q, %v; want %s", f.Pinned(), got, err, wantInputs)
	}
	return f
}

func TestRetagInputsPublishesTheDigestLookedUpThoughTheTagMoved(t *testing.T) {
	f, host := serve(t)
	src := host + "/app:in-0123456789abcdef"
	digest := push(t, src, inputsImage(t, wantInputs))
	c := client()
	found := lookedUp(t, c, src)
	push(t, src, inputsImage(t, "sha256:other")) // replaced between the lookup and the retag
	f.reset()
	if err := c.RetagInputs(context.Background(), found.Pinned(), wantInputs, host+"/app:v1"); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Lookup(context.Background(), host+"/app:v1"); err != nil || got == nil || got.Digest != digest {
		t.Errorf("app:v1 = %+v, %v; want the image looked up, %s", got, err, digest)
	}
	if n := f.count("", "/blobs/"); n != 0 {
		t.Errorf("%d blob requests for a pinned image whose label was read, want none:\n%s", n, f.log())
	}
}

func TestRetagInputsRefusesATagThatHoldsOtherInputs(t *testing.T) {
	_, host := serve(t)
	src := host + "/app:in-0123456789abcdef"
	push(t, src, inputsImage(t, "sha256:other"))
	err := client().RetagInputs(context.Background(), src, wantInputs, host+"/app:v1")
	if !errors.Is(err, registry.ErrOtherInputs) || !strings.Contains(err.Error(), src) || !strings.Contains(err.Error(), "sha256:other") {
		t.Fatalf("RetagInputs of a tag holding other inputs: %v, want ErrOtherInputs naming %s and its label", err, src)
	}
	if got, err := client().Lookup(context.Background(), host+"/app:v1"); got != nil || err != nil {
		t.Errorf("app:v1 = %+v, %v; want nothing published", got, err)
	}
}

func TestRetagInputsChecksEveryPlatformOfAnIndex(t *testing.T) {
	_, host := serve(t)
	good := host + "/app:in-good"
	bad := host + "/app:in-bad"
	pushIndex(t, good, index(platformed(inputsImage(t, wantInputs), "linux", "amd64"),
		platformed(inputsImage(t, wantInputs), "linux", "arm64"), attested(labelled(t, nil))))
	pushIndex(t, bad, index(platformed(inputsImage(t, wantInputs), "linux", "amd64"),
		platformed(inputsImage(t, "sha256:other"), "linux", "arm64")))
	c := client()
	found := lookedUp(t, c, good)
	if err := c.RetagInputs(context.Background(), found.Pinned(), wantInputs, host+"/app:v1"); err != nil {
		t.Fatalf("an index whose images all carry the inputs: %v", err)
	}
	found = lookedUp(t, c, bad) // the amd64 image, the only one a lookup reads, is right
	err := c.RetagInputs(context.Background(), found.Pinned(), wantInputs, host+"/app:v2")
	if !errors.Is(err, registry.ErrOtherInputs) || !strings.Contains(err.Error(), "sha256:other") {
		t.Fatalf("an index with an arm64 image of other inputs: %v, want ErrOtherInputs", err)
	}
	if got, err := c.Lookup(context.Background(), host+"/app:v2"); got != nil || err != nil {
		t.Errorf("app:v2 = %+v, %v; want nothing published", got, err)
	}
}

func TestRetagInputsOfAPinnedDigestGone(t *testing.T) {
	_, host := serve(t)
	src := host + "/app:in-0123456789abcdef"
	push(t, src, inputsImage(t, wantInputs))
	c := client()
	found := lookedUp(t, c, src)
	pinned := strings.TrimSuffix(found.Pinned(), found.Digest) + "sha256:" + strings.Repeat("0", 64)
	err := c.RetagInputs(context.Background(), pinned, wantInputs, host+"/app:v1")
	if !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("RetagInputs of a digest the registry no longer holds: %v, want ErrNotFound", err)
	}
}

func TestPinned(t *testing.T) {
	d := "sha256:" + strings.Repeat("a", 64)
	for ref, want := range map[string]string{
		"reg:5000/app:in-0123": "reg:5000/app:in-0123@" + d,
		"reg:5000/app@" + d:    "reg:5000/app@" + d,
	} {
		if got := (&registry.Found{Ref: ref, Digest: d}).Pinned(); got != want {
			t.Errorf("Pinned(%s) = %s, want %s", ref, got, want)
		}
	}
}
