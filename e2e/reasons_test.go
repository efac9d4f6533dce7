package e2e

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imagemake/imagemake/internal/registry"
	"github.com/imagemake/imagemake/internal/registry/registrytest"
)

// TestReasonsTravel is issue 14's "reasons that travel": CI pushes commit 1 from clone A;
// a fresh clone B (no .imagemake, another tag, an engine without the images) on commit 2, one
// shared file changed, names that file against commit 1's image, in plan and in build, from
// what the registry stored, not "never built".
func TestReasonsTravel(t *testing.T) {
	addr := registrytest.Start(t, registrytest.Options{})
	a := newProject(t, map[string]string{
		"imagemake.yaml": "version: 1\nrepo: ${DOCKER_REPO}\ntag: ${DOCKER_TAG:-dev}\nimages:\n" +
			"  openresty:\n    context: components/openresty\n    include: [src/luamods]\n" +
			"  api:\n    context: services/api\n",
		"components/openresty/Dockerfile": "FROM scratch\nCOPY . /app\n",
		"components/openresty/nginx.conf": "worker_processes 1;\n",
		"src/luamods/http.lua":            "return 1\n",
		"services/api/Dockerfile":         "FROM scratch\nCOPY main.py /app/\n",
		"services/api/main.py":            "print('api')\n",
		".gitignore":                      ".imagemake/\n",
	})
	a.env["DOCKER_REPO"] = addr + "/" + a.prefix
	git(t, a.dir, "init", "-q", "-b", "main")
	git(t, a.dir, "add", "-A")
	git(t, a.dir, "commit", "-q", "-m", "first")
	first := git(t, a.dir, "rev-parse", "--short=12", "HEAD")
	delete(a.env, "DOCKER_TAG")
	a.env["CI"] = "true" // the tag is the commit's short hash
	if got := a.build(0, "--push"); got["openresty"].Status != "built" || got["api"].Status != "built" {
		t.Fatalf("commit 1 on clone A: %v", got)
	}

	b := *a
	b.dir = filepath.Join(t.TempDir(), "clone")
	git(t, filepath.Dir(b.dir), "clone", "-q", a.dir, b.dir)
	a.removeImages() // machine B's engine holds none of them
	b.env = map[string]string{"PATH": a.env["PATH"], "HOME": a.env["HOME"], "DOCKER_REPO": a.env["DOCKER_REPO"], "DOCKER_TAG": "t2"}
	write(t, filepath.Join(b.dir, "src/luamods/http.lua"), "return 2\n", 0o644)
	git(t, b.dir, "commit", "-q", "-am", "http.lua returns 2")

	changed := "file changed: src/luamods/http.lua (since " + first + ")"
	plan := planReasons(t, &b)
	if plan["openresty"] != changed {
		t.Errorf("plan: openresty's reason %q, want %q", plan["openresty"], changed)
	}
	if !strings.HasPrefix(plan["api"], "up to date in the registry") {
		t.Errorf("plan: api's reason %q, want it up to date in the registry (and nothing read for its reason)", plan["api"])
	}
	if ex := explainJSON(t, &b, "openresty"); ex.SeenAt != first || len(ex.Changes) != 1 || ex.Changes[0].Name != "src/luamods/http.lua" {
		t.Errorf("explain openresty: seen at %q, changes %+v; want commit 1's inputs and the one file", ex.SeenAt, ex.Changes)
	}
	got := b.build(0)
	if got["openresty"] != (result{"built", changed}) {
		t.Errorf("build: openresty %+v, want built because %q", got["openresty"], changed)
	}
	if got["api"].Status != "reused" {
		t.Errorf("build: api %+v, want reused", got["api"])
	}

	// Pushed from commit 2, built here or not, each image's inputs are stored at commit 2 too.
	second := git(t, b.dir, "rev-parse", "--short=12", "HEAD")
	b.build(0, "--push")
	for _, name := range []string{"openresty", "api"} {
		ref := a.env["DOCKER_REPO"] + "/" + name + ":" + second + ".inputs"
		if _, err := registry.New().FetchInputs(context.Background(), ref); err != nil {
			t.Errorf("%s: inputs not stored by build --push at commit 2: %v", name, err)
		}
	}
}

// planReasons runs `plan --json` and returns each image's reason, failing on any warning.
func planReasons(t *testing.T, r *repo) map[string]string {
	t.Helper()
	code, out, errOut := r.run("plan", "--json")
	if code != 0 || strings.Contains(errOut, "warning") {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
	}
	var p struct {
		Images []struct{ Name, Reason string }
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("plan --json: %v\n%s", err, out)
	}
	reasons := map[string]string{}
	for _, img := range p.Images {
		reasons[img.Name] = img.Reason
	}
	return reasons
}

type explained struct {
	SeenAt  string `json:"seen_at"`
	Changes []struct{ What, Name, How string }
}

func explainJSON(t *testing.T, r *repo, image string) explained {
	t.Helper()
	code, out, errOut := r.run("explain", image, "--format", "json")
	var e explained
	if err := json.Unmarshal([]byte(out), &e); code != 0 || err != nil {
		t.Fatalf("explain %s: exit %d, %v\n%s\n%s", image, code, err, out, errOut)
	}
	return e
}
