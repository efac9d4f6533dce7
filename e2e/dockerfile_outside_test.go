package e2e

import (
	"archive/tar"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDockerfileOutsideContext builds an image whose Dockerfile sits beside its context
// (agdsn/pycroft's `context: docker/app`, `dockerfile: ../app.Dockerfile`) and proves it the
// same as `docker build -f docker/app.Dockerfile docker/app`: `COPY . /app` copies neither the
// Dockerfile nor the folder imagemake keeps it under, and the Dockerfile's own ignore file wins
// over the context's. An edit of the Dockerfile makes the image stale.
func TestDockerfileOutsideContext(t *testing.T) {
	r, files := dockerfileCase(t, "dfout", map[string]string{
		"imagemake.yaml": "version: 1\nrepo: ${DOCKER_REPO}\ntag: ${DOCKER_TAG}\nimages:\n" +
			"  app:\n    context: docker/app\n    dockerfile: ../app.Dockerfile\n    network: none\n",
		"docker/app.Dockerfile":              "FROM scratch\nCOPY . /app\n",
		"docker/app.Dockerfile.dockerignore": "sub/b\n",
		"docker/app/.dockerignore":           "skip\n",
		"docker/app/a":                       "a\n",
		"docker/app/sub/b":                   "b\n",
		"docker/app/skip":                    "not skipped: the Dockerfile's own ignore file wins\n",
	}, "docker/app.Dockerfile", "docker/app")
	for _, p := range []string{"app/a", "app/skip", "app/e2e-run-id", "app/.dockerignore", "app/sub"} {
		if _, ok := files[p]; !ok {
			t.Errorf("no %s in the image of docker build", p)
		}
	}
	for _, p := range []string{"app/sub/b", "app/.imagemake-dockerfile", "app/app.Dockerfile"} {
		if _, ok := files[p]; ok {
			t.Errorf("%s in the image of docker build, want it absent", p)
		}
	}

	if names := contextTar(t, r, "app"); !slices.Contains(names, ".imagemake-dockerfile/app.Dockerfile") ||
		!slices.Contains(names, ".imagemake-dockerfile/app.Dockerfile.dockerignore") {
		t.Errorf("imagemake context app: %q, want the Dockerfile and its ignore file under .imagemake-dockerfile/", names)
	}

	r.planUpToDate("after the build")
	write(t, filepath.Join(r.dir, "docker", "app.Dockerfile"), "FROM scratch\nCOPY . /srv\n", 0o644)
	if got := r.plan(1)["app"]; got.Status != "stale" {
		t.Errorf("app after an edit of its Dockerfile: %+v, want stale", got)
	}
}

// contextTar returns the names in the tar `imagemake context IMAGE` writes.
func contextTar(t *testing.T, r *repo, image string) []string {
	t.Helper()
	code, out, errOut := r.run("context", image)
	if code != 0 {
		t.Fatalf("imagemake context %s: exit %d\n%s", image, code, errOut)
	}
	var names []string
	tr := tar.NewReader(strings.NewReader(out))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatalf("imagemake context %s: %v", image, err)
		}
		names = append(names, strings.TrimSuffix(h.Name, "/"))
	}
}

// TestDockerfileExcludedByIgnore: a .dockerignore that excludes the Dockerfile (and its folder)
// leaves them out of what `COPY . .` copies, as docker build does, though the build reads the
// Dockerfile.
func TestDockerfileExcludedByIgnore(t *testing.T) {
	_, files := dockerfileCase(t, "dfign", map[string]string{
		"imagemake.yaml": "version: 1\nrepo: ${DOCKER_REPO}\ntag: ${DOCKER_TAG}\nimages:\n" +
			"  app:\n    context: app\n    dockerfile: build/Dockerfile\n    network: none\n",
		"app/build/Dockerfile": "FROM scratch\nCOPY . /x/\n",
		"app/.dockerignore":    "build\n.dockerignore\n",
		"app/a":                "a\n",
	}, "app/build/Dockerfile", "app")
	for _, p := range []string{"x/build", "x/build/Dockerfile", "x/.dockerignore"} {
		if _, ok := files[p]; ok {
			t.Errorf("%s in the image, want it absent: the .dockerignore excludes it", p)
		}
	}
	if _, ok := files["x/a"]; !ok {
		t.Errorf("no x/a in the image")
	}
}

// dockerfileCase writes files (and a run id in ctx) into a new project folder named name, builds
// its image app with imagemake and with `docker build -f dockerfile ctx` (both paths from the
// project folder), and returns the repo and the files of the image, which must be the same for
// both.
func dockerfileCase(t *testing.T, name string, files map[string]string, dockerfile, ctx string) (*repo, ctxTree) {
	t.Helper()
	c := engine(t)
	if _, err := os.Stat(dockerCLI); err != nil {
		t.Skipf("no Docker CLI at %s", dockerCLI)
	}
	prefix := "e2e" + name + randomHex(4)
	dir := filepath.Join(t.TempDir(), name)
	files[ctx+"/e2e-run-id"] = prefix // the run's own digest: built, not reused from an earlier run
	for p, data := range files {
		write(t, filepath.Join(dir, filepath.FromSlash(p)), data, 0o644)
	}
	r := &repo{t: t, dir: dir, prefix: prefix, docker: c, env: map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME"), "DOCKER_REPO": prefix, "DOCKER_TAG": "t1",
	}}
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		r.env["DOCKER_HOST"] = h
	}
	t.Cleanup(r.removeImages)
	if rs := r.build(0); rs["app"].Status != "built" {
		t.Fatalf("app: %+v, want built", rs["app"])
	}
	cliRef := prefix + "/app:cli"
	cmd := exec.Command(dockerCLI, "build", "--network", "none", "-f", filepath.Join(dir, filepath.FromSlash(dockerfile)),
		"-t", cliRef, filepath.Join(dir, filepath.FromSlash(ctx)))
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	return r, assertSameImageFiles(t, c, cliRef, r.ref("app"))
}
