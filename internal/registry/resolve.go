package registry

import (
	"bytes"
	"context"
	"fmt"

	"github.com/containerd/platforms"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Base is an image a build starts FROM, to resolve to its digest in its registry.
type Base struct {
	Ref string
	// Platform picks the image of an index ("linux/arm64"); "" takes the digest the tag
	// names, the index itself when it is one.
	Platform string
}

// Resolve returns the digest of the image b names in its registry, with one request: the
// manifest of b.Platform when the tag names an index, else the tag's own. A ref pinned by
// digest is its digest, without a request. A base the registry does not hold is an error
// wrapping ErrNotFound.
func (c *Client) Resolve(ctx context.Context, b Base) (string, error) {
	if err := c.ready(ctx); err != nil {
		return "", err
	}
	r, err := c.parse(b.Ref)
	if err != nil {
		return "", err
	}
	if d, ok := r.(name.Digest); ok {
		return d.DigestStr(), nil
	}
	desc, err := c.puller.Get(ctx, r)
	if err != nil {
		return "", describe("resolving", b.Ref, r, err)
	}
	if err := checkMediaType(desc.MediaType, b.Ref); err != nil {
		return "", err
	}
	if !desc.MediaType.IsIndex() || b.Platform == "" {
		return desc.Digest.String(), nil
	}
	return pickDigest(desc.Manifest, b)
}

// pickDigest is the digest of b.Platform's image in the index manifest raw.
func pickDigest(raw []byte, b Base) (string, error) {
	want, err := parsePlatform(b.Platform)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", b.Ref, err)
	}
	m, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", b.Ref, err)
	}
	child, err := pick(m.Manifests, b.Ref, want)
	if err != nil {
		return "", err
	}
	return child.Digest.String(), nil
}

func parsePlatform(p string) (ocispecs.Platform, error) {
	parsed, err := platforms.Parse(p)
	if err != nil {
		return ocispecs.Platform{}, fmt.Errorf("platform %q: %w", p, err)
	}
	return platforms.Normalize(parsed), nil
}

// ResolveAll resolves every base, at most parallel at a time (0 or fewer: DefaultParallel),
// and returns, in the order of bases, each one's digest or why it has none.
func (c *Client) ResolveAll(ctx context.Context, bases []Base, parallel int) ([]string, []error) {
	return inParallel(ctx, bases, parallel, "resolving", func(b Base) string { return b.Ref },
		func(b Base) (string, error) { return c.Resolve(ctx, b) })
}
