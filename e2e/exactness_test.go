package e2e

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"

	"github.com/imagemake/imagemake/internal/inputs"
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

// TestDamagedStateNeverFails damages each kind of state file in turn — a folder in place of
// the stat cache, an unreadable stat cache, a folder in place of a recorded manifest, garbage
// in the last-seen digest, a file in place of an image's folder — and runs plan (as root
// without CAP_DAC_OVERRIDE, so that mode 000 stops a read) and build: both succeed, plan warns
// once naming the file and imagemake clean, and the run after says nothing: it was rewritten.
func TestDamagedStateNeverFails(t *testing.T) {
	r := newProject(t, map[string]string{
		"imagemake.yaml": "version: 1\nrepo: ${DOCKER_REPO}\ntag: ${DOCKER_TAG}\nimages:\n  app: {context: app}\n",
		"app/Dockerfile": "FROM scratch\nCOPY a.txt /\n",
	})
	state := filepath.Join(r.dir, ".imagemake")
	cases := []struct {
		name, file string // file: the one the warning names, under .imagemake
		damage     func(t *testing.T, lastSeen string)
	}{
		{"stat cache is a folder", "statcache", func(t *testing.T, _ string) {
			replaceWithFolder(t, filepath.Join(state, "statcache"))
		}},
		{"stat cache is unreadable", "statcache", func(t *testing.T, _ string) {
			chmod(t, filepath.Join(state, "statcache"), 0)
		}},
		{"manifest is a folder", "manifests/app/", func(t *testing.T, last string) {
			replaceWithFolder(t, filepath.Join(state, "manifests", "app", strings.TrimPrefix(last, "sha256:")+".json.gz"))
		}},
		{"last seen holds garbage", "manifests/app/last", func(t *testing.T, _ string) {
			write(t, filepath.Join(state, "manifests", "app", "last"), "\x1b[2Jgarbage", 0o644)
			r.removeImages() // plan reads the last seen digest of an image the engine lacks
		}},
		{"image folder is a file", "manifests/app is damaged (it is not a folder)", func(t *testing.T, _ string) {
			dir := filepath.Join(state, "manifests", "app")
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			write(t, dir, "x", 0o644)
		}},
	}
	for i, c := range cases {
		write(t, filepath.Join(r.dir, "app", "a.txt"), fmt.Sprint(r.prefix, i), 0o644)
		if got := r.build(0); got["app"].Status != "built" {
			t.Fatalf("%s: the build before: %v", c.name, got)
		}
		last := strings.TrimSpace(readFile(t, filepath.Join(state, "manifests", "app", "last")))
		write(t, filepath.Join(r.dir, "app", "a.txt"), fmt.Sprint(r.prefix, i, "changed"), 0o644)
		c.damage(t, last)
		code, stderr := r.runWithoutDACOverride("plan")
		warning := "state file .imagemake/" + c.file
		if code != 0 || strings.Count(stderr, warning) != 1 || strings.Count(stderr, "warning") != 1 ||
			!strings.Contains(stderr, "`imagemake clean`") || strings.Contains(stderr, "\x1b") {
			t.Errorf("%s: plan exit %d, want 0 and one warning naming %s and imagemake clean:\n%s", c.name, code, warning, stderr)
		}
		if got := r.build(0); got["app"].Status != "built" {
			t.Errorf("%s: build after the damage: %v", c.name, got)
		}
		if code, stderr := r.runWithoutDACOverride("plan"); code != 0 || strings.Contains(stderr, "warning") {
			t.Errorf("%s: plan after the build: exit %d, want 0 and no warning (the state rewritten):\n%s", c.name, code, stderr)
		}
	}
}

// runWithoutDACOverride runs the imagemake binary as root without the capabilities that
// bypass file permissions (see runBad), and returns its exit code and stderr.
func (r *repo) runWithoutDACOverride(args ...string) (int, string) {
	r.t.Helper()
	return r.runBad(badCase{noDACOverride: true}, args)
}

func replaceWithFolder(t *testing.T, file string) {
	t.Helper()
	if err := os.RemoveAll(file); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(file, "inside"), "x", 0o644)
}

// TestFileNamesWithEscapesAndBadUTF8 changes a file whose name holds escape sequences and
// adds one whose name holds a byte that is no UTF-8 (BuildKit cannot send such a name: its
// file-sync protocol carries names as protobuf strings, so the test only plans it): plan
// names them quoted, no raw escape reaching the output, and explain --json gives the exact
// bytes of each name.
func TestFileNamesWithEscapesAndBadUTF8(t *testing.T) {
	esc, latin1 := "red\x1b[31m\u202etxt", "caf\xe9.txt"
	r := newProject(t, map[string]string{
		"imagemake.yaml": "version: 1\nrepo: ${DOCKER_REPO}\ntag: ${DOCKER_TAG}\nimages:\n  app: {context: app}\n",
		"app/Dockerfile": "FROM scratch\nCOPY . /\n",
		"app/" + esc:     "1",
		"app/run-id.txt": randomHex(8),
	})
	if got := r.build(0); got["app"].Status != "built" {
		t.Fatalf("build: %v", got)
	}
	write(t, filepath.Join(r.dir, "app", esc), "2", 0o644)
	write(t, filepath.Join(r.dir, "app", latin1), "1", 0o644)
	code, out, errOut := r.run("plan")
	for _, want := range []string{`file changed: "app/red\x1b[31m\u202etxt"`, `file added: "app/caf\xe9.txt"`} {
		if code != 0 || !strings.Contains(out+errOut, want) {
			t.Errorf("plan: exit %d, want the reason %s:\n%q\n%q", code, want, out, errOut)
		}
	}
	if strings.ContainsAny(out+errOut, "\x1b\u202e\xe9") {
		t.Errorf("plan printed a raw escape:\n%q\n%q", out, errOut)
	}
	code, out, errOut = r.run("explain", "app", "--format", "json")
	if code != 0 {
		t.Fatalf("explain: exit %d\n%s", code, errOut)
	}
	var e struct{ Changes []inputs.Change }
	if err := json.Unmarshal([]byte(out), &e); err != nil {
		t.Fatalf("explain --json: %v\n%s", err, out)
	}
	names := map[string]bool{}
	for _, c := range e.Changes {
		names[c.Name] = true
	}
	if !names["app/"+esc] || !names["app/"+latin1] {
		t.Errorf("explain --json changes %+v, want the exact names %q and %q", e.Changes, "app/"+esc, "app/"+latin1)
	}
	if !strings.Contains(out, `"name_base64": "YXBwL2NhZukudHh0"`) {
		t.Errorf("explain --json has no name_base64 for the name that is no UTF-8:\n%s", out)
	}
}

// TestRefOnAnotherImageIsNotMissing moves the extra tag of an up-to-date image onto another
// image of the project, then onto an image imagemake did not build: plan says what the tag
// points at instead of calling it missing, and build puts it back.
func TestRefOnAnotherImageIsNotMissing(t *testing.T) {
	r := newProject(t, map[string]string{
		"imagemake.yaml": "version: 1\nrepo: ${DOCKER_REPO}\ntag: ${DOCKER_TAG}\nimages:\n" +
			"  app: {context: app, tags: ['${DOCKER_REPO}/app:extra']}\n  other: {context: other}\n",
		"app/Dockerfile":   "FROM scratch\nCOPY a.txt /\n",
		"app/a.txt":        randomHex(8),
		"other/Dockerfile": "FROM scratch\nCOPY b.txt /\n",
		"other/b.txt":      randomHex(8),
	})
	if got := statuses(r.build(0)); got["app"] != "built" || got["other"] != "built" {
		t.Fatalf("build: %v", got)
	}
	ctx := context.Background()
	extra := r.prefix + "/app:extra"
	if err := r.docker.ImageTag(ctx, r.ref("other"), extra); err != nil {
		t.Fatal(err)
	}
	app, _ := r.planImage("app")
	if app.Status != "stale" || !strings.HasPrefix(app.Reason, "ref "+extra+" points at another image (inputs ") {
		t.Errorf("extra tag on other: %s (%s), want stale, points at another image", app.Status, app.Reason)
	}
	rc, err := r.docker.ImageImport(ctx, image.ImportSource{Source: strings.NewReader(emptyTar), SourceName: "-"}, extra, image.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, rc)
	rc.Close()
	app, _ = r.planImage("app")
	if app.Status != "stale" || !strings.HasPrefix(app.Reason, "ref "+extra+" holds an image without the imagemake.inputs label (") {
		t.Errorf("extra tag on an imported image: %s (%s), want stale, without the label", app.Status, app.Reason)
	}
	if got := statuses(r.build(0)); got["app"] != "reused" {
		t.Errorf("build: %v, want app re-tagged (reused)", got)
	}
	if app, _ := r.planImage("app"); app.Status != "up-to-date" {
		t.Errorf("after the build: %s (%s)", app.Status, app.Reason)
	}
}

// emptyTar is a tar archive with no member: two zero blocks.
var emptyTar = string(make([]byte, 1024))
