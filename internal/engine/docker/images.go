package docker

import (
	"context"
	"fmt"

	"github.com/distribution/reference"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
)

// InputsLabel is the label every image imagemake builds carries: the digest of its inputs.
const InputsLabel = "imagemake.inputs"

// Image is an image of the engine that imagemake built.
type Image struct {
	ID     string // sha256:...
	Inputs string // the value of its InputsLabel
}

// Images returns every image of the engine carrying InputsLabel, under each of its refs in
// normalised form (see NormaliseRef).
func (e *Engine) Images(ctx context.Context) (map[string]Image, error) {
	list, err := e.api.ImageList(ctx, image.ListOptions{
		Filters: filters.NewArgs(filters.Arg("label", InputsLabel)),
	})
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", e.wrap(err))
	}
	images := make(map[string]Image)
	for _, summary := range list {
		img := Image{ID: summary.ID, Inputs: summary.Labels[InputsLabel]}
		for _, tag := range summary.RepoTags {
			if ref, err := NormaliseRef(tag); err == nil { // skips "<none>:<none>"
				images[ref] = img
			}
		}
	}
	return images, nil
}

// NormaliseRef spells a ref as the engine's image store does: "pybase" becomes
// "docker.io/library/pybase:latest".
func NormaliseRef(ref string) (string, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", fmt.Errorf("image ref %q: %w", ref, err)
	}
	return reference.TagNameOnly(named).String(), nil
}

// Tag gives the image source (an ID or a ref) the ref ref, without building anything.
func (e *Engine) Tag(ctx context.Context, source, ref string) error {
	if err := e.api.ImageTag(ctx, source, ref); err != nil {
		return fmt.Errorf("tagging %s as %s: %w", source, ref, e.wrap(err))
	}
	return nil
}
