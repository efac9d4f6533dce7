package docker

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types"
	buildtypes "github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"golang.org/x/crypto/bcrypt"

	"github.com/imagemake/imagemake/internal/schedule"
)

// These tests push to and pull from a docker-registry (Debian's package) they start on a free
// loopback port, which the engine trusts without TLS. Without the binary or an engine they
// are skipped, unless IMAGEMAKE_E2E=1.

const (
	testUser     = "imagemake"
	testPassword = "pw-8c1f3e-never-logged"
)

// testRegistry is a docker-registry process serving host (127.0.0.1:PORT).
type testRegistry struct {
	host string
}

// startRegistry starts a docker-registry on a free loopback port; with auth, it asks for
// testUser/testPassword (htpasswd). It stops when the test ends.
func startRegistry(t *testing.T, auth bool) testRegistry {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		if os.Getenv("IMAGEMAKE_E2E") == "1" {
			t.Fatalf("IMAGEMAKE_E2E=1 but no docker-registry binary: %v", err)
		}
		t.Skipf("no docker-registry binary (apt-get install docker-registry): %v", err)
	}
	dir := t.TempDir()
	config := "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n" +
		"storage:\n  filesystem:\n    rootdirectory: " + filepath.Join(dir, "data") + "\n" +
		"  delete:\n    enabled: true\n"
	if auth {
		hash, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Join(dir, "htpasswd"), []byte(testUser+":"+string(hash)+"\n"))
		config += "auth:\n  htpasswd:\n    realm: imagemake-test\n    path: " + filepath.Join(dir, "htpasswd") + "\n"
	}
	for attempt := 0; ; attempt++ {
		host := freeLoopbackAddr(t)
		writeTestFile(t, filepath.Join(dir, "config.yml"), []byte(config+"http:\n  addr: "+host+"\n"))
		cmd := exec.Command(bin, "serve", filepath.Join(dir, "config.yml"))
		var output strings.Builder
		cmd.Stdout, cmd.Stderr = &output, &output
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting docker-registry: %v", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if err := waitForRegistry(host, exited); err != nil {
			_ = cmd.Process.Kill()
			<-exited
			if attempt < 2 { // the free port may have been taken meanwhile
				continue
			}
			t.Fatalf("docker-registry on %s: %v\n%s", host, err, output.String())
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			<-exited
		})
		return testRegistry{host: host}
	}
}

// freeLoopbackAddr returns a loopback address nothing listens on at the moment.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

func waitForRegistry(host string, exited <-chan error) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("exited: %v", err)
		default:
		}
		resp, err := http.Get("http://" + host + "/v2/")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("no answer on /v2/")
}

// ref is a new ref of the registry; its local image is removed when the test ends.
func (r testRegistry) ref(t *testing.T, e *Engine, repo string) string {
	t.Helper()
	ref := r.host + "/" + testRef(t, e, repo)
	t.Cleanup(func() {
		_, _ = e.api.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true, PruneChildren: true})
	})
	return ref
}

// useCredentials points the default keychain at a docker config holding testUser's
// credentials for host (as `docker login` writes them), and at nothing else.
func useCredentials(t *testing.T, host string) {
	t.Helper()
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(testUser + ":" + testPassword))
	writeTestFile(t, filepath.Join(dir, "config.json"), []byte(`{"auths":{"`+host+`":{"auth":"`+auth+`"}}}`))
	t.Setenv("HOME", t.TempDir()) // the keychain reads ~/.docker/config.json first
	t.Setenv("DOCKER_CONFIG", dir)
	t.Setenv("REGISTRY_AUTH_FILE", "")
}

// buildTestImage builds a small image with the given labels and refs.
func buildTestImage(t *testing.T, e *Engine, dockerfile string, labels map[string]string, args map[string]string, refs ...string) string {
	t.Helper()
	logs := newLogLines()
	id, err := testBuilder(t, e).Build(context.Background(), schedule.Request{
		Dockerfile:  "Dockerfile",
		Context:     testContext(t, dockerfile),
		Network:     "none",
		Labels:      labels,
		Args:        args,
		Refs:        refs,
		InlineCache: args["BUILDKIT_INLINE_CACHE"] == "1",
	}, logs.add)
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, strings.Join(logs.all(), "\n"))
	}
	return id
}

// removeImage removes ref from the engine and checks that the image is gone.
func removeImage(t *testing.T, e *Engine, ref, id string) {
	t.Helper()
	if _, err := e.api.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil {
		t.Fatalf("removing %s: %v", ref, err)
	}
	if _, err := e.api.ImageInspect(context.Background(), id); !client.IsErrNotFound(err) {
		t.Fatalf("image %s still in the engine after removing %s (%v)", id, ref, err)
	}
}

func assertNoSecret(t *testing.T, what string, texts ...string) {
	t.Helper()
	for _, text := range texts {
		if strings.Contains(text, testPassword) || strings.Contains(text, base64.StdEncoding.EncodeToString([]byte(testUser+":"+testPassword))) {
			t.Errorf("%s shows the password: %q", what, text)
		}
	}
}

func TestPushPullRoundTrip(t *testing.T) {
	e := testEngine(t)
	reg := startRegistry(t, false)
	ref := reg.ref(t, e, "roundtrip")
	labels := map[string]string{InputsLabel: "sha256:" + strings.Repeat("cd", 32), "team": "edge"}
	id := buildTestImage(t, e, busyboxBase+"RUN echo "+ref+" > /ref\n", labels, nil, ref)

	pushLogs := newLogLines()
	if err := e.Push(context.Background(), ref, pushLogs.add); err != nil {
		t.Fatalf("Push: %v\n%s", err, strings.Join(pushLogs.all(), "\n"))
	}
	digestLine := regexp.MustCompile(`: digest: sha256:[0-9a-f]{64} size: \d+$`)
	var pushed, digest bool
	for _, line := range pushLogs.all() {
		pushed = pushed || strings.HasSuffix(line, ": Pushed")
		digest = digest || digestLine.MatchString(line)
		if strings.ContainsAny(line, "\n\r") || strings.Contains(line, "[=") {
			t.Errorf("push log line with a newline or a progress bar: %q", line)
		}
	}
	if !pushed || !digest {
		t.Errorf("push logs lack a `Pushed` or a `digest: sha256:... size:` line:\n%s", strings.Join(pushLogs.all(), "\n"))
	}

	removeImage(t, e, ref, id)
	pullLogs := newLogLines()
	if err := e.Pull(context.Background(), ref, pullLogs.add); err != nil {
		t.Fatalf("Pull: %v\n%s", err, strings.Join(pullLogs.all(), "\n"))
	}
	inspect, err := e.api.ImageInspect(context.Background(), ref)
	if err != nil {
		t.Fatalf("inspecting %s after Pull: %v", ref, err)
	}
	if inspect.ID != id {
		t.Errorf("pulled %s is %s, pushed %s", ref, inspect.ID, id)
	}
	if got := inspect.Config.Labels; got[InputsLabel] != labels[InputsLabel] || got["team"] != "edge" {
		t.Errorf("pulled %s has labels %v", ref, got)
	}
	// Layers the build cache still holds are not downloaded again ("Already exists").
	if !pullLogs.contains("Digest: sha256:") || !pullLogs.contains("Downloaded newer image for "+ref) {
		t.Errorf("pull logs lack `Digest:` or `Downloaded newer image`:\n%s", strings.Join(pullLogs.all(), "\n"))
	}
	images, err := e.Images(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := images[ref]; got.ID != id || got.Inputs != labels[InputsLabel] {
		t.Errorf("Images()[%s] = %+v after Pull", ref, got)
	}
}

func TestPushPullUnreachableRegistry(t *testing.T) {
	e := testEngine(t)
	host := freeLoopbackAddr(t) // nothing listens there
	ref := host + "/" + testRef(t, e, "unreachable")
	t.Cleanup(func() {
		_, _ = e.api.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true})
	})
	buildTestImage(t, e, busyboxBase, map[string]string{InputsLabel: "x"}, nil, ref)

	for _, op := range []struct {
		name string
		do   func(context.Context, string, func(string)) error
	}{{"pushing", e.Push}, {"pulling", e.Pull}} {
		start := time.Now()
		err := op.do(context.Background(), ref, nil)
		if err == nil {
			t.Fatalf("%s %s to a closed port succeeded", op.name, ref)
		}
		t.Logf("%s: %v", op.name, err)
		if want := op.name + " " + ref + ": "; !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("error = %q, want one starting with %q and saying why", err, want)
		}
		if took := time.Since(start); took > 30*time.Second {
			t.Errorf("%s took %s to fail", op.name, took)
		}
	}
	// Not in the engine at all: the request itself fails.
	missing := host + "/" + testRef(t, e, "missing")
	if err := e.Push(context.Background(), missing, nil); err == nil || !strings.Contains(err.Error(), "pushing "+missing+": ") {
		t.Errorf("Push of an image the engine does not hold = %v", err)
	}
	if err := e.Push(context.Background(), "Bad Ref", nil); err == nil || !strings.Contains(err.Error(), `pushing Bad Ref: invalid image ref`) {
		t.Errorf("Push of an invalid ref = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.Pull(ctx, ref, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Pull with a cancelled context = %v", err)
	}
}

func TestPushPullWithCredentials(t *testing.T) {
	e := testEngine(t) // before useCredentials changes HOME
	reg := startRegistry(t, true)
	ref := reg.ref(t, e, "auth")
	id := buildTestImage(t, e, busyboxBase+"RUN echo "+ref+" > /ref\n", map[string]string{InputsLabel: "y"}, nil, ref)

	t.Setenv("HOME", t.TempDir()) // no credentials at all
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	err := e.Push(context.Background(), ref, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "pushing "+ref+": ") || !strings.Contains(err.Error(), "auth") {
		t.Fatalf("anonymous Push to a registry asking for credentials = %v", err)
	}
	t.Logf("anonymous push: %v", err)

	useCredentials(t, reg.host)
	logs := newLogLines()
	if err := e.Push(context.Background(), ref, logs.add); err != nil {
		t.Fatalf("Push with credentials: %v", err)
	}
	removeImage(t, e, ref, id)
	if err := e.Pull(context.Background(), ref, logs.add); err != nil {
		t.Fatalf("Pull with credentials: %v", err)
	}
	if inspect, err := e.api.ImageInspect(context.Background(), ref); err != nil || inspect.ID != id {
		t.Errorf("pulled %s: %v, %v; want %s", ref, inspect.ID, err, id)
	}
	assertNoSecret(t, "a log line", logs.all()...)

	wrong := filepath.Join(t.TempDir(), "config.json")
	writeTestFile(t, wrong, []byte(`{"auths":{"`+reg.host+`":{"auth":"`+base64.StdEncoding.EncodeToString([]byte(testUser+":nope"))+`"}}}`))
	t.Setenv("DOCKER_CONFIG", filepath.Dir(wrong))
	err = e.Pull(context.Background(), ref, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "pulling "+ref+": ") {
		t.Fatalf("Pull with a wrong password = %v", err)
	}
	t.Logf("wrong password: %v", err)
	assertNoSecret(t, "an error", err.Error())
}

func TestBuildCacheFromRegistry(t *testing.T) {
	for _, auth := range []bool{false, true} {
		t.Run(map[bool]string{false: "anonymous", true: "credentials"}[auth], func(t *testing.T) {
			e := testEngine(t)
			reg := startRegistry(t, auth)
			if auth {
				useCredentials(t, reg.host)
			}
			ref := reg.ref(t, e, "cache")
			token := ref[strings.LastIndexByte(ref, ':')+1:] + "-" + time.Now().Format("150405.000000")
			dockerfile := busyboxBase + "RUN echo " + token + " > /first\nRUN echo second > /second\n"
			id := buildTestImage(t, e, dockerfile, map[string]string{InputsLabel: "z"},
				map[string]string{"BUILDKIT_INLINE_CACHE": "1"}, ref)
			if err := e.Push(context.Background(), ref, nil); err != nil {
				t.Fatalf("Push: %v", err)
			}
			removeImage(t, e, ref, id)
			pruneBuildCache(t, e, token)

			logs := newLogLines()
			if _, err := testBuilder(t, e).Build(context.Background(), schedule.Request{
				Dockerfile:  "Dockerfile",
				Context:     testContext(t, dockerfile),
				Network:     "none",
				Labels:      map[string]string{InputsLabel: "z"},
				InlineCache: true,
				Refs:        []string{ref},
				CacheFrom:   []string{ref},
			}, logs.add); err != nil {
				t.Fatalf("Build with CacheFrom: %v\n%s", err, strings.Join(logs.all(), "\n"))
			}
			text := strings.Join(logs.all(), "\n")
			importing := stepOf(logs.all(), "importing cache manifest from "+ref)
			if importing == "" || strings.Contains(text, importing+" ERROR") {
				t.Errorf("no successful `importing cache manifest from %s`:\n%s", ref, text)
			}
			for _, step := range []string{"RUN echo " + token + " > /first", "RUN echo second > /second"} {
				n := stepOf(logs.all(), step)
				if n == "" || !logs.contains(n+" CACHED") {
					t.Errorf("step %q is not CACHED:\n%s", step, text)
				}
			}
			assertNoSecret(t, "a log line", logs.all()...)
		})
	}
}

// stepOf returns the "#N" of the progress step whose name contains s, or "".
func stepOf(lines []string, s string) string {
	for _, line := range lines {
		if n, rest, ok := strings.Cut(line, " "); ok && strings.HasPrefix(n, "#") && strings.Contains(rest, s) {
			return n
		}
	}
	return ""
}

// pruneBuildCache removes the engine's build cache records of the steps whose description
// contains token, and of every step built on them, so that a later build can only find these
// steps in an imported cache. Unlike `docker builder prune -af`, it leaves the cache of
// everything else using the engine alone.
func pruneBuildCache(t *testing.T, e *Engine, token string) {
	t.Helper()
	ctx := context.Background()
	for round := 0; ; round++ {
		du, err := e.api.DiskUsage(ctx, types.DiskUsageOptions{Types: []types.DiskUsageObject{types.BuildCacheObject}})
		if err != nil {
			t.Fatalf("listing the build cache: %v", err)
		}
		mine := map[string]bool{}
		for grew := true; grew; {
			grew = false
			for _, r := range du.BuildCache {
				if mine[r.ID] {
					continue
				}
				isMine := strings.Contains(r.Description, token) || mine[r.Parent]
				for _, p := range r.Parents {
					isMine = isMine || mine[p]
				}
				if isMine {
					mine[r.ID], grew = true, true
				}
			}
		}
		if len(mine) == 0 {
			if round == 0 {
				for _, r := range du.BuildCache {
					t.Logf("record %s %q", r.ID, r.Description)
				}
				t.Fatalf("no build cache record mentions %q", token)
			}
			return
		}
		if round == 5 {
			t.Fatalf("build cache records %v survive pruning", mine)
		}
		for id := range mine { // a record with children stays until they are gone: next round
			_, err := e.api.BuildCachePrune(ctx, buildtypes.CachePruneOptions{Filters: filters.NewArgs(filters.Arg("id", id))})
			if err != nil {
				t.Fatalf("pruning build cache record %s: %v", id, err)
			}
		}
	}
}

// keychainFunc is a keychain answering from a function.
type keychainFunc func(authn.Resource) (authn.Authenticator, error)

func (f keychainFunc) Resolve(r authn.Resource) (authn.Authenticator, error) { return f(r) }

func TestRegistryAuthHeader(t *testing.T) {
	e := &Engine{}
	var asked []string
	e.keychain = keychainFunc(func(r authn.Resource) (authn.Authenticator, error) {
		asked = append(asked, r.RegistryStr())
		switch r.RegistryStr() {
		case "basic.example":
			return authn.FromConfig(authn.AuthConfig{Username: "u", Password: "p"}), nil
		case "auth-field.example":
			return authn.FromConfig(authn.AuthConfig{Auth: base64.StdEncoding.EncodeToString([]byte("u2:p:2"))}), nil
		case "token.example":
			return authn.FromConfig(authn.AuthConfig{IdentityToken: "tok"}), nil
		case name.DefaultRegistry:
			return authn.FromConfig(authn.AuthConfig{Username: "hub", Password: "hp"}), nil
		case "empty.example":
			return authn.FromConfig(authn.AuthConfig{}), nil
		case "broken.example":
			return nil, errors.New("credential helper failed")
		}
		return authn.Anonymous, nil
	})
	tests := []struct {
		ref     string
		want    *registry.AuthConfig // nil: no header
		wantErr string
	}{
		{ref: "basic.example/a/b:1", want: &registry.AuthConfig{Username: "u", Password: "p", ServerAddress: "basic.example"}},
		{ref: "auth-field.example/a", want: &registry.AuthConfig{Username: "u2", Password: "p:2", ServerAddress: "auth-field.example"}},
		{ref: "token.example/a@sha256:" + strings.Repeat("0", 64), want: &registry.AuthConfig{IdentityToken: "tok", ServerAddress: "token.example"}},
		{ref: "pybase", want: &registry.AuthConfig{Username: "hub", Password: "hp", ServerAddress: "https://index.docker.io/v1/"}},
		{ref: "127.0.0.1:5000/x:y"},
		{ref: "empty.example/x"},
		{ref: "broken.example/x", wantErr: "looking up the credentials for broken.example: credential helper failed"},
	}
	for _, tt := range tests {
		named, err := name.ParseReference(tt.ref)
		if err != nil {
			t.Fatal(err)
		}
		header, err := e.registryAuthHeader(context.Background(), named.Context().Registry)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%s: error %v, want %q", tt.ref, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.ref, err)
		}
		if tt.want == nil {
			if header != "" {
				t.Errorf("%s: header %q, want none", tt.ref, header)
			}
			continue
		}
		if strings.ContainsAny(header, "+/") {
			t.Errorf("%s: header %q is not base64url", tt.ref, header)
		}
		got, err := registry.DecodeAuthConfig(header)
		if err != nil || *got != *tt.want {
			t.Errorf("%s: header decodes to %+v, %v; want %+v", tt.ref, got, err, *tt.want)
		}
	}

	cfg, err := e.sessionCredentials(context.Background(), "registry-1.docker.io", nil, nil)
	if err != nil || cfg.Username != "hub" || cfg.Password != "hp" {
		t.Errorf("session credentials for Docker Hub = %+v, %v", cfg, err)
	}
	cfg, err = e.sessionCredentials(context.Background(), "basic.example", nil, nil)
	if err != nil || cfg.Username != "u" || cfg.Password != "p" {
		t.Errorf("session credentials for basic.example = %+v, %v", cfg, err)
	}
	if cfg, err = e.sessionCredentials(context.Background(), "127.0.0.1:5000", nil, nil); err != nil || cfg.Username != "" || cfg.Password != "" {
		t.Errorf("session credentials for an anonymous registry = %+v, %v", cfg, err)
	}
	if len(asked) == 0 {
		t.Error("the keychain was never asked")
	}
}

func TestReadProgress(t *testing.T) {
	stream := `{"status":"The push refers to repository [127.0.0.1:5000/x]"}
{"status":"Preparing","progressDetail":{},"id":"5b9ce88bf0ec"}
{"status":"Pushing","progressDetail":{"current":512,"total":2048},"progress":"[====>     ]     512B/2.048kB","id":"5b9ce88bf0ec"}
{"status":"Pushed","progressDetail":{},"id":"5b9ce88bf0ec"}
{"status":"t1: digest: sha256:5c85 size: 944"}
{"progressDetail":{},"aux":{"Tag":"t1","Digest":"sha256:5c85","Size":944}}
`
	var lines []string
	out := newLineWriter(func(line string) { lines = append(lines, line) })
	if err := readProgress(strings.NewReader(stream), out); err != nil {
		t.Fatal(err)
	}
	want := "The push refers to repository [127.0.0.1:5000/x]|5b9ce88bf0ec: Preparing|5b9ce88bf0ec: Pushed|t1: digest: sha256:5c85 size: 944"
	if got := strings.Join(lines, "|"); got != want {
		t.Errorf("lines = %q\nwant    %q", got, want)
	}
	failed := `{"status":"Preparing","id":"a"}` + "\n" + `{"errorDetail":{"message":"unauthorized: authentication required"},"error":"unauthorized: authentication required"}` + "\n"
	if err := readProgress(strings.NewReader(failed), newLineWriter(nil)); err == nil || err.Error() != "unauthorized: authentication required" {
		t.Errorf("error message: %v", err)
	}
	if err := readProgress(strings.NewReader(`{"status":"Prep`), newLineWriter(nil)); err == nil || !strings.Contains(err.Error(), "progress stream") {
		t.Errorf("torn stream: %v", err)
	}
}
