package registry

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// ErrNotFound is wrapped by errors about a manifest that the registry says does not exist.
var ErrNotFound = errors.New("not found in the registry")

// ErrOtherPlatform is wrapped by errors about an image, or every image of an index, being of
// another platform than the one asked for: it is not the image asked for, as if absent.
var ErrOtherPlatform = errors.New("of another platform")

// ErrDenied is wrapped by errors about a registry refusing access (401 or 403).
var ErrDenied = errors.New("access denied")

// isNotFound reports whether err is the registry saying a manifest does not exist: a 404
// or a MANIFEST_UNKNOWN / NAME_UNKNOWN answer to a manifest request. A 404 anywhere
// else (the /v2/ ping, a token endpoint) means something is misconfigured, not absent.
func isNotFound(err error) bool {
	var terr *transport.Error
	if !errors.As(err, &terr) || terr.Request == nil || !strings.Contains(terr.Request.URL.Path, "/manifests/") {
		return false
	}
	if terr.StatusCode == http.StatusNotFound {
		return true
	}
	for _, d := range terr.Errors {
		if d.Code == transport.ManifestUnknownErrorCode || d.Code == transport.NameUnknownErrorCode {
			return true
		}
	}
	return false
}

func isDenied(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) &&
		(terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden)
}

// describe says what went wrong with ref during op, with the registry's message, and
// marks it ErrNotFound or ErrDenied where that applies. go-containerregistry already
// leaves credentials out of its messages: URLs are redacted, headers never shown.
func describe(op, ref string, r name.Reference, err error) error {
	switch {
	case isNotFound(err):
		return fmt.Errorf("%s %s: %w: %w", op, ref, ErrNotFound, err)
	case isDenied(err):
		return fmt.Errorf("%s %s: %w: %w (are you logged in? run: %s)", op, ref, ErrDenied, err, loginHint(r))
	default:
		return fmt.Errorf("%s %s: %w", op, ref, err)
	}
}

// isRegistryError reports whether err is an HTTP answer from the registry, as opposed to
// a network failure or a cancellation.
func isRegistryError(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr)
}

// loginHint names the registry as `docker login` wants it.
func loginHint(r name.Reference) string {
	if reg := r.Context().RegistryStr(); reg != name.DefaultRegistry {
		return "docker login " + reg
	}
	return "docker login"
}
