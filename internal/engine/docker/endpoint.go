package docker

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/go-connections/tlsconfig"
)

const (
	defaultSocket  = "unix:///var/run/docker.sock"
	defaultTLSHost = "tcp://localhost:2376"
	defaultContext = "default"
)

// endpoint is where the engine listens and how to talk to it, resolved as the docker CLI does.
type endpoint struct {
	host   string      // e.g. unix:///var/run/docker.sock, tcp://10.0.0.2:2376
	source string      // how it was chosen: `context "ci"` or `DOCKER_HOST`
	tls    *tls.Config // nil: plain connection
}

func (ep endpoint) String() string { return ep.host + " (" + ep.source + ")" }

// tlsFiles is the TLS material of an endpoint; every field is optional.
type tlsFiles struct {
	ca, cert, key []byte
	skipVerify    bool
}

// resolveEndpoint follows the docker CLI's order: DOCKER_HOST, DOCKER_CONTEXT, the config's
// currentContext, then the default context.
func resolveEndpoint(env map[string]string) (endpoint, error) {
	if env["DOCKER_HOST"] != "" {
		return envEndpoint(env, "DOCKER_HOST")
	}
	name := env["DOCKER_CONTEXT"]
	if name == "" {
		current, err := currentContext(configDir(env))
		if err != nil {
			return endpoint{}, err
		}
		name = current
	}
	if name == "" || name == defaultContext {
		return envEndpoint(env, fmt.Sprintf("context %q", defaultContext))
	}
	return contextEndpoint(configDir(env), name)
}

func configDir(env map[string]string) string {
	if dir := env["DOCKER_CONFIG"]; dir != "" {
		return dir
	}
	home := env["HOME"]
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".docker")
}

func currentContext(dir string) (string, error) {
	file := filepath.Join(dir, "config.json")
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the docker config: %w", err)
	}
	var cfg struct {
		CurrentContext string `json:"currentContext"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return "", fmt.Errorf("reading the docker config %s: %w", file, err)
	}
	return cfg.CurrentContext, nil
}

// envEndpoint is the default context: DOCKER_HOST and the DOCKER_TLS* variables.
func envEndpoint(env map[string]string, source string) (endpoint, error) {
	verify := env["DOCKER_TLS_VERIFY"] != ""
	if !verify && env["DOCKER_TLS"] == "" {
		return newEndpoint(env["DOCKER_HOST"], source, nil)
	}
	certDir := env["DOCKER_CERT_PATH"]
	if certDir == "" {
		certDir = configDir(env)
	}
	files, err := readTLSFiles(certDir)
	if err != nil {
		return endpoint{}, err
	}
	files.skipVerify = !verify
	return newEndpoint(env["DOCKER_HOST"], source, &files)
}

// contextEndpoint reads a context of the CLI's store: contexts/meta/<sha256 of name>/meta.json
// and contexts/tls/<sha256 of name>/docker/{ca,cert,key}.pem.
func contextEndpoint(dir, name string) (endpoint, error) {
	sum := sha256.Sum256([]byte(name))
	id := hex.EncodeToString(sum[:])
	metaFile := filepath.Join(dir, "contexts", "meta", id, "meta.json")
	data, err := os.ReadFile(metaFile)
	if errors.Is(err, fs.ErrNotExist) {
		return endpoint{}, fmt.Errorf("docker context %q not found (no %s)", name, metaFile)
	}
	if err != nil {
		return endpoint{}, fmt.Errorf("reading docker context %q: %w", name, err)
	}
	var meta struct {
		Endpoints map[string]struct {
			Host          string
			SkipTLSVerify bool
		}
	}
	if err := json.Unmarshal(data, &meta); err != nil {
		return endpoint{}, fmt.Errorf("reading docker context %q from %s: %w", name, metaFile, err)
	}
	ep, ok := meta.Endpoints["docker"]
	if !ok || ep.Host == "" {
		return endpoint{}, fmt.Errorf("docker context %q has no docker endpoint (%s)", name, metaFile)
	}
	files, err := readTLSFiles(filepath.Join(dir, "contexts", "tls", id, "docker"))
	if err != nil {
		return endpoint{}, fmt.Errorf("reading docker context %q: %w", name, err)
	}
	files.skipVerify = ep.SkipTLSVerify
	source := fmt.Sprintf("context %q", name)
	if !files.skipVerify && files.ca == nil && files.cert == nil && files.key == nil {
		return newEndpoint(ep.Host, source, nil) // as the CLI: no TLS material, no TLS
	}
	return newEndpoint(ep.Host, source, &files)
}

func readTLSFiles(dir string) (tlsFiles, error) {
	var files tlsFiles
	for name, dst := range map[string]*[]byte{"ca.pem": &files.ca, "cert.pem": &files.cert, "key.pem": &files.key} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return tlsFiles{}, err
		}
		*dst = data
	}
	return files, nil
}

// newEndpoint normalises host as the CLI does (no scheme means tcp, tcp gets a default port)
// and sets up TLS for tcp hosts unless files is nil.
func newEndpoint(host, source string, files *tlsFiles) (endpoint, error) {
	useTLS := files != nil
	host, err := normaliseHost(host, useTLS)
	if err != nil {
		return endpoint{}, fmt.Errorf("docker endpoint (%s): %w", source, err)
	}
	ep := endpoint{host: host, source: source}
	if !useTLS || !strings.HasPrefix(host, "tcp://") {
		return ep, nil
	}
	ep.tls, err = files.config()
	if err != nil {
		return endpoint{}, fmt.Errorf("TLS of %s: %w", ep, err)
	}
	return ep, nil
}

func normaliseHost(host string, useTLS bool) (string, error) {
	host = strings.TrimSpace(host)
	if host == "" {
		if useTLS {
			return defaultTLSHost, nil
		}
		return defaultSocket, nil
	}
	proto, addr, ok := strings.Cut(host, "://")
	if !ok {
		proto, addr = "tcp", host
	}
	switch proto {
	case "unix", "npipe", "ssh":
		return host, nil
	case "tcp":
		return "tcp://" + withDefaultPort(addr, useTLS), nil
	default:
		return "", fmt.Errorf("%s: %s:// endpoints are not supported (use unix://, tcp:// or ssh://)", host, proto)
	}
}

func withDefaultPort(addr string, useTLS bool) string {
	addr, path, _ := strings.Cut(addr, "/")
	if _, _, err := net.SplitHostPort(addr); err != nil {
		port := "2375"
		if useTLS {
			port = "2376"
		}
		addr = net.JoinHostPort(strings.Trim(addr, "[]"), port)
	}
	if path != "" {
		addr += "/" + path
	}
	return addr
}

func (f tlsFiles) config() (*tls.Config, error) {
	cfg := tlsconfig.ClientDefault()
	cfg.InsecureSkipVerify = f.skipVerify
	if f.ca != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(f.ca) {
			return nil, errors.New("ca.pem holds no valid certificate")
		}
		cfg.RootCAs = pool
	}
	if f.cert != nil || f.key != nil {
		pair, err := tls.X509KeyPair(f.cert, f.key)
		if err != nil {
			return nil, fmt.Errorf("cert.pem and key.pem: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}
