package registry

import (
	"context"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Inputs returns the InputsLabel of the image ref names, "" when the image has no such
// label. It reads the manifest and the config blob, never a layer. Of an index it reads
// the linux/amd64 image, or the only image there is.
func (c *Client) Inputs(ctx context.Context, ref string) (string, error) {
	if err := c.ready(ctx); err != nil {
		return "", err
	}
	r, err := c.parse(ref)
	if err != nil {
		return "", err
	}
	desc, err := c.puller.Get(ctx, r)
	if err != nil {
		return "", describe("reading", ref, r, err)
	}
	img, err := image(desc, ref)
	if err != nil {
		return "", err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return "", describe("reading the config of", ref, r, err)
	}
	return cfg.Config.Labels[InputsLabel], nil
}

// image is the image desc describes: itself, or its pick of an index.
func image(desc *remote.Descriptor, ref string) (v1.Image, error) {
	if err := checkMediaType(desc.MediaType, ref); err != nil {
		return nil, err
	}
	if !desc.MediaType.IsIndex() {
		return desc.Image()
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", ref, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading the index %s: %w", ref, err)
	}
	child, err := pick(m.Manifests, ref)
	if err != nil {
		return nil, err
	}
	if err := checkMediaType(child.MediaType, ref+"@"+child.Digest.String()); err != nil {
		return nil, err
	}
	if child.MediaType.IsIndex() {
		return nil, fmt.Errorf("the index %s holds an index (%s): not supported", ref, child.Digest)
	}
	return idx.Image(child.Digest)
}

// pick chooses the linux/amd64 image of an index, or its only image. BuildKit's
// attestation manifests (platform unknown/unknown) are not images to choose.
func pick(manifests []v1.Descriptor, ref string) (v1.Descriptor, error) {
	var images []v1.Descriptor
	var platforms []string
	for _, m := range manifests {
		if m.Annotations["vnd.docker.reference.type"] == "attestation-manifest" ||
			(m.Platform != nil && m.Platform.OS == "unknown") {
			continue
		}
		if m.Platform != nil && m.Platform.OS == "linux" && m.Platform.Architecture == "amd64" {
			return m, nil
		}
		images = append(images, m)
		if m.Platform != nil {
			platforms = append(platforms, m.Platform.String())
		}
	}
	if len(images) == 1 {
		return images[0], nil
	}
	return v1.Descriptor{}, fmt.Errorf("the index %s has no linux/amd64 image (platforms: %s)", ref, strings.Join(platforms, ", "))
}
