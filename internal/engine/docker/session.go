package docker

import (
	"context"
	"net"
	"time"

	clitypes "github.com/docker/cli/cli/config/types"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/moby/buildkit/session/secrets/secretsprovider"

	"github.com/imagemake/imagemake/internal/build"
)

// sessionCloseTimeout bounds the wait for a build's session to end once the build is over.
const sessionCloseTimeout = 5 * time.Second

// startSession opens a BuildKit session with the engine (POST /session, upgraded to h2c) for
// one build. It serves registry credentials: the engine's BuildKit asks the session for them
// whenever a registry challenges it (cache imports of --cache-from, FROM images), and ignores
// the X-Registry-Config header of a build. The credentials come from the keychain, as Push's
// do, and never leave this process unless a registry asks for them. It also serves the
// build's secrets, read when a RUN step mounts them (see secretStore). stop closes the
// session and waits for it to end.
func (e *Engine) startSession(ctx context.Context, secrets []build.Secret) (id string, stop func(), err error) {
	sess, err := session.NewSession(ctx, "imagemake")
	if err != nil {
		return "", nil, err
	}
	sess.Allow(authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
		AuthConfigProvider: e.sessionCredentials,
	}))
	sess.Allow(secretsprovider.NewSecretProvider(secretStore{secrets: secrets, env: e.env}))
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		// A session that cannot connect fails the engine's credential requests, which the
		// build reports ("no active sessions"); anonymous registries still work.
		_ = sess.Run(runCtx, func(ctx context.Context, proto string, meta map[string][]string) (net.Conn, error) {
			return e.api.DialHijack(ctx, "/session", proto, meta)
		})
	}()
	stop = func() {
		cancel()
		_ = sess.Close()
		select {
		case <-done:
		case <-time.After(sessionCloseTimeout):
		}
	}
	return sess.ID(), stop, nil
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
