package inputs

import (
	"archive/tar"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/imagemake/imagemake/internal/config"
)

// A secret's id is part of the digest, its content is not: the content would otherwise be in
// the manifest's plain text, and rotating a token would rebuild every image using it.
func TestDigestLeavesOutSecretContent(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, baseTree...)
	secret := filepath.Join(t.TempDir(), "token")
	write(filepath.Dir(secret), "token", "hunter2-first")
	p := testProject(root, "__pycache__")
	img := baseImage()
	img.Secrets = []config.Secret{{ID: "npm", Src: secret}, {ID: "gh", Env: "GH_TOKEN"}}
	before := digestOf(t, p, img, nil, nil)
	write(filepath.Dir(secret), "token", "hunter2-second")
	if after := digestOf(t, p, img, nil, nil); after.Digest != before.Digest {
		t.Errorf("a secret's content changed the digest")
	}
	if got := before.Secrets; len(got) != 2 || got[0] != "gh" || got[1] != "npm" {
		t.Errorf("manifest secrets %q, want the sorted ids [gh npm]", got)
	}
	data, err := encodeManifest(before)
	must(t, err)
	for _, leak := range []string{"hunter2", secret} {
		if contains(data, leak) {
			t.Errorf("the manifest holds %q:\n%s", leak, data)
		}
	}
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }

// The state files are created 0644 and their folders 0755, less the user's umask. The write
// runs in a child process: the umask is the process's.
func TestStateFilesFollowTheUmask(t *testing.T) {
	if dir := os.Getenv("IMAGEMAKE_UMASK_DIR"); dir != "" {
		mask, _ := strconv.ParseInt(os.Getenv("IMAGEMAKE_UMASK"), 8, 32)
		syscall.Umask(int(mask))
		must(t, writeAtomic(filepath.Join(dir, "sub", "file"), []byte("x")))
		return
	}
	for _, c := range []struct {
		umask           string
		file, directory os.FileMode
	}{{"022", 0o644, 0o755}, {"077", 0o600, 0o700}, {"027", 0o640, 0o750}} {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestStateFilesFollowTheUmask$")
		cmd.Env = append(os.Environ(), "IMAGEMAKE_UMASK_DIR="+dir, "IMAGEMAKE_UMASK="+c.umask)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("umask %s: %v\n%s", c.umask, err, out)
		}
		for p, want := range map[string]os.FileMode{"sub": c.directory, "sub/file": c.file} {
			fi, err := os.Stat(filepath.Join(dir, p))
			must(t, err)
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("umask %s: %s is %04o, want %04o", c.umask, p, got, want)
			}
		}
		if entries, _ := os.ReadDir(filepath.Join(dir, "sub")); len(entries) != 1 {
			t.Errorf("umask %s: a temporary file was left: %v", c.umask, entries)
		}
	}
}

// A FIFO where .dockerignore is expected is an error, not a wait for a writer that no signal
// could end.
func TestFifoDockerignoreIsRefused(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "d/Dockerfile")
	must(t, syscall.Mkfifo(filepath.Join(root, "d", ".dockerignore"), 0o644))
	_, err := newTestScanner(t, testProject(root)).Context(image("d", "d"))
	if err == nil || !strings.Contains(err.Error(), ".dockerignore: not a regular file") {
		t.Errorf("error %v, want one naming .dockerignore as not a regular file", err)
	}
}

// The context tar never follows a symlink out of the project root: a link to a file or
// folder outside goes in as a link, and the outside content does not.
func TestContextTarKeepsOutsideLinksAsLinks(t *testing.T) {
	outside := t.TempDir()
	mkTree(t, outside, "secret.txt=outside-content-7f3a", "dir/more.txt=outside-content-7f3a")
	root := t.TempDir()
	mkTree(t, root, "app/Dockerfile",
		"app/abs -> "+filepath.Join(outside, "secret.txt"),
		"app/absdir -> "+filepath.Join(outside, "dir"),
		"app/rel -> ../../"+filepath.Base(outside)+"/secret.txt")
	s := newTestScanner(t, testProject(root))
	entries := contextOf(t, s, image("app", "app"))
	var tarball strings.Builder
	must(t, WriteTar(&tarball, entries))
	tr := tar.NewReader(strings.NewReader(tarball.String()))
	links := map[string]string{}
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if h.Typeflag == tar.TypeSymlink {
			links[h.Name] = h.Linkname
		}
	}
	if len(links) != 3 {
		t.Errorf("symlinks in the tar: %v, want abs, absdir and rel as links", links)
	}
	if strings.Contains(tarball.String(), "outside-content-7f3a") {
		t.Errorf("the tar holds the content of a file outside the project root")
	}
}
