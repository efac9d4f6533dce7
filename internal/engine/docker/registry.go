package docker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/pkg/jsonmessage"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// dockerHubAuthKey is the server address the docker CLI gives Docker Hub credentials.
const dockerHubAuthKey = "https://index.docker.io/v1/"

// Push pushes ref, a tag the engine holds, to its registry. The engine talks to the registry
// itself, with the credentials the docker keychain (~/.docker/config.json, $DOCKER_CONFIG,
// credential helpers) holds for ref's registry, or none. Progress reaches logs as complete
// lines (`<layer>: Pushed`, `<tag>: digest: sha256:... size: N`); progress bars are left out.
// Errors name ref.
func (e *Engine) Push(ctx context.Context, ref string, logs func(string)) error {
	if err := e.transfer(ctx, ref, logs, e.push); err != nil {
		return fmt.Errorf("pushing %s: %w", ref, err)
	}
	return nil
}

// Pull pulls ref (a tag or a digest) from its registry into the engine, with the credentials
// the docker keychain holds for ref's registry, or none. Progress reaches logs as Push's does.
// Errors name ref.
func (e *Engine) Pull(ctx context.Context, ref string, logs func(string)) error {
	if err := e.transfer(ctx, ref, logs, e.pull); err != nil {
		return fmt.Errorf("pulling %s: %w", ref, err)
	}
	return nil
}

func (e *Engine) push(ctx context.Context, ref, auth string) (io.ReadCloser, error) {
	return e.api.ImagePush(ctx, ref, image.PushOptions{RegistryAuth: auth})
}

func (e *Engine) pull(ctx context.Context, ref, auth string) (io.ReadCloser, error) {
	return e.api.ImagePull(ctx, ref, image.PullOptions{RegistryAuth: auth})
}

// transfer runs a push or a pull: the request gets the X-Registry-Auth header of ref's
// registry, its jsonmessage stream goes to logs and its error, if any, is returned.
func (e *Engine) transfer(ctx context.Context, ref string, logs func(string),
	start func(ctx context.Context, ref, auth string) (io.ReadCloser, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	named, err := name.ParseReference(ref)
	if err != nil {
		return fmt.Errorf("invalid image ref: %w", err)
	}
	auth, err := e.registryAuthHeader(ctx, named.Context().Registry)
	if err != nil {
		return err
	}
	body, err := start(ctx, ref, auth)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return e.wrap(err)
	}
	defer body.Close()
	out := newLineWriter(logs)
	defer out.Flush()
	if err := readProgress(body, out); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	return nil
}

// readProgress decodes a push or pull stream as the docker CLI prints it without a terminal:
// one line per status, no progress bars. A message carrying an error ends it with that error.
func readProgress(r io.Reader, out io.Writer) error {
	dec := json.NewDecoder(r)
	for {
		var msg jsonmessage.JSONMessage
		if err := dec.Decode(&msg); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("reading the engine's progress stream: %w", err)
		}
		if err := messageError(msg); err != nil {
			return err
		}
		switch {
		case msg.Aux != nil: // the pushed digest, repeated by the status line before it
		case msg.Progress != nil && (msg.Progress.Current > 0 || msg.Progress.Total > 0):
		case msg.Stream != "":
			_, _ = io.WriteString(out, msg.Stream)
		case msg.Status != "" && msg.ID != "":
			_, _ = fmt.Fprintf(out, "%s: %s\n", msg.ID, msg.Status)
		case msg.Status != "":
			_, _ = fmt.Fprintf(out, "%s\n", msg.Status)
		}
	}
}

// messageError is the error a stream message carries, or nil.
func messageError(msg jsonmessage.JSONMessage) error {
	if msg.Error != nil && msg.Error.Message != "" {
		return errors.New(msg.Error.Message)
	}
	if msg.ErrorMessage != "" { // deprecated, but the only field some engines set
		return errors.New(msg.ErrorMessage)
	}
	return nil
}

// registryAuthHeader is the X-Registry-Auth value for reg: base64url of the JSON of a
// registry.AuthConfig, or "" when the keychain has no credentials for reg.
func (e *Engine) registryAuthHeader(ctx context.Context, reg name.Registry) (string, error) {
	cfg, ok, err := e.registryAuth(ctx, reg)
	if err != nil || !ok {
		return "", err
	}
	header, err := registry.EncodeAuthConfig(cfg)
	if err != nil {
		return "", fmt.Errorf("encoding the credentials for %s: %w", reg.RegistryStr(), err)
	}
	return header, nil
}

// registryAuth looks reg up in the keychain; ok is false for anonymous access. Errors never
// carry the credentials.
func (e *Engine) registryAuth(ctx context.Context, reg name.Registry) (cfg registry.AuthConfig, ok bool, err error) {
	keychain := e.keychain
	if keychain == nil {
		keychain = authn.DefaultKeychain
	}
	authenticator, err := authn.Resolve(ctx, keychain, reg)
	if err != nil {
		return cfg, false, fmt.Errorf("looking up the credentials for %s: %w", reg.RegistryStr(), err)
	}
	if authenticator == authn.Anonymous {
		return cfg, false, nil
	}
	c, err := authn.Authorization(ctx, authenticator)
	if err != nil {
		return cfg, false, fmt.Errorf("looking up the credentials for %s: %w", reg.RegistryStr(), err)
	}
	username, password := c.Username, c.Password
	if username == "" && password == "" && c.Auth != "" { // "auth": base64 of user:password
		decoded, err := base64.StdEncoding.DecodeString(c.Auth)
		user, pass, found := strings.Cut(string(decoded), ":")
		if err != nil || !found {
			return cfg, false, fmt.Errorf("the credentials for %s have an invalid auth field", reg.RegistryStr())
		}
		username, password = user, pass
	}
	cfg = registry.AuthConfig{
		Username:      username,
		Password:      password,
		IdentityToken: c.IdentityToken,
		RegistryToken: c.RegistryToken,
		ServerAddress: serverAddress(reg),
	}
	if cfg.Username == "" && cfg.Password == "" && cfg.IdentityToken == "" && cfg.RegistryToken == "" {
		return registry.AuthConfig{}, false, nil
	}
	return cfg, true, nil
}

// serverAddress names reg as the docker CLI does in the credentials it sends.
func serverAddress(reg name.Registry) string {
	if reg.RegistryStr() == name.DefaultRegistry {
		return dockerHubAuthKey
	}
	return reg.RegistryStr()
}
