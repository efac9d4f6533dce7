package e2e

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecretInsideTheContextIsNotContext builds an image whose context holds the file of one
// of its secrets and whose Dockerfile copies the whole context: the file is not in the image,
// not in the context tar, and the RUN step still reads it as a secret. The run says so once.
func TestSecretInsideTheContextIsNotContext(t *testing.T) {
	secret := "npm-token-" + randomHex(12)
	r := newProject(t, map[string]string{
		"imagemake.yaml": "version: 1\nrepo: ${DOCKER_REPO}\ntag: ${DOCKER_TAG}\nimages:\n" +
			"  child:\n    context: child\n    network: none\n    secrets:\n      - {id: npmrc, src: child/.npmrc}\n",
		"child/.npmrc":  secret,
		"child/a.txt":   "a",
		"child/busybox": "busybox",
	})
	write(t, filepath.Join(r.dir, "child", "Dockerfile"), busyboxDockerfile+"COPY . /ctx/\n"+
		"RUN --mount=type=secret,id=npmrc,required=true : "+r.prefix+" && sha256sum /run/secrets/npmrc | cut -c1-64 > /npmrc.sha\n", 0o644)

	code, out, errOut := r.run("build", "--output", "line")
	if code != 0 {
		t.Fatalf("build: exit %d\n%s\n%s", code, out, errOut)
	}
	warning := `image "child": secret "npmrc" (child/.npmrc) lies inside its build context`
	if n := strings.Count(out+errOut, warning); n != 1 {
		t.Errorf("the warning %q is said %d times, want once:\n%s\n%s", warning, n, out, errOut)
	}
	saved := savedImage(t, r, r.ref("child"))
	assertAbsent(t, "the image (docker save)", saved, []string{secret})
	if sum := sha256.Sum256([]byte(secret)); !strings.Contains(saved, hex.EncodeToString(sum[:])) {
		t.Error("the image has no file holding the secret's sha256: the RUN step did not read the secret")
	}
	if !strings.Contains(saved, "ctx/a.txt") {
		t.Error("the image has no ctx/a.txt: COPY . did not copy the context")
	}

	code, tarred, errOut := r.run("context", "child")
	if code != 0 {
		t.Fatalf("context: exit %d\n%s", code, errOut)
	}
	for _, name := range tarNames(t, tarred) {
		if strings.Contains(name, ".npmrc") {
			t.Errorf("the context tar holds %s", name)
		}
	}
	if app, _ := r.planImage("child"); app.Status != "up-to-date" {
		t.Errorf("plan after the build: %s (%s), want up-to-date", app.Status, app.Reason)
	}
	write(t, filepath.Join(r.dir, "child", ".npmrc"), "rotated-"+secret, 0o644)
	if app, _ := r.planImage("child"); app.Status != "up-to-date" {
		t.Errorf("after the secret's content changed: %s (%s), want up-to-date", app.Status, app.Reason)
	}
}

// tarNames lists the members of a tar archive.
func tarNames(t *testing.T, archive string) []string {
	t.Helper()
	var names []string
	tr := tar.NewReader(strings.NewReader(archive))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatalf("reading the context tar: %v", err)
		}
		names = append(names, h.Name)
	}
}
