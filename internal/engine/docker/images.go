package docker

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/imagemake/imagemake/internal/dockerfile"
	"github.com/imagemake/imagemake/internal/inputs"
)

// InputsLabel is inputs.Label, the label every image imagemake builds carries: the digest of
// its inputs.
const InputsLabel = inputs.Label

// Image is an image of the engine under a ref: one imagemake built, or another one.
type Image struct {
	ID     string // sha256:...
	Inputs string // the value of its InputsLabel; "" for an image without it
}

// Images returns every tagged image of the engine, under each of its refs in normalised form
// (dockerfile.Normalize: "pybase" is "docker.io/library/pybase:latest"), those without
// InputsLabel too (Inputs ""), so that a ref holding another image is told from a missing one.
func (e *Engine) Images(ctx context.Context) (map[string]Image, error) {
	list, err := e.api.ImageList(ctx, image.ListOptions{
		Filters: filters.NewArgs(filters.Arg("dangling", "false")),
	})
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", e.wrap(err))
	}
	images := make(map[string]Image)
	for _, summary := range list {
		img := Image{ID: summary.ID, Inputs: summary.Labels[InputsLabel]}
		for _, tag := range summary.RepoTags {
			// The spelling the graph and the plan use for refs; skips "<none>:<none>".
			if ref, err := dockerfile.Normalize(tag); err == nil {
				images[ref] = img
			}
		}
	}
	return images, nil
}

// Tag gives the image source (an ID or a ref) the ref ref, without building anything.
func (e *Engine) Tag(ctx context.Context, source, ref string) error {
	if err := e.api.ImageTag(ctx, source, ref); err != nil {
		return fmt.Errorf("tagging %s as %s: %w", source, ref, e.wrap(err))
	}
	return nil
}
