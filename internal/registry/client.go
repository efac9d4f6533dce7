// Package registry is what imagemake asks of an image registry, the cache shared between
// machines: does a ref exist, which inputs built it, and give an existing manifest more
// tags without pulling its layers.
//
// Requests go through go-containerregistry with the Docker credential keychain. Transient
// failures are retried with backoff; no failure is ever reported as "not found".
package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// InputsLabel is the label every image imagemake builds carries: the digest of its inputs.
const InputsLabel = "imagemake.inputs"

// Client talks to registries. It is safe for concurrent use; it reuses connections and
// authentication for the repositories it has seen.
type Client struct {
	keychain  authn.Keychain
	retries   int
	backoff   time.Duration
	timeout   time.Duration
	transport http.RoundTripper
	insecure  func(host string) bool
	userAgent string
	platform  ocispecs.Platform // whose image Inputs reads from an index

	err    error // the first invalid option
	puller *remote.Puller
	pusher *remote.Pusher
}

// New returns a Client: defaults first, then opts in order.
func New(opts ...Option) *Client {
	c := defaults()
	for _, opt := range opts {
		if err := opt(c); err != nil && c.err == nil {
			c.err = fmt.Errorf("registry client: %w", err)
		}
	}
	if c.err != nil {
		return c
	}
	ropts := c.remoteOptions()
	c.puller, c.err = remote.NewPuller(ropts...)
	if c.err == nil {
		c.pusher, c.err = remote.NewPusher(ropts...)
	}
	return c
}

// remoteOptions hands retries to our transport: go-containerregistry's own would retry
// again on top, and its backoff does not stop when the context is cancelled.
func (c *Client) remoteOptions() []remote.Option {
	never := func(error) bool { return false }
	return []remote.Option{
		remote.WithAuthFromKeychain(c.keychain),
		remote.WithTransport(&retryTransport{inner: c.transport, retries: c.retries, backoff: c.backoff, timeout: c.timeout}),
		remote.WithRetryPredicate(never),
		remote.WithRetryStatusCodes(),
		remote.WithRetryBackoff(remote.Backoff{Steps: 1}),
		remote.WithUserAgent(c.userAgent),
	}
}

// parse reads ref, speaking plain HTTP to the registries c.insecure allows.
func (c *Client) parse(ref string) (name.Reference, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("invalid image ref %q: %w", ref, err)
	}
	if c.insecure(r.Context().RegistryStr()) {
		return name.ParseReference(ref, name.Insecure)
	}
	return r, nil
}

// ready says whether c can be used at all.
func (c *Client) ready(ctx context.Context) error {
	if c.err != nil {
		return c.err
	}
	return ctx.Err()
}

var supported = map[types.MediaType]bool{
	types.DockerManifestSchema2: true,
	types.DockerManifestList:    true,
	types.OCIManifestSchema1:    true,
	types.OCIImageIndex:         true,
}

// ErrUnsupported is wrapped by errors about a manifest imagemake cannot use, such as a
// Docker schema 1 manifest.
var ErrUnsupported = errors.New("unsupported manifest media type")

func checkMediaType(mt types.MediaType, ref string) error {
	if !supported[types.MediaType(baseType(string(mt)))] {
		return fmt.Errorf("%w %s for %s", ErrUnsupported, mt, ref)
	}
	return nil
}
