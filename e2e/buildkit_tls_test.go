package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imagemake/imagemake/internal/registry/registrytest"
)

// TestBuildKitMutualTLS: a daemon that wants mutual TLS is reached with --builder-tls-ca,
// --builder-tls-cert, --builder-tls-key and --builder-tls-server-name (its certificate names
// buildkitd.test, not the address), and refused without them.
func TestBuildKitMutualTLS(t *testing.T) {
	addr := registrytest.Start(t, registrytest.Options{})
	certs := writeCerts(t, t.TempDir())
	d := startBuildkitd(t, addr, "--tlscacert", certs["ca"], "--tlscert", certs["server"], "--tlskey", certs["server-key"])
	r := tinyRepo(t, addr)
	write(t, filepath.Join(r.dir, "imagemake.yaml"), "repo: ${DOCKER_REPO}\nimages:\n  app: {context: base, network: none}\n", 0o644)
	write(t, filepath.Join(r.dir, "base/Dockerfile"), "FROM scratch\nCOPY busybox /bin/busybox\n", 0o644)
	tls := []string{"--builder-tls-ca", certs["ca"], "--builder-tls-cert", certs["client"], "--builder-tls-key", certs["client-key"]}

	for _, args := range [][]string{nil, tls} { // no client certificate; the address's name
		code, _, errOut := r.run(append([]string{"build", "--push", "--builder", d.addr}, args...)...)
		if code != 1 || !strings.Contains(errOut, "no builder answers: builder "+d.addr+" does not answer") {
			t.Errorf("%v: exit %d, stderr %q; want refused", args, code, errOut)
		}
	}
	got := r.build(0, append([]string{"--push", "--builder", d.addr, "--builder-tls-server-name", "buildkitd.test"}, tls...)...)
	if got["app"].Status != "built" {
		t.Errorf("with mutual TLS: %v", got)
	}
}

// writeCerts writes a CA, a server certificate for buildkitd.test and a client certificate,
// PEM, and returns their paths by name.
func writeCerts(t *testing.T, dir string) map[string]string {
	t.Helper()
	caKey, caCert := newCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "test CA"}, IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}, nil, nil)
	paths := map[string]string{"ca": writePEM(t, dir, "ca.pem", "CERTIFICATE", caCert.Raw)}
	for name, tmpl := range map[string]*x509.Certificate{
		"server": {Subject: pkix.Name{CommonName: "buildkitd.test"}, DNSNames: []string{"buildkitd.test"},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		"client": {Subject: pkix.Name{CommonName: "imagemake"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
	} {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		key, cert := newCert(t, tmpl, caCert, caKey)
		der, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		paths[name] = writePEM(t, dir, name+".pem", "CERTIFICATE", cert.Raw)
		paths[name+"-key"] = writePEM(t, dir, name+"-key.pem", "EC PRIVATE KEY", der)
	}
	return paths
}

// newCert signs tmpl with parent's key (itself when parent is nil).
func newCert(t *testing.T, tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

func writePEM(t *testing.T, dir, name, kind string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
