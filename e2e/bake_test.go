package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// bakeRepo copies testdata/bake/<name> with busybox in base/ and a run id of its own (so no
// image of another run has the same inputs), its images removed at the end.
func bakeRepo(t *testing.T, name string) *repo {
	t.Helper()
	c := engine(t)
	dir := filepath.Join(t.TempDir(), name)
	copyTree(t, filepath.Join("testdata", "bake", name), dir)
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatalf("busybox-static is needed: %v", err)
	}
	prefix := "e2e" + randomHex(4)
	write(t, filepath.Join(dir, "base", "busybox"), string(bb), 0o755)
	write(t, filepath.Join(dir, "base", "run-id"), prefix, 0o644)
	r := &repo{t: t, dir: dir, prefix: prefix, docker: c, env: map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME"), "DOCKER_REPO": prefix, "DOCKER_TAG": "t1",
	}}
	t.Cleanup(r.removeImages)
	return r
}

// TestBakeArgsStyle builds a bake file on the engine as it builds today without named contexts:
// the service says FROM ${REPO}/base:${TAG}, the target passes REPO and TAG as args, and the
// refs are the targets' tags with the variables from the environment. The base is built first,
// and a second build builds nothing.
func TestBakeArgsStyle(t *testing.T) {
	r := bakeRepo(t, "args")
	r.env["REPO"], r.env["TAG"] = r.prefix, "t1"
	code, out, errOut := r.run("build", "--output", "json")
	if code != 0 {
		t.Fatalf("build: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if got := statuses(results(t, out)); !reflect.DeepEqual(got, map[string]string{"api": "built", "base": "built"}) {
		t.Fatalf("first build: %v\n%s", got, out)
	}
	assertAfter(t, out, "base", "api")
	if _, err := r.docker.ImageInspect(context.Background(), r.prefix+"/api:t1"); err != nil {
		t.Errorf("api not in the engine under its bake tag: %v", err)
	}
	if got := statuses(r.build(0)); !reflect.DeepEqual(got, map[string]string{"api": "up-to-date", "base": "up-to-date"}) {
		t.Errorf("second build: %v", got)
	}
}

// TestBakeNamedContexts builds the shape bake users write: every service FROM base through
// contexts = {base = "target:base"}, a folder as another named context, and what the services
// share in a template target. The services depend on base (ls), wait for it, carry the bake
// file's labels and args, and a field imagemake does not carry over is named in a warning with
// the line of the template that sets it.
func TestBakeNamedContexts(t *testing.T) {
	r := bakeRepo(t, "contexts")
	code, out, errOut := r.run("ls", "--json")
	if code != 0 {
		t.Fatalf("ls: exit %d\n%s", code, errOut)
	}
	var ls struct {
		Images []struct {
			Name      string
			DependsOn []string `json:"depends_on"`
		}
		Groups map[string][]string
	}
	if err := json.Unmarshal([]byte(out), &ls); err != nil {
		t.Fatalf("ls --json: %v\n%s", err, out)
	}
	deps := map[string][]string{}
	for _, img := range ls.Images {
		if len(img.DependsOn) > 0 {
			deps[img.Name] = img.DependsOn
		}
	}
	if want := map[string][]string{"api": {"base"}, "worker": {"base"}}; len(ls.Images) != 3 || !reflect.DeepEqual(deps, want) {
		t.Errorf("%d images, dependencies %v; want base, api and worker, dependencies %v", len(ls.Images), deps, want)
	}
	if got := ls.Groups["services"]; !reflect.DeepEqual(got, []string{"api", "worker"}) {
		t.Errorf("group services = %v, want the bake group", got)
	}

	code, out, errOut = r.run("build", "--output", "json", "services")
	if code != 0 {
		t.Fatalf("build: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	warning := "imagemake: warning: target.api.cache-to in docker-bake.hcl:17 (inherited from target _service) is not supported by imagemake and was ignored"
	if !strings.Contains(errOut, warning) {
		t.Errorf("stderr:\n%s\nwant the line %q", errOut, warning)
	}
	want := map[string]string{"api": "built", "base": "built", "worker": "built"}
	if got := statuses(results(t, out)); !reflect.DeepEqual(got, want) {
		t.Fatalf("first build: %v\n%s", got, out)
	}
	assertAfter(t, out, "base", "api")
	assertAfter(t, out, "base", "worker")
	img, err := r.docker.ImageInspect(context.Background(), r.prefix+"/api:t1")
	if err != nil {
		t.Fatal(err)
	}
	if img.Config.Labels["org.example.service"] != "api" {
		t.Errorf("api labels %v: want org.example.service=api from the bake file", img.Config.Labels)
	}
	for k := range want {
		want[k] = "up-to-date"
	}
	if got := statuses(r.build(0)); !reflect.DeepEqual(got, want) {
		t.Errorf("second build: %v", got)
	}
}

// assertAfter checks that image after starts only once image before has its result.
func assertAfter(t *testing.T, out, before, after string) {
	t.Helper()
	done, start := -1, -1
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for i := 0; sc.Scan(); i++ {
		var e struct{ Event, Image string }
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		switch {
		case e.Event == "result" && e.Image == before && done < 0:
			done = i
		case e.Event == "start" && e.Image == after && start < 0:
			start = i
		}
	}
	if done < 0 || start < 0 || done > start {
		t.Fatalf("%s result at line %d, %s start at line %d: %s must start after %s is built\n%s", before, done, after, start, after, before, out)
	}
}
