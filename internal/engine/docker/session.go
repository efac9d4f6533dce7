package docker

import (
	"context"
	"net"

	clitypes "github.com/docker/cli/cli/config/types"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/moby/buildkit/session/auth/authprovider"

	"github.com/imagemake/imagemake/internal/engine/buildkit"
)

// BuildKit connects to the engine's own BuildKit: BuildKit's gRPC API over the Engine API's
// /grpc endpoint and its sessions over /session, as buildx's docker driver does. What it
// builds lands in the engine's image store and is pushed by the engine (Push). Its sessions
// serve registry credentials from the keychain, as Push's are, and never send them anywhere
// unless a registry asks; and the values of secrets named by variable from New's env.
func (e *Engine) BuildKit(ctx context.Context) (*buildkit.Builder, error) {
	auth := authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
		AuthConfigProvider: e.sessionCredentials,
	})
	return buildkit.NewEngine(ctx, &buildkit.Engine{
		Name: e.Endpoint(),
		Dial: func(ctx context.Context) (net.Conn, error) {
			return e.api.DialHijack(ctx, "/grpc", "h2c", nil)
		},
		DialSession: func(ctx context.Context, proto string, meta map[string][]string) (net.Conn, error) {
			return e.api.DialHijack(ctx, "/session", proto, meta)
		},
		Push: e.Push,
	}, buildkit.WithAuth(auth), buildkit.WithEnv(e.env))
}

// sessionCredentials answers BuildKit's credential requests for host (a registry host as
// BuildKit names it: registry-1.docker.io for Docker Hub) from the keychain.
func (e *Engine) sessionCredentials(ctx context.Context, host string, _ []string, _ authprovider.ExpireCachedAuthCheck) (clitypes.AuthConfig, error) {
	if host == authprovider.DockerHubRegistryHost {
		host = name.DefaultRegistry
	}
	reg, err := name.NewRegistry(host)
	if err != nil {
		return clitypes.AuthConfig{}, err
	}
	cfg, ok, err := e.registryAuth(ctx, reg)
	if err != nil || !ok {
		return clitypes.AuthConfig{}, err
	}
	return clitypes.AuthConfig{
		Username:      cfg.Username,
		Password:      cfg.Password,
		IdentityToken: cfg.IdentityToken,
		RegistryToken: cfg.RegistryToken,
		ServerAddress: cfg.ServerAddress,
	}, nil
}
