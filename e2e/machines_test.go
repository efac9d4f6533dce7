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

	"github.com/docker/docker/client"

	"github.com/imagemake/imagemake/internal/registry/registrytest"
)

// engineBDefault is where scripts/engine2.sh starts the second engine.
const engineBDefault = "unix:///var/run/other.sock"

// engineB returns the address of the second engine, the other machine of the two-machine tests
// ($IMAGEMAKE_ENGINE_B, which scripts/engine2.sh sets, else its default socket), and a client
// of it. With IMAGEMAKE_E2E=1 a second engine that does not answer fails the test.
func engineB(t *testing.T) (string, *client.Client) {
	t.Helper()
	addr := os.Getenv("IMAGEMAKE_ENGINE_B")
	if addr == "" {
		addr = engineBDefault
	}
	c, err := client.NewClientWithOpts(client.WithHost(addr), client.WithAPIVersionNegotiation())
	if err == nil {
		_, err = c.Ping(context.Background())
	}
	if err != nil {
		if os.Getenv("IMAGEMAKE_E2E") == "1" {
			t.Fatalf("IMAGEMAKE_E2E=1 but the second engine at %s does not answer (scripts/engine2.sh starts it): %v", addr, err)
		}
		t.Skipf("no second engine at %s (scripts/engine2.sh starts it; IMAGEMAKE_E2E=1 makes this a failure): %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return addr, c
}

// cloneOn is a fresh clone of origin on the engine at host, as a CI job gets it: no images of
// the project, no stat cache, CI=true so the tag is the commit's short hash. Its images are
// removed from that engine when t (the whole story, not a step) ends.
func cloneOn(t *testing.T, origin *repo, host string, docker *client.Client) *repo {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "clone")
	git(t, filepath.Dir(dir), "clone", "-q", origin.dir, dir)
	write(t, filepath.Join(dir, "third_party/busybox"), readFile(t, "/bin/busybox"), 0o755) // .gitignore'd
	r := &repo{t: t, dir: dir, prefix: origin.prefix, docker: docker, env: map[string]string{
		"PATH": origin.env["PATH"], "HOME": origin.env["HOME"], "DOCKER_REPO": origin.env["DOCKER_REPO"],
		"CI": "true", "DOCKER_HOST": host}}
	t.Cleanup(r.removeImages)
	return r
}

// tagged is the ref of name under tag.
func (r *repo) tagged(name, tag string) string { return r.env["DOCKER_REPO"] + "/" + name + ":" + tag }

// holds tells whether r's engine holds ref, and with which inputs label.
func (r *repo) holds(ref string) (bool, string) {
	img, err := r.docker.ImageInspect(context.Background(), ref)
	if err != nil {
		return false, ""
	}
	return true, img.Config.Labels["imagemake.inputs"]
}

type planned struct{ Name, Status, Reason, Inputs string }

// planJSON runs `imagemake plan --format json` and returns its images by name.
func (r *repo) planJSON() map[string]planned {
	r.t.Helper()
	code, out, errOut := r.run("plan", "--format", "json")
	if code != 0 {
		r.t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
	}
	var doc struct{ Images []planned }
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		r.t.Fatalf("plan --format json: %v\n%s", err, out)
	}
	m := map[string]planned{}
	for _, p := range doc.Images {
		m[p.Name] = p
	}
	return m
}

// jsonEvents are the JSON events of out, lines that are not JSON (a task's output) skipped: the
// results by image, and each image's log lines.
func jsonEvents(out string) (map[string]result, map[string][]string) {
	res, logs := map[string]result{}, map[string][]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e struct{ Event, Image, Status, Reason, Line string }
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		switch e.Event {
		case "result":
			res[e.Image] = result{e.Status, e.Reason}
		case "log":
			logs[e.Image] = append(logs[e.Image], e.Line)
		}
	}
	return res, logs
}

// pylibImages are the images that include the shared folder src/pylib: pybase, and the images
// built FROM it.
var pylibImages = []string{"api", "notifier", "pybase", "worker"}

// TestMachines is issue 14's story on two engines with the registry between them: CI builds
// commit 1 on engine A and pushes; CI builds commit 2 (a change to the shared folder src/pylib)
// on engine B from a fresh clone; a test job on engine B runs a task on commit 2's images; a
// job on engine B pulls what it lacks; a developer on engine A brings commit 2 with a local
// edit up to date. Each step checks what was built, reused, pulled and pushed, from the JSON
// results and the engines' image lists.
func TestMachines(t *testing.T) {
	hostB, dockerB := engineB(t)
	addr := registrytest.Start(t, registrytest.Options{})
	a := newRepo(t, "monorepo") // engine A: the engine of DOCKER_HOST, as the process has it
	a.env["DOCKER_REPO"] = addr + "/" + a.prefix
	delete(a.env, "DOCKER_TAG")
	a.env["CI"] = "true"
	git(t, a.dir, "init", "-q", "-b", "main")
	git(t, a.dir, "add", "-A")
	git(t, a.dir, "commit", "-q", "-m", "first")
	c1 := git(t, a.dir, "rev-parse", "--short=12", "HEAD")
	story := t
	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow() // each step starts from what the one before left
		}
	}

	step("CI_commit_1_on_engine_A", func(t *testing.T) {
		a.t = t
		if got := statuses(a.build(0, "--push")); !reflect.DeepEqual(got, want("built", allImages...)) {
			t.Fatalf("commit 1: %v, want every image built", got)
		}
		for name, p := range a.planJSON() {
			inputsTag := a.tagged(name, "in-"+strings.TrimPrefix(p.Inputs, "sha256:")[:16])
			if !exists(t, a.tagged(name, c1)) || !exists(t, inputsTag) {
				t.Errorf("%s: %s or its inputs tag %s not pushed", name, a.tagged(name, c1), inputsTag)
			}
		}
	})

	write(t, filepath.Join(a.dir, "src/pylib/acme/release.py"), "RELEASE = 2\n", 0o644)
	git(t, a.dir, "add", "-A")
	git(t, a.dir, "commit", "-q", "-m", "second: a module in the shared src/pylib")
	c2 := git(t, a.dir, "rev-parse", "--short=12", "HEAD")

	step("CI_commit_2_on_engine_B", func(t *testing.T) {
		b := cloneOn(story, a, hostB, dockerB)
		b.t = t
		got := b.build(0, "--push")
		wantStatus := want("built", pylibImages...)
		wantStatus["luabase"], wantStatus["openresty"] = "reused", "reused"
		if !reflect.DeepEqual(statuses(got), wantStatus) {
			t.Fatalf("commit 2 on engine B: %v, want %v", got, wantStatus)
		}
		for _, name := range allImages {
			if !exists(t, b.tagged(name, c2)) {
				t.Errorf("%s not in the registry", b.tagged(name, c2))
			}
			held, _ := b.holds(b.tagged(name, c2))
			if built := got[name].Status == "built"; held != built {
				t.Errorf("engine B holds %s: %v; want %v (built images are loaded, reused ones only retagged in the registry)", b.tagged(name, c2), held, built)
			}
		}
		// Reused by retagging, not pulled: plan says so, and push agrees without sending a layer.
		p := b.planJSON()
		for _, name := range []string{"luabase", "openresty"} {
			if p[name].Status != "in-registry" || !strings.HasPrefix(p[name].Reason, "up to date in the registry as ") {
				t.Errorf("plan on engine B, %s: %+v; want in-registry", name, p[name])
			}
		}
		if code, out, errOut := b.run("plan", "--check"); code != 0 {
			t.Errorf("plan --check on engine B after build --push: exit %d\n%s\n%s", code, out, errOut)
		}
		code, out, errOut := b.run("push", "--format", "json")
		res, _ := jsonEvents(out)
		if code != 0 || res["openresty"].Status != "reused" || res["api"].Status != "up-to-date" {
			t.Errorf("push on engine B: exit %d, %v\n%s", code, res, errOut)
		}
		if held, _ := b.holds(b.tagged("openresty", c2)); held {
			t.Errorf("push pulled %s", b.tagged("openresty", c2))
		}
	})

	step("test_job_on_engine_B", func(t *testing.T) {
		b := cloneOn(story, a, hostB, dockerB) // another job: a fresh clone, the same engine
		b.t = t
		code, out, errOut := b.run("run", "test", "--format", "json")
		if code != 0 {
			t.Fatalf("run test on engine B: exit %d\n%s\n%s", code, out, errOut)
		}
		res, _ := jsonEvents(out)
		wantStatus := map[string]string{"api": "up-to-date", "worker": "up-to-date", "notifier": "up-to-date",
			"pybase": "up-to-date", "openresty": "reused", "luabase": "up-to-date"}
		if !reflect.DeepEqual(statuses(res), wantStatus) {
			t.Fatalf("run test on engine B: %v, want %v (openresty pulled, nothing built)", res, wantStatus)
		}
		if !strings.Contains(res["luabase"].Reason, "not pulled") {
			t.Errorf("luabase, which nothing built on: %+v; want left in the registry", res["luabase"])
		}
		if !strings.Contains(out, "api ") || !strings.Contains(out, ": ok") {
			t.Errorf("the task's output is missing:\n%s", out)
		}
		p := b.planJSON()
		for _, name := range []string{"api", "worker", "notifier", "openresty"} {
			held, inputs := b.holds(b.tagged(name, c2))
			if !held || inputs != p[name].Inputs || p[name].Status != "up-to-date" {
				t.Errorf("engine B, %s: held %v with inputs %s, plan %+v; want commit 2's image", name, held, inputs, p[name])
			}
		}
		if held, _ := b.holds(b.tagged("luabase", c2)); held {
			t.Errorf("luabase was pulled though the task needs only what is built on it")
		}
	})

	step("pull_on_engine_B", func(t *testing.T) {
		b := cloneOn(story, a, hostB, dockerB) // a job that runs docker compose itself
		b.t = t
		code, out, errOut := b.run("pull", "--format", "json")
		res, _ := jsonEvents(out)
		if code != 0 || !reflect.DeepEqual(statuses(res), want("reused", "luabase")) {
			t.Fatalf("pull on engine B: exit %d, %v, want only luabase pulled\n%s", code, res, errOut)
		}
		for name, p := range b.planJSON() {
			if held, inputs := b.holds(b.tagged(name, c2)); !held || inputs != p.Inputs || p.Status != "up-to-date" {
				t.Errorf("after pull, %s: held %v with inputs %s, plan %+v", name, held, inputs, p)
			}
		}
	})

	step("developer_on_engine_A", func(t *testing.T) {
		a.t = t
		delete(a.env, "CI") // a laptop: the tag is DOCKER_TAG's default, development
		write(t, filepath.Join(a.dir, "services/worker/main.py"), readFile(t, filepath.Join(a.dir, "services/worker/main.py"))+"# a local edit\n", 0o644)
		code, out, errOut := a.run("build", "--format", "json")
		if code != 0 {
			t.Fatalf("developer build: exit %d\n%s\n%s", code, out, errOut)
		}
		res, logs := jsonEvents(out)
		wantStatus := want("reused", "api", "luabase", "notifier", "openresty", "pybase")
		wantStatus["worker"] = "built"
		if !reflect.DeepEqual(statuses(res), wantStatus) {
			t.Fatalf("developer build: %v, want %v", res, wantStatus)
		}
		cache := a.tagged("worker", c2)
		if !contains(logs["worker"], "cache from "+cache) {
			t.Errorf("worker did not take its cache from %s: %q", cache, logs["worker"])
		}
		for _, name := range []string{"pybase", "api", "notifier"} { // commit 2's, from the registry
			if !strings.HasPrefix(res[name].Reason, "inputs found in registry as "+a.tagged(name, "in-")) {
				t.Errorf("%s: %+v; want pulled from its inputs tag", name, res[name])
			}
		}
		for name, p := range a.planJSON() {
			if p.Status != "up-to-date" {
				t.Errorf("plan after the developer's build: %s %+v", name, p)
			}
		}
	})
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// TestPlanRegistryUnreachable: plan asks the registry only about the images the engine lacks,
// and a registry it cannot reach is a warning, not a failure: those images stay stale.
func TestPlanRegistryUnreachable(t *testing.T) {
	r := newRepo(t, "monorepo")
	r.env["DOCKER_REPO"] = "127.0.0.1:1/" + r.prefix // nothing listens on port 1
	code, out, errOut := r.run("plan", "--format", "json")
	var doc struct {
		Images        []planned
		RegistryError string `json:"registry_error"`
	}
	if err := json.Unmarshal([]byte(out), &doc); code != 0 || err != nil || !strings.Contains(doc.RegistryError, "127.0.0.1:1") {
		t.Fatalf("plan --format json, registry unreachable: exit %d, %v, registry_error %q\n%s\n%s", code, err, doc.RegistryError, out, errOut)
	}
	for _, p := range doc.Images {
		if p.Status != "stale" {
			t.Errorf("%s: %+v, want stale", p.Name, p)
		}
	}
	code, _, errOut = r.run("plan", "--check")
	if code != 1 || !strings.Contains(errOut, "imagemake: registry unreachable, images the engine lacks are shown stale: ") {
		t.Errorf("plan --check, registry unreachable: exit %d, want 1 and a warning\n%s", code, errOut)
	}
}
