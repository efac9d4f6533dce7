package registry_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/imagemake/imagemake/internal/registry"
)

func TestInputs(t *testing.T) {
	_, host := serve(t)
	amd64 := labelled(t, map[string]string{registry.InputsLabel: "sha256:amd64"})
	arm64 := labelled(t, map[string]string{registry.InputsLabel: "sha256:arm64"})
	attestation := labelled(t, nil)
	push(t, host+"/app:labelled", labelled(t, map[string]string{registry.InputsLabel: "sha256:abc", "team": "edge"}))
	push(t, host+"/app:bare", labelled(t, map[string]string{"team": "edge"}))
	pushIndex(t, host+"/app:multi", index(
		platformed(arm64, "linux", "arm64"), platformed(amd64, "linux", "amd64")))
	pushIndex(t, host+"/app:single", index(platformed(arm64, "linux", "arm64"), attested(attestation)))
	pushIndex(t, host+"/app:nomatch", index(platformed(arm64, "linux", "arm64"), platformed(amd64, "windows", "amd64")))

	armConfig, err := mutate.ConfigFile(arm64, &v1.ConfigFile{OS: "linux", Architecture: "arm64",
		Config: v1.Config{Labels: map[string]string{registry.InputsLabel: "sha256:arm64"}}})
	if err != nil {
		t.Fatal(err)
	}
	push(t, host+"/app:armonly", armConfig)
	for tag, want := range map[string]string{
		"labelled": "sha256:abc",
		"bare":     "",
		"multi":    "sha256:amd64",
	} {
		got, err := client().Inputs(context.Background(), host+"/app:"+tag)
		if err != nil || got != want {
			t.Errorf("Inputs(app:%s) = %q, %v; want %q", tag, got, err, want)
		}
	}
	if _, err := client().Inputs(context.Background(), host+"/app:nomatch"); err == nil || !strings.Contains(err.Error(), "no linux/amd64 image") {
		t.Errorf("Inputs of an index without linux/amd64 nor a single image: %v", err)
	}
	// An image of the same inputs built for another platform is not the one asked for (the
	// digest of an image without platform: does not hold the builder's): as if absent.
	for _, tag := range []string{"single", "armonly"} {
		if _, err := client().Inputs(context.Background(), host+"/app:"+tag); !errors.Is(err, registry.ErrOtherPlatform) {
			t.Errorf("Inputs(app:%s) of an arm64 image for a linux/amd64 builder: %v, want ErrOtherPlatform", tag, err)
		}
	}
	arm := client(registry.WithPlatform("linux/arm64"))
	for _, tag := range []string{"single", "armonly"} {
		if got, err := arm.Inputs(context.Background(), host+"/app:"+tag); err != nil || got != "sha256:arm64" {
			t.Errorf("Inputs(app:%s) for a linux/arm64 builder = %q, %v; want sha256:arm64", tag, got, err)
		}
	}
	if got, err := arm.Inputs(context.Background(), host+"/app:multi"); err != nil || got != "sha256:arm64" {
		t.Errorf("Inputs(app:multi) for a linux/arm64 builder = %q, %v; want sha256:arm64", got, err)
	}
	if got, err := client().InputsFor(context.Background(), host+"/app:multi", "linux/arm64"); err != nil || got != "sha256:arm64" {
		t.Errorf("InputsFor(app:multi, linux/arm64) = %q, %v; want sha256:arm64", got, err)
	}
	if _, err := arm.InputsFor(context.Background(), host+"/app:nomatch", "linux/s390x"); err == nil || !strings.Contains(err.Error(), "no linux/s390x image") {
		t.Errorf("InputsFor an absent platform: %v", err)
	}
	if _, err := client(registry.WithPlatform("not a/platform/at/all")).Inputs(context.Background(), host+"/app:multi"); err == nil || !strings.Contains(err.Error(), "WithPlatform") {
		t.Errorf("WithPlatform of a bad platform: %v", err)
	}
	ref := host + "/app:missing"
	if _, err := client().Inputs(context.Background(), ref); !errors.Is(err, registry.ErrNotFound) || !strings.Contains(err.Error(), ref) {
		t.Errorf("Inputs of a missing ref: %v, want ErrNotFound naming it", err)
	}
}

func TestInputsConfigFailure(t *testing.T) {
	f, host := serve(t)
	push(t, host+"/app:v1", labelled(t, map[string]string{registry.InputsLabel: "x"}))
	f.inject(fault{method: "GET", path: "/blobs/", status: 502})
	_, err := client().Inputs(context.Background(), host+"/app:v1")
	if err == nil || !strings.Contains(err.Error(), "injected 502") {
		t.Fatalf("Inputs with the config blob failing: %v", err)
	}
}

func index(adds ...mutate.IndexAddendum) v1.ImageIndex {
	return mutate.AppendManifests(empty.Index, adds...)
}

func platformed(img v1.Image, os, arch string) mutate.IndexAddendum {
	return mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: os, Architecture: arch}}}
}

// attested is how BuildKit lists the attestation manifest next to the image.
func attested(img v1.Image) mutate.IndexAddendum {
	return mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
		Platform:    &v1.Platform{OS: "unknown", Architecture: "unknown"},
		Annotations: map[string]string{"vnd.docker.reference.type": "attestation-manifest"},
	}}
}
