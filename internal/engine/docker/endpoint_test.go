package docker

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeContext stores a context as `docker context create` does; files are its TLS files.
func writeContext(t *testing.T, configDir, name, host string, skipVerify bool, files map[string][]byte) {
	t.Helper()
	sum := sha256.Sum256([]byte(name))
	id := hex.EncodeToString(sum[:])
	meta, _ := json.Marshal(map[string]any{
		"Name":      name,
		"Metadata":  map[string]any{},
		"Endpoints": map[string]any{"docker": map[string]any{"Host": host, "SkipTLSVerify": skipVerify}},
	})
	writeTestFile(t, filepath.Join(configDir, "contexts", "meta", id, "meta.json"), meta)
	for file, data := range files {
		writeTestFile(t, filepath.Join(configDir, "contexts", "tls", id, "docker", file), data)
	}
}

func writeTestFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// selfSigned returns a PEM certificate and key for 127.0.0.1.
func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "engine"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

func TestResolveEndpoint(t *testing.T) {
	cfg := t.TempDir()
	cert, key := selfSigned(t)
	writeTestFile(t, filepath.Join(cfg, "ca.pem"), cert)
	writeContext(t, cfg, "remote", "tcp://10.0.0.9:2376", false, map[string][]byte{"ca.pem": cert, "cert.pem": cert, "key.pem": key})
	writeContext(t, cfg, "insecure", "tcp://10.0.0.8", true, nil)
	writeContext(t, cfg, "sock", "unix:///run/other.sock", false, nil)
	withCurrent := t.TempDir()
	writeContext(t, withCurrent, "sock", "unix:///run/other.sock", false, nil)
	writeTestFile(t, filepath.Join(withCurrent, "config.json"), []byte(`{"auths":{},"currentContext":"sock"}`))
	home := t.TempDir()
	writeContext(t, filepath.Join(home, ".docker"), "sock", "unix:///run/other.sock", false, nil)
	writeTestFile(t, filepath.Join(home, ".docker", "config.json"), []byte(`{"currentContext":"sock"}`))
	badConfig := t.TempDir()
	writeTestFile(t, filepath.Join(badConfig, "config.json"), []byte(`{"currentContext":`))

	tests := []struct {
		name    string
		env     map[string]string
		want    string // Endpoint()
		wantTLS string // "", "verify" or "skip"
		wantErr string
	}{
		{name: "default", env: map[string]string{"HOME": t.TempDir()},
			want: `unix:///var/run/docker.sock (context "default")`},
		{name: "DOCKER_HOST without port", env: map[string]string{"DOCKER_HOST": "tcp://10.0.0.1"},
			want: "tcp://10.0.0.1:2375 (DOCKER_HOST)"},
		{name: "DOCKER_HOST without scheme", env: map[string]string{"DOCKER_HOST": "10.0.0.1:1234"},
			want: "tcp://10.0.0.1:1234 (DOCKER_HOST)"},
		{name: "DOCKER_TLS_VERIFY", env: map[string]string{"DOCKER_HOST": "tcp://10.0.0.1", "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": cfg},
			want: "tcp://10.0.0.1:2376 (DOCKER_HOST)", wantTLS: "verify"},
		{name: "DOCKER_TLS without verification", env: map[string]string{"DOCKER_HOST": "tcp://h:1", "DOCKER_TLS": "1", "DOCKER_CONFIG": cfg},
			want: "tcp://h:1 (DOCKER_HOST)", wantTLS: "skip"},
		{name: "DOCKER_HOST beats DOCKER_CONTEXT", env: map[string]string{"DOCKER_HOST": "unix:///x.sock", "DOCKER_CONTEXT": "remote", "DOCKER_CONFIG": cfg},
			want: "unix:///x.sock (DOCKER_HOST)"},
		{name: "DOCKER_CONTEXT", env: map[string]string{"DOCKER_CONTEXT": "remote", "DOCKER_CONFIG": cfg},
			want: `tcp://10.0.0.9:2376 (context "remote")`, wantTLS: "verify"},
		{name: "context skipping verification", env: map[string]string{"DOCKER_CONTEXT": "insecure", "DOCKER_CONFIG": cfg},
			want: `tcp://10.0.0.8:2376 (context "insecure")`, wantTLS: "skip"},
		{name: "currentContext of config.json", env: map[string]string{"DOCKER_CONFIG": withCurrent},
			want: `unix:///run/other.sock (context "sock")`},
		{name: "config under HOME", env: map[string]string{"HOME": home},
			want: `unix:///run/other.sock (context "sock")`},
		{name: "TLS material without TLS", env: map[string]string{"DOCKER_HOST": "tcp://h", "DOCKER_CERT_PATH": cfg},
			want: "tcp://h:2375 (DOCKER_HOST)"},
		{name: "DOCKER_TLS_VERIFY without files", env: map[string]string{"DOCKER_HOST": "tcp://h", "DOCKER_TLS_VERIFY": "1", "HOME": home},
			want: "tcp://h:2376 (DOCKER_HOST)", wantTLS: "verify"},
		{name: "DOCKER_CONTEXT=default beats currentContext", env: map[string]string{"DOCKER_CONTEXT": "default", "DOCKER_CONFIG": withCurrent},
			want: `unix:///var/run/docker.sock (context "default")`},
		{name: "unknown context", env: map[string]string{"DOCKER_CONTEXT": "ghost", "DOCKER_CONFIG": cfg},
			wantErr: `docker context "ghost" not found`},
		{name: "broken config.json", env: map[string]string{"DOCKER_CONFIG": badConfig},
			wantErr: filepath.Join(badConfig, "config.json")},
		{name: "ssh, as the docker CLI reaches it", env: map[string]string{"DOCKER_HOST": "ssh://me@host"},
			want: "ssh://me@host (DOCKER_HOST)"},
		{name: "unknown scheme", env: map[string]string{"DOCKER_HOST": "fd://3"},
			wantErr: "fd:// endpoints are not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep, err := resolveEndpoint(tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ep.String() != tt.want {
				t.Errorf("endpoint = %s, want %s", ep, tt.want)
			}
			if got := tlsMode(ep); got != tt.wantTLS {
				t.Errorf("TLS = %q, want %q", got, tt.wantTLS)
			}
		})
	}
}

func tlsMode(ep endpoint) string {
	switch {
	case ep.tls == nil:
		return ""
	case ep.tls.InsecureSkipVerify:
		return "skip"
	default:
		return "verify"
	}
}

func TestNewWithContextOnTheRealSocket(t *testing.T) {
	real, err := resolveEndpoint(processEnv())
	requireEngine(t, err)
	cfg := t.TempDir()
	writeContext(t, cfg, "real", real.host, false, nil)
	e, err := New(context.Background(), map[string]string{"DOCKER_CONTEXT": "real", "DOCKER_CONFIG": cfg})
	requireEngine(t, err)
	defer e.Close()
	if want := real.host + ` (context "real")`; e.Endpoint() != want {
		t.Errorf("Endpoint() = %s, want %s", e.Endpoint(), want)
	}
}

func TestNewWithContextOnAMissingSocket(t *testing.T) {
	cfg := t.TempDir()
	socket := filepath.Join(t.TempDir(), "gone.sock")
	writeContext(t, cfg, "gone", "unix://"+socket, false, nil)
	writeTestFile(t, filepath.Join(cfg, "config.json"), []byte(`{"currentContext":"gone"}`))
	_, err := New(context.Background(), map[string]string{"DOCKER_CONFIG": cfg})
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "unix://"+socket+` (context "gone")`) {
		t.Fatalf("New = %v, want an unreachable error naming the socket", err)
	}
}

// TestNewOverTLS checks the TLS wiring and Ping's checks against a TLS server answering /_ping
// as engines do.
func TestNewOverTLS(t *testing.T) {
	headers := map[string]string{"Api-Version": "1.41", "Ostype": "linux"}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshake below is expected
	srv.StartTLS()
	defer srv.Close()
	certDir := t.TempDir()
	writeTestFile(t, filepath.Join(certDir, "ca.pem"),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	env := map[string]string{"DOCKER_HOST": strings.Replace(srv.URL, "https://", "tcp://", 1),
		"DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": certDir}

	e, err := New(context.Background(), env)
	if err != nil {
		t.Fatalf("New over TLS: %v", err)
	}
	defer e.Close()
	headers["Ostype"] = "windows"
	if err := e.Ping(context.Background()); err == nil || !strings.Contains(err.Error(), "Windows") {
		t.Errorf("Ping of a Windows engine = %v", err)
	}
	headers["Ostype"], headers["Api-Version"] = "linux", "1.38"
	if err := e.Ping(context.Background()); err == nil || !strings.Contains(err.Error(), `API "1.38"`) {
		t.Errorf("Ping of an API 1.38 engine = %v", err)
	}
	delete(env, "DOCKER_CERT_PATH")
	env["DOCKER_CONFIG"] = t.TempDir() // no ca.pem: the server's certificate is not trusted
	_, err = New(context.Background(), env)
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("New without the CA = %v, want ErrUnreachable for the certificate", err)
	}
}
