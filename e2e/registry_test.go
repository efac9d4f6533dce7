package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"

	"github.com/imagemake/imagemake/internal/registry"
	"github.com/imagemake/imagemake/internal/registry/registrytest"
)

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// exists tells whether the registry holds ref.
func exists(t *testing.T, ref string) bool {
	t.Helper()
	f, err := registry.New().Lookup(context.Background(), ref)
	if err != nil {
		t.Fatalf("lookup %s: %v", ref, err)
	}
	return f != nil
}

// TestCIStory is issue 4's story: machine A builds and pushes; a fresh clone on a machine with
// no images and no stat cache reuses everything under a new tag without pulling; one changed
// file rebuilds exactly its image, with the previous commit's build as cache.
func TestCIStory(t *testing.T) {
	addr := registrytest.Start(t, registrytest.Options{})
	a := newRepo(t, "monorepo")
	a.env["DOCKER_REPO"] = addr + "/" + a.prefix
	git(t, a.dir, "init", "-q", "-b", "main")
	git(t, a.dir, "add", "-A")
	git(t, a.dir, "commit", "-q", "-m", "first")
	first := git(t, a.dir, "rev-parse", "--short=12", "HEAD")
	delete(a.env, "DOCKER_TAG")
	a.env["CI"] = "true" // the tag is the commit's short hash

	if got := a.build(0, "--push"); !reflect.DeepEqual(statuses(got), want("built", allImages...)) {
		t.Fatalf("machine A: %v", got)
	}
	for _, name := range allImages {
		if !exists(t, a.env["DOCKER_REPO"]+"/"+name+":"+first) {
			t.Errorf("%s:%s not pushed", name, first)
		}
	}

	// Machine B: a fresh clone, an engine without these images, a new tag.
	b := *a
	b.dir = filepath.Join(t.TempDir(), "clone")
	git(t, filepath.Dir(b.dir), "clone", "-q", a.dir, b.dir)
	write(t, filepath.Join(b.dir, "third_party/busybox"), readFile(t, "/bin/busybox"), 0o755)
	a.removeImages()
	b.env = map[string]string{"PATH": a.env["PATH"], "HOME": a.env["HOME"], "DOCKER_REPO": a.env["DOCKER_REPO"], "DOCKER_TAG": "t2"}
	got := b.build(0, "--push")
	if !reflect.DeepEqual(statuses(got), want("reused", allImages...)) {
		t.Fatalf("fresh clone with a new tag: %v", got)
	}
	if !strings.HasPrefix(got["api"].Reason, "inputs found in registry as "+a.env["DOCKER_REPO"]+"/api:in-") {
		t.Errorf("api reason %q", got["api"].Reason)
	}
	for _, name := range allImages {
		if !exists(t, b.ref(name)) {
			t.Errorf("%s not tagged in the registry", b.ref(name))
		}
		if _, err := b.docker.ImageInspect(context.Background(), b.ref(name)); err == nil {
			t.Errorf("%s was pulled into the engine; reuse with --push must not pull", b.ref(name))
		}
	}

	// One change on a new commit: only openresty builds, with the first commit's image as cache.
	write(t, filepath.Join(b.dir, "conf/nginx/nginx.conf"), "worker_processes 2;\n", 0o644)
	git(t, b.dir, "commit", "-q", "-am", "two workers")
	delete(b.env, "DOCKER_TAG")
	b.env["CI"] = "true"
	code, out, errOut := b.run("build", "--push", "--output", "line")
	if code != 0 {
		t.Fatalf("after one change: exit %d\n%s\n%s", code, out, errOut)
	}
	cache := a.env["DOCKER_REPO"] + "/openresty:" + first
	for _, wantLine := range []string{"openresty | cache from " + cache, "importing cache manifest from " + cache, "CACHED", "openresty  built"} {
		if !strings.Contains(out, wantLine) {
			t.Errorf("output lacks %q:\n%s", wantLine, out)
		}
	}
	for _, name := range []string{"api", "worker", "notifier", "pybase", "luabase"} {
		if !strings.Contains(out, name+" ") || strings.Contains(out, name+" | building") {
			t.Errorf("%s should not build after a conf/nginx change:\n%s", name, out)
		}
	}
	if list, _ := b.docker.ImageList(context.Background(), image.ListOptions{}); len(list) == 0 {
		t.Error("engine lists no images")
	}
}

func TestRegistryErrorIsNotNotFound(t *testing.T) {
	r := newRepo(t, "monorepo")
	r.env["DOCKER_REPO"] = "127.0.0.1:1/" + r.prefix // nothing listens on port 1
	code, out, errOut := r.run("build", "--output", "json")
	if code != 1 || !strings.Contains(errOut, "127.0.0.1:1") {
		t.Fatalf("unreachable registry: exit %d\n%s\n%s", code, out, errOut)
	}
	if got := r.build(0, "--no-reuse"); got["api"].Status != "built" {
		t.Fatalf("--no-reuse should build without the registry: %v", got)
	}
}

func TestPushCommand(t *testing.T) {
	addr := registrytest.Start(t, registrytest.Options{})
	r := newRepo(t, "monorepo")
	r.env["DOCKER_REPO"] = addr + "/" + r.prefix
	code, _, errOut := r.run("push")
	if code != 1 || !strings.Contains(errOut, "not up to date, build first: pybase (never built)") {
		t.Fatalf("push before build: exit %d, %s", code, errOut)
	}
	r.build(0)
	if got := r.build(0); !reflect.DeepEqual(statuses(got), want("built")) {
		t.Fatalf("second build: %v", got)
	}
	code, out, errOut := r.run("push", "python", "--output", "line")
	if code != 0 {
		t.Fatalf("push: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, name := range []string{"pybase", "api", "worker"} {
		if !exists(t, r.ref(name)) {
			t.Errorf("%s not pushed", r.ref(name))
		}
	}
	if exists(t, r.ref("luabase")) {
		t.Errorf("luabase pushed though only the python group was named")
	}
}

func TestFailFastPushesNothingAfterFailure(t *testing.T) {
	addr := registrytest.Start(t, registrytest.Options{})
	r := newRepo(t, "monorepo")
	r.env["DOCKER_REPO"] = addr + "/" + r.prefix
	df := filepath.Join(r.dir, "base/py/Dockerfile")
	write(t, df, readFile(t, df)+"RUN exit 7\n", 0o644)
	got := r.build(1, "--push", "-j", "1")
	if got["pybase"].Status != "failed" || got["api"].Status != "skipped" {
		t.Fatalf("statuses: %v", got)
	}
	for name, res := range got {
		if res.Status != "built" && exists(t, r.ref(name)) {
			t.Errorf("%s (%s) was pushed", name, res.Status)
		}
	}
}
