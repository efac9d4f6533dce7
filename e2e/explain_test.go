package e2e

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/imagemake/imagemake/internal/registry/registrytest"
)

// TestExplainOnTheEngine: after a build pushed to a registry and one changed file, explain
// names the change, the cache source a build would take (the last commit's image) and puts it
// in the engine request; it builds and records nothing.
func TestExplainOnTheEngine(t *testing.T) {
	addr := registrytest.Start(t, registrytest.Options{})
	r := newRepo(t, "monorepo")
	r.env["DOCKER_REPO"] = addr + "/" + r.prefix
	git(t, r.dir, "init", "-q", "-b", "main")
	git(t, r.dir, "add", "-A")
	git(t, r.dir, "commit", "-q", "-m", "first")
	first := git(t, r.dir, "rev-parse", "--short=12", "HEAD")
	delete(r.env, "DOCKER_TAG")
	r.env["CI"] = "true"
	r.build(0, "--push")
	write(t, filepath.Join(r.dir, "services/api/main.py"), "print('changed')\n", 0o644)

	last := filepath.Join(r.dir, ".imagemake", "manifests", "api", "last")
	before := readFile(t, last)
	var e struct {
		Status    string
		Changes   []struct{ What, Name, How string }
		CacheFrom string `json:"cache_from"`
		Request   struct {
			CacheImports []string `json:"cache_imports"`
		}
		Command string
	}
	for range 2 { // the same answer twice: explain records nothing
		code, out, errOut := r.run("explain", "api", "--json")
		if code != 0 {
			t.Fatalf("explain: exit %d\n%s", code, errOut)
		}
		if err := json.Unmarshal([]byte(out), &e); err != nil {
			t.Fatal(err)
		}
	}
	if e.Status != "stale" || len(e.Changes) != 1 || e.Changes[0].Name != "services/api/main.py" || e.Changes[0].How != "changed" {
		t.Errorf("status %s, changes %+v", e.Status, e.Changes)
	}
	wantCache := r.env["DOCKER_REPO"] + "/api:" + first
	if e.CacheFrom != wantCache {
		t.Errorf("cache from %q, want %q", e.CacheFrom, wantCache)
	}
	if got := e.Request.CacheImports; !slices.Equal(got, []string{"type=registry,ref=" + wantCache}) {
		t.Errorf("request cache imports %q", got)
	}
	if !strings.Contains(e.Command, "--cache-from "+wantCache) {
		t.Errorf("command %q", e.Command)
	}
	if after := readFile(t, last); after != before {
		t.Errorf("explain changed the last seen inputs of api: %s to %s", before, after)
	}
}
