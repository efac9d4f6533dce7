package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
)

// narrowImage is an image of testdata/narrow and what `docker build` of its whole context
// takes to build it.
type narrowImage struct {
	name, context, dockerfile string
	args                      []string // NAME=VALUE build args besides DOCKER_REPO and DOCKER_TAG
	// present and absent are paths of the image's file system, so that the comparison
	// cannot pass by comparing two empty images.
	present, absent []string
}

var narrowImages = []narrowImage{
	{name: "rootctx", context: ".", dockerfile: "sub/Dockerfile",
		present: []string{"app/a.py", "app/pkg/b.py", "app/pyproject.toml", "usr/local/bin/tool", "lnk/c.py"},
		absent:  []string{"app/key.secret", "app/tests", "README.md", "lnk/other"}},
	{name: "globs", context: ".", dockerfile: "globs/Dockerfile",
		present: []string{"g/1.txt", "g/2.txt", "d/f", "d/g"}, absent: []string{"g/x.md"}},
	{name: "argsrc", context: ".", dockerfile: "argsrc/Dockerfile", args: []string{"APP=svc-a"},
		present: []string{"app/main"}},
	{name: "mount", context: ".", dockerfile: "mount/Dockerfile", present: []string{"tools.txt", "tools.stat"}},
	{name: "copyall", context: "copyall", dockerfile: "copyall/Dockerfile",
		present: []string{"ctx/x", "ctx/nested/y", "ctx/.dockerignore", "ctx/Dockerfile"}, absent: []string{"ctx/nested/skip"}},
}

// TestNarrowContext proves that sending the engine only what the Dockerfile reads builds the
// same image as `docker build` of the whole context (issue 12, item 1), and that what the
// build does not read no longer changes the inputs: a README edit, an empty commit, a
// comment in imagemake.yaml leave every image up to date; an edit of a copied file does not.
func TestNarrowContext(t *testing.T) {
	c := engine(t)
	if _, err := os.Stat(dockerCLI); err != nil {
		t.Skipf("no Docker CLI at %s", dockerCLI)
	}
	r := narrowRepo(t, c)
	rs := r.build(0)
	for _, img := range append([]string{"bb"}, narrowNames(narrowImages)...) {
		if rs[img].Status != "built" {
			t.Fatalf("%s: %+v, want built", img, rs[img])
		}
	}
	for _, img := range narrowImages {
		t.Run(img.name, func(t *testing.T) {
			cliRef := r.prefix + "/" + img.name + ":cli"
			args := []string{"build", "--network", "none", "-f", filepath.Join(r.dir, img.dockerfile), "-t", cliRef,
				"--build-arg", "DOCKER_REPO=" + r.prefix, "--build-arg", "DOCKER_TAG=" + r.env["DOCKER_TAG"]}
			for _, a := range img.args {
				args = append(args, "--build-arg", a)
			}
			cmd := exec.Command(dockerCLI, append(args, filepath.Join(r.dir, img.context))...)
			cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=1")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("docker build: %v\n%s", err, out)
			}
			files := assertSameImageFiles(t, c, cliRef, r.ref(img.name))
			for _, p := range img.present {
				if _, ok := files[p]; !ok {
					t.Errorf("%s: no %s in the image of docker build", img.name, p)
				}
			}
			for _, p := range img.absent {
				if _, ok := files[p]; ok {
					t.Errorf("%s: %s in the image of docker build, want it absent", img.name, p)
				}
			}
		})
	}

	r.planUpToDate("after the build")
	write(t, filepath.Join(r.dir, "README.md"), "# edited\n", 0o644)
	r.planUpToDate("after a README.md edit")
	r.git("commit", "-q", "--allow-empty", "-m", "empty")
	r.planUpToDate("after an empty commit")
	cfg := filepath.Join(r.dir, "imagemake.yaml")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	write(t, cfg, "# a comment\n"+string(data), 0o644)
	r.planUpToDate("after a comment in imagemake.yaml")

	// A new tag (CI: a tag per commit) builds nothing, though argsrc passes DOCKER_TAG in args:
	// it only names the base image, whose inputs are the same.
	r.env["DOCKER_TAG"] = "t2"
	retagged := r.build(0)
	for _, name := range append([]string{"bb"}, narrowNames(narrowImages)...) {
		if res := retagged[name]; res.Status != "reused" {
			t.Errorf("%s under a new tag: %+v, want it reused", name, res)
		}
	}
	r.env["DOCKER_TAG"] = "t1"

	write(t, filepath.Join(r.dir, "sub/src/a.py"), "print('edited')\n", 0o600)
	got := r.plan(1)
	if got["rootctx"].Status != "stale" || !strings.Contains(got["rootctx"].Reason, "sub/src/a.py") {
		t.Errorf("rootctx after an edit of sub/src/a.py: %+v, want stale naming the file", got["rootctx"])
	}
	for name, res := range got {
		if name != "rootctx" && res.Status != "up-to-date" {
			t.Errorf("%s after an edit of sub/src/a.py, which it does not read: %+v", name, res)
		}
	}
}

// narrowRepo copies testdata/narrow into a git repository with busybox and a run id.
func narrowRepo(t *testing.T, c *client.Client) *repo {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "narrow")
	copyTree(t, filepath.Join("testdata", "narrow"), dir)
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatalf("busybox-static is needed: %v", err)
	}
	prefix := "e2enarrow" + randomHex(4)
	write(t, filepath.Join(dir, "bb", "busybox"), string(bb), 0o755)
	write(t, filepath.Join(dir, "bb", "e2e-run-id"), prefix, 0o644)
	// Modes git does not keep.
	for p, mode := range map[string]os.FileMode{"sub/src/pkg": 0o750, "sub/src/a.py": 0o600, "bin/tool": 0o755} {
		chmod(t, filepath.Join(dir, p), mode)
	}
	r := &repo{t: t, dir: dir, prefix: prefix, docker: c, env: map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME"), "DOCKER_REPO": prefix, "DOCKER_TAG": "t1",
	}}
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		r.env["DOCKER_HOST"] = h
	}
	t.Cleanup(r.removeImages)
	r.git("init", "-q")
	r.git("add", "-A")
	r.git("commit", "-q", "-m", "fixture")
	return r
}

func (r *repo) git(args ...string) {
	r.t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=e2e", "-c", "user.email=e2e@example.com"}, args...)...)
	cmd.Dir = r.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// plan runs `imagemake plan --json --check`, wanting exit code want, and returns each image's
// status and reason.
func (r *repo) plan(want int) map[string]result {
	r.t.Helper()
	code, out, errOut := r.run("plan", "--json", "--check")
	if code != want {
		r.t.Fatalf("plan --check: exit %d, want %d\n%s\n%s", code, want, out, errOut)
	}
	var p struct {
		Images []struct{ Name, Status, Reason string }
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		r.t.Fatalf("plan --json: %v\n%s", err, out)
	}
	got := map[string]result{}
	for _, img := range p.Images {
		got[img.Name] = result{img.Status, img.Reason}
	}
	return got
}

func (r *repo) planUpToDate(when string) {
	r.t.Helper()
	code, out, errOut := r.run("plan", "--check")
	if code != 0 {
		r.t.Errorf("plan --check %s: exit %d, want 0 (up to date)\n%s\n%s", when, code, out, errOut)
	}
}

func narrowNames(images []narrowImage) []string {
	out := make([]string, 0, len(images))
	for _, img := range images {
		out = append(out, img.name)
	}
	return out
}

// assertSameImageFiles fails the test unless the file systems of images a and b hold the same
// paths with the same type, permission bits (setuid, setgid and sticky included), symlink
// target and content (times and owners aside). It returns a's files, so that a caller can
// check the comparison was not between two empty images.
func assertSameImageFiles(t *testing.T, c *client.Client, a, b string) ctxTree {
	t.Helper()
	ta, tb := imageFiles(t, c, a), imageFiles(t, c, b)
	if d := diffTrees(ta, tb); d != "" {
		t.Errorf("the images' files differ (- %s, + %s):\n%s", a, b, d)
	}
	return ta
}

// imageFiles lists the file system of image ref, as `docker create` + `docker export` give it.
func imageFiles(t *testing.T, c *client.Client, ref string) ctxTree {
	t.Helper()
	return imageTree(t, c, ref, "")
}

// imageTree lists what is under the folder under ("" for the root) in the file system of image
// ref, as `docker create` + `docker export` give it.
func imageTree(t *testing.T, c *client.Client, ref, under string) ctxTree {
	t.Helper()
	ctx := context.Background()
	created, err := c.ContainerCreate(ctx, &container.Config{Image: ref, Cmd: []string{"/nothing"}},
		&container.HostConfig{NetworkMode: "none"}, nil, nil, "")
	if err != nil {
		t.Fatalf("create a container of %s: %v", ref, err)
	}
	defer c.ContainerRemove(ctx, created.ID, container.RemoveOptions{Force: true})
	rc, err := c.ContainerExport(ctx, created.ID)
	if err != nil {
		t.Fatalf("export %s: %v", ref, err)
	}
	defer rc.Close()
	tree, err := listTar(rc, under)
	if err != nil {
		t.Fatalf("export %s: %v", ref, err)
	}
	return tree
}

// TestWholeRootWarning: an image whose whole context is the repository root, .git included,
// is named once by plan and by explain, with the fix; ignoring .git ends the warning, and a
// Dockerfile naming what it copies never reads .git (issue 12, item 2).
func TestWholeRootWarning(t *testing.T) {
	engine(t)
	dir := t.TempDir()
	write(t, filepath.Join(dir, "imagemake.yaml"), "version: 1\nrepo: e2ewarn\ntag: t1\nimages:\n"+
		"  whole:\n    context: .\n    dockerfile: whole/Dockerfile\n    network: none\n"+
		"  named:\n    context: .\n    dockerfile: named/Dockerfile\n    network: none\n", 0o644)
	write(t, filepath.Join(dir, "whole", "Dockerfile"), "FROM scratch\nCOPY . /src/\n", 0o644)
	write(t, filepath.Join(dir, "named", "Dockerfile"), "FROM scratch\nCOPY named/ /src/\n", 0o644)
	r := &repo{t: t, dir: dir, env: map[string]string{"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME")}}
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		r.env["DOCKER_HOST"] = h
	}
	r.git("init", "-q")
	want := `imagemake: warning: image "whole": the whole repository root is its context and .git is not ignored (line 2: COPY .): every commit rebuilds it; add .git to .dockerignore`
	for _, cmd := range [][]string{{"plan"}, {"explain", "whole"}} {
		_, _, errOut := r.run(cmd...)
		if n := strings.Count(errOut, want); n != 1 {
			t.Errorf("%v: the warning %d times, want once; stderr:\n%s", cmd, n, errOut)
		}
		if strings.Contains(errOut, `image "named"`) {
			t.Errorf("%v warns about named, which reads only named/:\n%s", cmd, errOut)
		}
	}
	write(t, filepath.Join(dir, ".dockerignore"), ".git\n", 0o644)
	if _, _, errOut := r.run("plan"); strings.Contains(errOut, ".git is not ignored") {
		t.Errorf("plan warns with .git in .dockerignore:\n%s", errOut)
	}
}
