package registry

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Option configures a Client. An option given an invalid value makes every call of the
// Client return that mistake instead of silently using a default.
type Option func(*Client) error

// WithKeychain sets where credentials come from. The default, authn.DefaultKeychain, reads
// ~/.docker/config.json (or $DOCKER_CONFIG/config.json) and its credential helpers.
func WithKeychain(k authn.Keychain) Option {
	return func(c *Client) error {
		if k == nil {
			return fmt.Errorf("WithKeychain: nil keychain")
		}
		c.keychain = k
		return nil
	}
}

// WithRetries sets how often a request that failed for a transient reason (5xx, 429, a
// timeout, a reset or refused connection) is tried again, waiting base, 2·base, 4·base, …
// in between. n = 0 turns retries off.
func WithRetries(n int, base time.Duration) Option {
	return func(c *Client) error {
		if n < 0 || (n > 0 && base <= 0) {
			return fmt.Errorf("WithRetries(%d, %s): want n >= 0 and a positive base", n, base)
		}
		c.retries, c.backoff = n, base
		return nil
	}
}

// WithTimeout bounds each HTTP request, from sending it to closing its response body.
// A request that runs out of time counts as transient and is retried. 0 means no bound.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d < 0 {
			return fmt.Errorf("WithTimeout(%s): negative", d)
		}
		c.timeout = d
		return nil
	}
}

// WithTransport sets the RoundTripper under the Client's retries and per-request
// timeouts. The default is remote.DefaultTransport.
func WithTransport(t http.RoundTripper) Option {
	return func(c *Client) error {
		if t == nil {
			return fmt.Errorf("WithTransport: nil transport")
		}
		c.transport = t
		return nil
	}
}

// WithInsecure decides which registries are spoken to over plain HTTP. It receives the
// registry as written in the ref, host[:port]. The default, IsLoopback, allows localhost,
// 127.0.0.0/8 and ::1.
func WithInsecure(insecure func(host string) bool) Option {
	return func(c *Client) error {
		if insecure == nil {
			return fmt.Errorf("WithInsecure: nil function")
		}
		c.insecure = insecure
		return nil
	}
}

// WithUserAgent sets the product the Client names in its User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *Client) error {
		c.userAgent = ua
		return nil
	}
}

// IsLoopback reports whether host (host[:port], IPv6 possibly in brackets) is this machine.
func IsLoopback(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func defaults() *Client {
	return &Client{
		keychain:  authn.DefaultKeychain,
		retries:   4,
		backoff:   250 * time.Millisecond,
		timeout:   30 * time.Second,
		transport: remote.DefaultTransport,
		insecure:  IsLoopback,
		userAgent: "imagemake",
		platform:  ocispecs.Platform{OS: "linux", Architecture: "amd64"},
	}
}

// WithPlatform sets the platform whose image Inputs reads from a multi-platform index: the
// builder's (such as linux/arm64). The default is linux/amd64.
func WithPlatform(p string) Option {
	return func(c *Client) error {
		parsed, err := parsePlatform(p)
		if err != nil {
			return fmt.Errorf("WithPlatform: %w", err)
		}
		c.platform = parsed
		return nil
	}
}
