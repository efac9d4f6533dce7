package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imagemake/imagemake/internal/registry/registrytest"
)

const secretsConfig = `version: 1
repo: ${DOCKER_REPO}
tag: ${DOCKER_TAG}
images:
  app:
    context: app
    network: none
    secrets:
      - {id: npm, src: npm.token}
      - {id: gh, env: GH_TOKEN}
`

// TestSecretsReachTheBuildAndNothingElse builds an image whose RUN step mounts a file secret
// and an environment secret (required: the step fails without them) and writes their
// sha256 into the image. Neither secret may be in the image (docker save: every layer), its
// config, labels or history, imagemake's output (line, json, plan -v) or .imagemake/.
func TestSecretsReachTheBuildAndNothingElse(t *testing.T) {
	fileSecret, envSecret := "file-secret-"+randomHex(12), "env-secret-"+randomHex(12)
	r := newProject(t, map[string]string{
		"imagemake.yaml": secretsConfig,
		"npm.token":      fileSecret,
		"app/busybox":    "busybox",
	})
	// The step names the run: the engine's cache keys leave secrets out, so the same step of
	// an earlier run, with other secrets, would be reused.
	write(t, filepath.Join(r.dir, "app", "Dockerfile"), busyboxDockerfile+
		"RUN --mount=type=secret,id=npm,required=true --mount=type=secret,id=gh,required=true : "+r.prefix+" && "+
		"sha256sum /run/secrets/npm | cut -c1-64 > /npm.sha && sha256sum /run/secrets/gh | cut -c1-64 > /gh.sha\n", 0o644)
	r.env["GH_TOKEN"] = envSecret
	var output strings.Builder
	for _, args := range [][]string{{"build", "--output", "line"}, {"build", "-B", "--output", "json"}, {"plan", "-v"}, {"plan", "--json"}} {
		code, out, errOut := r.run(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s\n%s", args, code, out, errOut)
		}
		output.WriteString(out + errOut)
	}
	if !strings.Contains(output.String(), "app") {
		t.Fatalf("no output about the image:\n%s", output.String())
	}
	secrets := []string{fileSecret, envSecret}
	assertAbsent(t, "imagemake's output", output.String(), secrets)

	ctx := context.Background()
	saved := savedImage(t, r, r.ref("app"))
	assertAbsent(t, "the saved image (docker save)", saved, secrets)
	for _, s := range secrets {
		if sum := sha256.Sum256([]byte(s)); !strings.Contains(saved, hex.EncodeToString(sum[:])) {
			t.Errorf("the image has no file holding the sha256 of %q: the RUN step did not see the secret", s)
		}
	}
	inspect, err := r.docker.ImageInspect(ctx, r.ref("app"))
	if err != nil {
		t.Fatal(err)
	}
	history, err := r.docker.ImageHistory(ctx, r.ref("app"))
	if err != nil {
		t.Fatal(err)
	}
	meta, _ := json.Marshal([]any{inspect, history})
	assertAbsent(t, "the image's config, labels or history", string(meta), secrets)
	for path, content := range treeOf(t, filepath.Join(r.dir, ".imagemake")) {
		assertAbsent(t, ".imagemake/"+path, content, secrets)
	}

	// The secret's content is not an input: changing it rebuilds nothing (its id is).
	write(t, filepath.Join(r.dir, "npm.token"), "rotated-"+fileSecret, 0o644)
	if app, _ := r.planImage("app"); app.Status != "up-to-date" {
		t.Errorf("after the secret's content changed: %s (%s), want up-to-date", app.Status, app.Reason)
	}

	// Without the secrets the step fails: the test above really depended on them. (The step
	// changes too, or the cached one would do.)
	write(t, filepath.Join(r.dir, "imagemake.yaml"), strings.Split(secretsConfig, "    secrets:")[0], 0o644)
	df := filepath.Join(r.dir, "app", "Dockerfile")
	write(t, df, strings.Replace(readFile(t, df), "sha256sum /run/secrets/npm", "cat /run/secrets/npm | sha256sum", 1), 0o644)
	if app, _ := r.planImage("app"); app.Status != "stale" || !strings.Contains(app.Reason, "secrets changed (gh, npm to none)") {
		t.Errorf("after the secrets were removed: %s (%s), want stale, secrets changed", app.Status, app.Reason)
	}
	if got := r.build(1); got["app"].Status != "failed" {
		t.Errorf("build without the secrets: %v, want app failed", got)
	}
}

func savedImage(t *testing.T, r *repo, ref string) string {
	t.Helper()
	rc, err := r.docker.ImageSave(context.Background(), []string{ref})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func assertAbsent(t *testing.T, where, text string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s holds the secret %q", where, s)
		}
	}
}

// TestCredentialsNeverPrinted pushes to a registry that needs a password, which imagemake
// gets from the docker config (the keychain): the push must work, and neither the password
// nor the config's encoded auth may appear in any output (line, json, plan -v, push) or
// under .imagemake/.
func TestCredentialsNeverPrinted(t *testing.T) {
	password := "pw-" + randomHex(10)
	addr := registrytest.Start(t, registrytest.Options{User: "imagemake", Password: password})
	auth := base64.StdEncoding.EncodeToString([]byte("imagemake:" + password))
	dockerConfig := t.TempDir()
	write(t, filepath.Join(dockerConfig, "config.json"), `{"auths": {"`+addr+`": {"auth": "`+auth+`"}}}`, 0o600)
	r := newProject(t, map[string]string{
		"imagemake.yaml": "version: 1\nrepo: ${DOCKER_REPO}\ntag: ${DOCKER_TAG}\nimages:\n  app:\n    context: app\n    network: none\n",
		"app/busybox":    "busybox",
	})
	write(t, filepath.Join(r.dir, "app", "Dockerfile"), busyboxDockerfile+"RUN : "+r.prefix+"\n", 0o644)
	r.env["DOCKER_REPO"] = addr + "/" + r.prefix
	r.env["DOCKER_CONFIG"] = dockerConfig // the keychain reads the process's environment
	var output strings.Builder
	for _, args := range [][]string{{"build", "--push", "--output", "json"}, {"build", "-B", "--push", "--output", "line"},
		{"plan", "-v"}, {"push"}} {
		p := startImagemake(t, binary(t), r, args...)
		state, err := p.wait(5 * time.Minute)
		if err != nil || state.ExitCode() != 0 {
			t.Fatalf("%v: %v %v\n%s\n%s", args, err, state, p.stdout(), p.stderr.String())
		}
		output.WriteString(p.stdout() + p.stderr.String())
	}
	if !strings.Contains(output.String(), "push") {
		t.Errorf("no push in the output:\n%s", output.String())
	}
	secrets := []string{password, auth}
	assertAbsent(t, "imagemake's output", output.String(), secrets)
	for path, content := range treeOf(t, filepath.Join(r.dir, ".imagemake")) {
		assertAbsent(t, ".imagemake/"+path, content, secrets)
	}
}
