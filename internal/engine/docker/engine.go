// Package docker talks to a Docker engine through its Engine API, reached as the docker CLI
// reaches it (DOCKER_HOST, contexts, TLS, ssh://): the images it holds, tags, pushes, pulls
// and loads, and its own BuildKit (BuildKit's gRPC API over the Engine API's /grpc and
// /session endpoints), which builds (see BuildKit).
package docker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/docker/cli/cli/connhelper"
	"github.com/docker/docker/api/types/versions"
	"github.com/docker/docker/client"
	"github.com/google/go-containerregistry/pkg/authn"
)

// minAPIVersion is the first Engine API with BuildKit builds (Docker 18.09).
const minAPIVersion = "1.39"

// ErrUnreachable is wrapped by the errors of an engine that cannot be reached.
var ErrUnreachable = errors.New("cannot reach the Docker engine")

// Engine is one Docker engine, reached as the docker CLI would reach it.
type Engine struct {
	api      *client.Client
	endpoint endpoint
	// keychain holds the registry credentials of pushes, pulls and builds. New sets
	// authn.DefaultKeychain, which reads the process's environment (HOME, DOCKER_CONFIG),
	// not the env map New was given.
	keychain authn.Keychain
	env      map[string]string // New's env: the values of secrets given by variable name
}

// New resolves the engine's endpoint from env (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH,
// DOCKER_CONTEXT, DOCKER_CONFIG, HOME), connects and checks that BuildKit builds are possible.
// Errors wrap ErrUnreachable when the engine does not answer.
func New(ctx context.Context, env map[string]string) (*Engine, error) {
	ep, err := resolveEndpoint(env)
	if err != nil {
		return nil, err
	}
	opts := []client.Opt{client.WithAPIVersionNegotiation()}
	if ep.tls != nil {
		opts = append(opts, client.WithHTTPClient(&http.Client{
			Transport:     &http.Transport{TLSClientConfig: ep.tls},
			CheckRedirect: client.CheckRedirect,
		}))
	}
	hostOpts, err := hostOptions(ep.host)
	if err != nil {
		return nil, fmt.Errorf("docker endpoint %s: %w", ep, err)
	}
	api, err := client.NewClientWithOpts(append(opts, hostOpts...)...)
	if err != nil {
		return nil, fmt.Errorf("docker endpoint %s: %w", ep, err)
	}
	e := &Engine{api: api, endpoint: ep, keychain: authn.DefaultKeychain, env: env}
	if err := e.Ping(ctx); err != nil {
		_ = api.Close()
		return nil, err
	}
	return e, nil
}

// hostOptions reach host: ssh://USER@HOST as the docker CLI does (`docker system dial-stdio`
// run on the host through ssh), others directly.
func hostOptions(host string) ([]client.Opt, error) {
	if !strings.HasPrefix(host, "ssh://") {
		return []client.Opt{client.WithHost(host)}, nil
	}
	helper, err := connhelper.GetConnectionHelper(host)
	if err != nil {
		return nil, err
	}
	return []client.Opt{client.WithHost(helper.Host), client.WithDialContext(helper.Dialer)}, nil
}

// Endpoint names where the engine is and how it was chosen, e.g.
// `unix:///var/run/docker.sock (context "default")` or `tcp://10.0.0.2:2376 (DOCKER_HOST)`.
func (e *Engine) Endpoint() string { return e.endpoint.String() }

// Close releases the connections to the engine.
func (e *Engine) Close() error { return e.api.Close() }

// Ping checks that the engine answers and can run BuildKit builds.
func (e *Engine) Ping(ctx context.Context) error {
	p, err := e.api.Ping(ctx)
	if err != nil {
		return e.unreachable(err)
	}
	if p.OSType == "windows" {
		return fmt.Errorf("the Docker engine at %s runs Windows containers, which have no BuildKit builder", e.Endpoint())
	}
	if p.APIVersion == "" || versions.LessThan(p.APIVersion, minAPIVersion) {
		return fmt.Errorf("the Docker engine at %s speaks API %q; BuildKit builds need API %s or later (Docker 18.09+)",
			e.Endpoint(), p.APIVersion, minAPIVersion)
	}
	e.api.NegotiateAPIVersionPing(p)
	return nil
}

// wrap names the endpoint in connection failures; other errors pass through.
func (e *Engine) wrap(err error) error {
	if client.IsErrConnectionFailed(err) {
		return e.unreachable(err)
	}
	return err
}

// unreachable names the endpoint. The client's generic "Cannot connect to the Docker daemon
// at <address>. Is the docker daemon running?" repeats the address and hides the cause; a
// socket that is not there is said so.
func (e *Engine) unreachable(err error) error {
	if client.IsErrConnectionFailed(err) && strings.HasPrefix(err.Error(), "Cannot connect to the Docker daemon") {
		err = errors.New("connection failed; is the engine running?")
		if path, ok := strings.CutPrefix(e.endpoint.host, "unix://"); ok {
			if _, statErr := os.Stat(path); statErr != nil {
				err = statErr
			}
		}
	}
	return fmt.Errorf("%w at %s: %w", ErrUnreachable, e.Endpoint(), err)
}
