package docker

import (
	"context"
	"fmt"
	"os"

	"github.com/moby/buildkit/session/secrets"

	"github.com/imagemake/imagemake/internal/build"
)

// secretStore answers the engine's requests for a build's secrets (RUN
// --mount=type=secret,id=ID) from the build's files and variables, read only when asked, so a
// secret is never held longer than a step needs it, nor written anywhere by imagemake.
type secretStore struct {
	secrets []build.Secret
	env     map[string]string
}

var _ secrets.SecretStore = secretStore{}

// GetSecret returns the secret id. An id the build was not given is secrets.ErrNotFound,
// which BuildKit reports as a missing secret (or skips, for a mount marked required=false).
func (s secretStore) GetSecret(_ context.Context, id string) ([]byte, error) {
	for _, sec := range s.secrets {
		if sec.ID != id {
			continue
		}
		if sec.Env != "" {
			v, ok := s.env[sec.Env]
			if !ok {
				return nil, fmt.Errorf("secret %q: environment variable %s is not set", id, sec.Env)
			}
			return []byte(v), nil
		}
		data, err := os.ReadFile(sec.Src)
		if err != nil {
			return nil, fmt.Errorf("secret %q: %w", id, err)
		}
		return data, nil
	}
	return nil, fmt.Errorf("secret %q: %w", id, secrets.ErrNotFound)
}
