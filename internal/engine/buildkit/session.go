package buildkit

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/docker/cli/cli/config"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/moby/buildkit/session/secrets"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/session/sshforward/sshprovider"

	"github.com/imagemake/imagemake/internal/schedule"
)

// attachables are the session's services: registry credentials, the build's secrets and its
// SSH agents.
func attachables(req schedule.Request, o options) ([]session.Attachable, error) {
	auth := o.auth
	if auth == nil {
		auth = authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
			AuthConfigProvider: authprovider.LoadAuthConfig(config.LoadDefaultConfigFile(io.Discard)),
		})
	}
	out := []session.Attachable{auth, secretsprovider.NewSecretProvider(secretStore{secrets: req.Secrets, env: o.env})}
	if len(req.SSH) == 0 {
		return out, nil
	}
	var agents []sshprovider.AgentConfig
	for _, s := range req.SSH {
		agents = append(agents, sshprovider.AgentConfig{ID: s.ID, Paths: s.Paths})
	}
	ssh, err := sshprovider.NewSSHAgentProvider(agents)
	if err != nil {
		return nil, fmt.Errorf("ssh: %w", err)
	}
	return append(out, ssh), nil
}

// secretStore answers the builder's requests for a build's secrets (RUN
// --mount=type=secret,id=ID) from the build's files and variables, read only when asked, so a
// secret is never held longer than a step needs it, nor written anywhere by imagemake.
type secretStore struct {
	secrets []schedule.Secret
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
