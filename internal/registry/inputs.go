package registry

import (
	"context"
	"fmt"
	"strings"

	"github.com/containerd/platforms"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Inputs returns the InputsLabel of the image ref names, "" when the image has no such
// label. It reads the manifest and the config blob, never a layer. Of an index it reads
// the image of the client's platform (WithPlatform; linux/amd64), or the only image there is.
func (c *Client) Inputs(ctx context.Context, ref string) (string, error) {
	return c.InputsFor(ctx, ref, "")
}

// InputsFor is Inputs reading, of an index, the image of platform ("" = the client's): an
// image's own platform: when it has one.
func (c *Client) InputsFor(ctx context.Context, ref, platform string) (string, error) {
	if err := c.ready(ctx); err != nil {
		return "", err
	}
	want := c.platform
	if platform != "" {
		var err error
		if want, err = parsePlatform(platform); err != nil {
			return "", fmt.Errorf("reading %s: %w", ref, err)
		}
	}
	r, err := c.parse(ref)
	if err != nil {
		return "", err
	}
	desc, err := c.puller.Get(ctx, r)
	if err != nil {
		return "", describe("reading", ref, r, err)
	}
	img, err := image(desc, ref, want)
	if err != nil {
		return "", err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return "", describe("reading the config of", ref, r, err)
	}
	if err := samePlatform(cfg, ref, want); err != nil {
		return "", err
	}
	return cfg.Config.Labels[InputsLabel], nil
}

// samePlatform fails with ErrOtherPlatform when the image's config names another platform
// than want: an image of the same inputs built for linux/amd64 is not the linux/arm64 one (the
// inputs digest of an image without platform: does not hold the builder's platform). A config
// that names none is taken as it is.
func samePlatform(cfg *v1.ConfigFile, ref string, want ocispecs.Platform) error {
	if cfg.OS == "" || cfg.Architecture == "" {
		return nil
	}
	got := ocispecs.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}
	if platforms.NewMatcher(want).Match(got) {
		return nil
	}
	return fmt.Errorf("%s is a %s image, not %s: %w", ref, platforms.Format(got), platforms.Format(want), ErrOtherPlatform)
}

// image is the image desc describes: itself, or its pick of an index.
func image(desc *remote.Descriptor, ref string, want ocispecs.Platform) (v1.Image, error) {
	if err := checkMediaType(desc.MediaType, ref); err != nil {
		return nil, err
	}
	if !desc.MediaType.IsIndex() {
		return desc.Image()
	}
	idx, m, err := readIndex(desc, ref)
	if err != nil {
		return nil, err
	}
	child, err := pick(m.Manifests, ref, want)
	if err != nil {
		return nil, err
	}
	return childImage(idx, child, ref)
}

// readIndex is the index desc describes, and its manifest.
func readIndex(desc *remote.Descriptor, ref string) (v1.ImageIndex, *v1.IndexManifest, error) {
	idx, err := desc.ImageIndex()
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", ref, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, nil, fmt.Errorf("reading the index %s: %w", ref, err)
	}
	return idx, m, nil
}

// childImage is the image child, a manifest of the index idx of ref; an index in an index is
// not supported.
func childImage(idx v1.ImageIndex, child v1.Descriptor, ref string) (v1.Image, error) {
	at := ref + "@" + child.Digest.String()
	if err := checkMediaType(child.MediaType, at); err != nil {
		return nil, err
	}
	if child.MediaType.IsIndex() {
		return nil, fmt.Errorf("the index %s holds an index (%s): not supported", ref, child.Digest)
	}
	img, err := idx.Image(child.Digest)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", at, err)
	}
	return img, nil
}

// pick chooses the image of an index for the platform want, or its only image when that one
// names no platform (its config is checked then). BuildKit's attestation manifests (platform
// unknown/unknown) are not images to choose.
func pick(manifests []v1.Descriptor, ref string, want ocispecs.Platform) (v1.Descriptor, error) {
	match := platforms.NewMatcher(want)
	var images []v1.Descriptor
	var found []string
	for _, m := range manifests {
		if isAttestation(m) {
			continue
		}
		if m.Platform != nil && match.Match(ocispecs.Platform{OS: m.Platform.OS, Architecture: m.Platform.Architecture, Variant: m.Platform.Variant}) {
			return m, nil
		}
		images = append(images, m)
		if m.Platform != nil {
			found = append(found, m.Platform.String())
		}
	}
	if len(images) == 1 && images[0].Platform == nil {
		return images[0], nil
	}
	return v1.Descriptor{}, fmt.Errorf("the index %s has no %s image (platforms: %s): %w", ref, platforms.Format(want), strings.Join(found, ", "), ErrOtherPlatform)
}
