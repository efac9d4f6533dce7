package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// ErrOtherInputs is wrapped by errors about an image whose imagemake.inputs label is not
// the inputs digest asked for: the tag was replaced, or never held what its name says.
var ErrOtherInputs = errors.New("holds an image with other inputs")

// Pinned is the ref found, pinned to the digest found: name:tag@sha256:…. Registries and
// engines read it as the digest, so whatever it names is the manifest this lookup saw,
// however the tag moves afterwards; people still read the tag in it. A ref that was a
// digest already is itself.
func (f *Found) Pinned() string {
	if strings.Contains(f.Ref, "@") {
		return f.Ref
	}
	return f.Ref + "@" + f.Digest
}

// RetagInputs is Retag of an image that must carry the label inputs: it publishes exactly
// the manifest src names, once that manifest is known to hold only images of those inputs.
// A src pinned by digest (Found.Pinned) to a single image is taken as checked, its label
// having been read through that digest (InputsFor) when it was found: nothing there can
// have changed, and nothing is read again. Otherwise the label is read before publishing:
// of the image, or of every platform image of an index (the lookup read only one). A
// mismatch publishes nothing; its error wraps ErrOtherInputs.
func (c *Client) RetagInputs(ctx context.Context, src, inputs string, dst ...string) error {
	return c.retag(ctx, src, dst, func(desc *remote.Descriptor, s name.Reference) error {
		if _, pinned := s.(name.Digest); pinned && !desc.MediaType.IsIndex() {
			return nil
		}
		return checkInputs(desc, src, inputs)
	})
}

// checkInputs reads the label of each image desc holds and compares it with want.
func checkInputs(desc *remote.Descriptor, ref, want string) error {
	if !desc.MediaType.IsIndex() {
		img, err := desc.Image()
		if err != nil {
			return fmt.Errorf("reading %s: %w", ref, err)
		}
		return imageInputs(img, ref, want)
	}
	idx, m, err := readIndex(desc, ref)
	if err != nil {
		return err
	}
	for _, child := range platformImages(m.Manifests) {
		img, err := childImage(idx, child, ref)
		if err != nil {
			return err
		}
		if err := imageInputs(img, ref+"@"+child.Digest.String(), want); err != nil {
			return err
		}
	}
	return nil
}

// imageInputs compares the label of img with want.
func imageInputs(img v1.Image, ref, want string) error {
	cfg, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("reading the config of %s: %w", ref, err)
	}
	if got := cfg.Config.Labels[InputsLabel]; got != want {
		return fmt.Errorf("%s %w (%s %q, want %s)", ref, ErrOtherInputs, InputsLabel, got, want)
	}
	return nil
}

// platformImages are the descriptors of an index that are images, not BuildKit's
// attestation manifests.
func platformImages(manifests []v1.Descriptor) []v1.Descriptor {
	var out []v1.Descriptor
	for _, m := range manifests {
		if !isAttestation(m) {
			out = append(out, m)
		}
	}
	return out
}

func isAttestation(m v1.Descriptor) bool {
	return m.Annotations["vnd.docker.reference.type"] == "attestation-manifest" ||
		(m.Platform != nil && m.Platform.OS == "unknown")
}
