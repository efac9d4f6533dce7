package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/imagemake/imagemake/internal/registry"
	"github.com/imagemake/imagemake/internal/registry/registrytest"
)

// meddler is a proxy in front of a loopback registry that acts once the label of an image
// was read (the first GET of a config blob, what a lookup reads last): it replaces the inputs
// tag with another image, or makes the manifest looked up vanish. Whatever imagemake does
// next happens after "the tag moved since the look-up".
type meddler struct {
	backend string // host:port of the registry

	mu      sync.Mutex
	armed   func() // runs once, before the armed request is answered
	vanish  string // a manifest digest answered 404 (MANIFEST_UNKNOWN)
	proxied http.Handler
}

func newMeddler(t *testing.T, backend string) (*meddler, string) {
	m := &meddler{backend: backend, proxied: httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: backend})}
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	return m, strings.TrimPrefix(srv.URL, "http://")
}

func (m *meddler) arm(f func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.armed = f
}

func (m *meddler) setVanish(digest string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.vanish = digest
}

func (m *meddler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	act := m.armed
	if act != nil && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
		m.armed = nil
	} else {
		act = nil
	}
	vanish := m.vanish
	m.mu.Unlock()
	if act != nil {
		act()
	}
	if vanish != "" && strings.HasSuffix(r.URL.Path, "/manifests/"+vanish) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown (deleted by the test)"}]}`))
		return
	}
	m.proxied.ServeHTTP(w, r)
}

// digestOf is the digest the registry at its own address holds under ref.
func digestOf(t *testing.T, ref string) string {
	t.Helper()
	f, err := registry.New().Lookup(context.Background(), ref)
	if err != nil || f == nil {
		t.Fatalf("lookup %s: %+v, %v", ref, f, err)
	}
	return f.Digest
}

// inputsTagOf is the inputs tag (in-<16 hex>) the registry holds in repo.
func inputsTagOf(t *testing.T, repo string) string {
	t.Helper()
	r, err := name.NewRepository(repo, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	tags, err := remote.List(r)
	if err != nil {
		t.Fatalf("listing %s: %v", repo, err)
	}
	for _, tag := range tags {
		if strings.HasPrefix(tag, "in-") && len(tag) == len("in-")+16 {
			return repo + ":" + tag
		}
	}
	t.Fatalf("%s holds no inputs tag: %v", repo, tags)
	return ""
}

// otherInputs is an image labelled with inputs no project has.
func otherInputs(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.Config(img, v1.Config{Labels: map[string]string{registry.InputsLabel: "sha256:" + strings.Repeat("0", 64)}})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func pushTo(t *testing.T, ref string, img v1.Image) {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Error(err)
		return
	}
	if err := remote.Write(r, img); err != nil {
		t.Errorf("pushing %s: %v", ref, err)
	}
}

// TestReuseTakesTheDigestWhoseLabelItRead: machine A builds and pushes; on a machine without
// the image, the inputs tag is replaced with another image right after its label was read.
// build --push still publishes the image looked up (and puts the inputs tag back on it); build
// pulls that digest; and when the manifest looked up is gone by the time of the retag, the
// image is built instead, saying why.
func TestReuseTakesTheDigestWhoseLabelItRead(t *testing.T) {
	backend := registrytest.Start(t, registrytest.Options{})
	proxy, addr := newMeddler(t, backend)
	r := newProject(t, map[string]string{
		"imagemake.yaml": "repo: ${DOCKER_REPO}\ntag: ${DOCKER_TAG}\nimages:\n  app: {context: app, network: none}\n",
		"app/Dockerfile": "FROM scratch\nCOPY f /f\n",
	})
	write(t, filepath.Join(r.dir, "app/f"), r.prefix, 0o644) // inputs of this run only
	r.env["DOCKER_REPO"] = addr + "/" + r.prefix
	if got := r.build(0, "--push"); got["app"].Status != "built" {
		t.Fatalf("machine A: %v", got)
	}
	repo := backend + "/" + r.prefix + "/app"
	built := digestOf(t, repo+":t1")
	inputsTag := inputsTagOf(t, repo)
	replace := func() { pushTo(t, inputsTag, otherInputs(t)) }

	// build --push: the retag publishes the digest looked up, not what the tag holds now.
	r.removeImages()
	r.env["DOCKER_TAG"] = "t2"
	proxy.arm(replace)
	got := r.build(0, "--push")
	if got["app"].Status != "reused" {
		t.Fatalf("build --push after the tag was replaced: %v", got)
	}
	if d := digestOf(t, repo+":t2"); d != built {
		t.Errorf("app:t2 is %s, want the image looked up, %s", d, built)
	}
	if d := digestOf(t, inputsTag); d != built {
		t.Errorf("the inputs tag is %s after the retag, want it back on %s", d, built)
	}

	// build: the engine pulls the digest looked up.
	r.env["DOCKER_TAG"] = "t3"
	proxy.arm(replace)
	if got := r.build(0); got["app"].Status != "reused" {
		t.Fatalf("build after the tag was replaced: %v", got)
	}
	img, err := r.docker.ImageInspect(context.Background(), r.ref("app"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(img.RepoDigests, " ")+" ", "@"+built+" ") {
		t.Errorf("the engine's app:t3 came from %v, want the digest looked up, %s", img.RepoDigests, built)
	}

	// build --push when the manifest looked up is gone by the time of the retag: built instead.
	pushTo(t, inputsTag, mustRemoteImage(t, repo+"@"+built)) // the tag back on the image
	r.removeImages()
	r.env["DOCKER_TAG"] = "t4"
	proxy.arm(func() { proxy.setVanish(built) })
	code, out, errOut := r.run("build", "--push", "--output", "json")
	if code != 0 || results(t, out)["app"].Status != "built" || !strings.Contains(out, "not reused: ") {
		t.Fatalf("build --push after the manifest vanished: exit %d, want app built saying why it was not reused\n%s\n%s", code, out, errOut)
	}

	// build when the manifest looked up is gone by the time of the pull: built instead.
	now := digestOf(t, inputsTag) // the build above pushed it (the same image: its build is cached)
	proxy.setVanish("")
	r.removeImages()
	r.env["DOCKER_TAG"] = "t5"
	proxy.arm(func() { proxy.setVanish(now) })
	code, out, errOut = r.run("build", "--output", "json")
	if code != 0 || results(t, out)["app"].Status != "built" || !strings.Contains(out, "not reused: ") {
		t.Fatalf("build after the manifest vanished: exit %d, want app built saying why it was not reused\n%s\n%s", code, out, errOut)
	}
}

func mustRemoteImage(t *testing.T, ref string) v1.Image {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r)
	if err != nil {
		t.Fatalf("reading %s: %v", ref, err)
	}
	return img
}
