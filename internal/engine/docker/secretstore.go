package docker

import (
	"github.com/moby/buildkit/session/secrets"

	"github.com/imagemake/imagemake/internal/build"
)

// SecretStore serves a build's secrets as the engine's builds get them (files read when a step
// mounts them, variables from env), for builds on standalone BuildKit daemons.
func SecretStore(list []build.Secret, env map[string]string) secrets.SecretStore {
	return secretStore{secrets: list, env: env}
}
