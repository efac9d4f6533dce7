package registry

import (
	"cmp"
	"context"
	"fmt"
	"mime"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Found is a manifest that exists in a registry.
type Found struct {
	Ref       string // as asked for
	Digest    string // sha256:…
	MediaType string
}

// DefaultParallel is how many refs LookupAll checks at once when asked for 0 or fewer.
const DefaultParallel = 16

// Lookup asks the registry, with one HEAD request, whether ref exists. It returns nil, nil
// only when the registry says the manifest is unknown; every other failure that
// outlasts the retries is an error.
func (c *Client) Lookup(ctx context.Context, ref string) (*Found, error) {
	if err := c.ready(ctx); err != nil {
		return nil, err
	}
	r, err := c.parse(ref)
	if err != nil {
		return nil, err
	}
	desc, err := c.head(ctx, r)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, describe("looking up", ref, r, err)
	}
	mt := types.MediaType(baseType(string(desc.MediaType)))
	if err := checkMediaType(mt, ref); err != nil {
		return nil, err
	}
	return &Found{Ref: ref, Digest: desc.Digest.String(), MediaType: string(mt)}, nil
}

// head sends the HEAD request. Its error has no body, so a registry error other than
// "unknown" is asked about once more with a GET, not retried (the HEAD was): that gets
// the registry's own words, and an answer from registries that refuse HEAD.
func (c *Client) head(ctx context.Context, r name.Reference) (*v1.Descriptor, error) {
	desc, err := c.puller.Head(ctx, r)
	if err == nil || isNotFound(err) || !isRegistryError(err) || ctx.Err() != nil {
		return desc, err
	}
	got, gerr := c.puller.Get(withoutRetries(ctx), r)
	switch {
	case gerr == nil:
		return &got.Descriptor, nil
	case isRegistryError(gerr):
		return nil, gerr
	default:
		return nil, err
	}
}

// baseType drops parameters such as "; charset=utf-8" from a Content-Type.
func baseType(contentType string) string {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil {
		return mt
	}
	return contentType
}

// LookupAll looks up every ref, at most parallel at a time, and returns the results in
// the order of refs (nil where a ref does not exist). If any lookup failed, the error is
// the first failure in ref order; the results of the others are still returned.
func (c *Client) LookupAll(ctx context.Context, refs []string, parallel int) ([]*Found, error) {
	found, errs := c.lookupAll(ctx, refs, parallel)
	failed := 0
	var first error
	for _, err := range errs {
		if err != nil {
			failed++
			first = cmp.Or(first, err)
		}
	}
	if failed > 1 {
		return found, fmt.Errorf("%w (and %d more lookups failed)", first, failed-1)
	}
	return found, first
}

// FirstExisting checks every ref at once and returns the first in ref order that exists,
// or nil if none does. A ref that could not be checked before that one is an error:
// it might have been the one.
func (c *Client) FirstExisting(ctx context.Context, refs []string) (*Found, error) {
	found, errs := c.lookupAll(ctx, refs, len(refs))
	for i := range refs {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if found[i] != nil {
			return found[i], nil
		}
	}
	return nil, nil
}

func (c *Client) lookupAll(ctx context.Context, refs []string, parallel int) ([]*Found, []error) {
	return inParallel(ctx, refs, parallel, "looking up", func(ref string) string { return ref },
		func(ref string) (*Found, error) { return c.Lookup(ctx, ref) })
}

// inParallel calls do with every item, at most parallel at a time (0 or fewer:
// DefaultParallel), and returns, in the order of items, what each call returned. An item
// still waiting for its turn when ctx ends is not done: its error is "<verb> <name>: ctx's".
func inParallel[T, R any](ctx context.Context, items []T, parallel int, verb string, name func(T) string,
	do func(T) (R, error)) ([]R, []error) {
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	out, errs := make([]R, len(items)), make([]error, len(items))
	slots := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, item := range items {
		wg.Go(func() {
			select {
			case slots <- struct{}{}:
				defer func() { <-slots }()
				out[i], errs[i] = do(item)
			case <-ctx.Done():
				errs[i] = fmt.Errorf("%s %s: %w", verb, name(item), ctx.Err())
			}
		})
	}
	wg.Wait()
	return out, errs
}
