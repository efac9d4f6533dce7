package docker

import (
	"context"
	"strings"
	"testing"

	"github.com/imagemake/imagemake/internal/schedule"
)

func TestInputs(t *testing.T) {
	e := testEngine(t)
	ref := testRef(t, e, "inputs")
	inputs := "sha256:" + strings.Repeat("cd", 32)
	if _, err := testBuilder(t, e).Build(context.Background(), schedule.Request{
		Dockerfile: "Dockerfile",
		Context:    testContext(t, busyboxBase),
		Labels:     map[string]string{InputsLabel: inputs},
		Refs:       []string{ref},
	}, nil); err != nil {
		t.Fatalf("Build: %v", err)
	}
	if got, err := e.Inputs(context.Background(), ref); err != nil || got != inputs {
		t.Errorf("Inputs(%s) = %q, %v; want %q", ref, got, err, inputs)
	}
	if _, err := e.Inputs(context.Background(), ref+"-missing"); err == nil || !strings.Contains(err.Error(), ref+"-missing") {
		t.Errorf("Inputs of a missing image: %v, want an error naming it", err)
	}
}

// TestImagesHoldsRefsOfOtherImages: a ref on an image without the inputs label is listed, with
// no inputs, so that the plan says what the ref holds instead of calling it missing.
func TestImagesHoldsRefsOfOtherImages(t *testing.T) {
	e := testEngine(t)
	ref := testRef(t, e, "unlabelled")
	id, err := testBuilder(t, e).Build(context.Background(), schedule.Request{
		Dockerfile: "Dockerfile",
		Context:    testContext(t, busyboxBase),
		Refs:       []string{ref},
	}, nil)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	images, err := e.Images(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := images["docker.io/"+ref], (Image{ID: id}); got != want {
		t.Errorf("Images()[%q] = %+v, want %+v", "docker.io/"+ref, got, want)
	}
}
