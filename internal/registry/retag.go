package registry

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Retag gives the manifest of src each dst tag, in the registry, without pulling layers:
// in src's repository by putting the manifest again; in another repository of the same
// registry by mounting its blobs from src's (a registry that cannot mount gets them
// copied through this process). If src no longer exists, the error wraps ErrNotFound.
func (c *Client) Retag(ctx context.Context, src string, dst ...string) error {
	return c.retag(ctx, src, dst, nil)
}

// retag fetches src once, has check (if any) judge that manifest, and puts exactly that
// manifest under each of dst.
func (c *Client) retag(ctx context.Context, src string, dst []string,
	check func(*remote.Descriptor, name.Reference) error) error {
	if err := c.ready(ctx); err != nil {
		return err
	}
	s, err := c.parse(src)
	if err != nil {
		return err
	}
	tags, err := c.tags(s, dst)
	if err != nil {
		return err
	}
	desc, err := c.puller.Get(ctx, s)
	if err != nil {
		return describe("retagging", src, s, err)
	}
	if err := checkMediaType(desc.MediaType, src); err != nil {
		return err
	}
	if check != nil {
		if err := check(desc, s); err != nil {
			return err
		}
	}
	for i, t := range tags {
		if err := c.tag(ctx, desc, s, t); err != nil && isDenied(err) {
			return describe("retagging "+src+" as", dst[i], t, err)
		} else if err != nil {
			return fmt.Errorf("retagging %s as %s: %w", src, dst[i], err)
		}
	}
	return nil
}

// tags parses the destinations: tags in the registry of src.
func (c *Client) tags(src name.Reference, dst []string) ([]name.Tag, error) {
	tags := make([]name.Tag, len(dst))
	for i, d := range dst {
		r, err := c.parse(d)
		if err != nil {
			return nil, err
		}
		t, ok := r.(name.Tag)
		if !ok {
			return nil, fmt.Errorf("retagging %s as %s: not a tag", src, d)
		}
		if t.RegistryStr() != src.Context().RegistryStr() {
			return nil, fmt.Errorf("retagging %s as %s: another registry; retagging works within one registry", src, d)
		}
		tags[i] = t
	}
	return tags, nil
}

func (c *Client) tag(ctx context.Context, desc *remote.Descriptor, src name.Reference, dst name.Tag) error {
	if dst.Context().Name() == src.Context().Name() {
		return c.pusher.Put(ctx, dst, desc)
	}
	return c.pusher.Push(ctx, dst, desc)
}
