package e2e

import (
	"bufio"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/imagemake/imagemake/internal/registry/registrytest"
)

// event is one line of `--output json`.
type event struct{ Event, Image, Line, Status, Reason string }

func events(t *testing.T, out string) []event {
	t.Helper()
	var evs []event
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		evs = append(evs, e)
	}
	return evs
}

// bkRepo is the example monorepo whose refs name the test registry.
func bkRepo(t *testing.T, registryAddr string) *repo {
	r := newRepo(t, "monorepo")
	r.env["DOCKER_REPO"] = registryAddr + "/" + r.prefix
	return r
}

// builderArgs are --builder flags for the daemons.
func builderArgs(daemons ...*bkDaemon) []string {
	var args []string
	for _, d := range daemons {
		args = append(args, "--builder", d.addr)
	}
	return args
}

// TestBuildKitPool builds the example monorepo on two BuildKit daemons: each image once, on
// both daemons, every dependent after its base is in the registry; the same run again reuses
// everything from the registry.
func TestBuildKitPool(t *testing.T) {
	addr := registrytest.Start(t, registrytest.Options{})
	a, b := startBuildkitd(t, addr), startBuildkitd(t, addr)
	r := bkRepo(t, addr)
	r.removeImages() // nothing of this run in the engine: the registry is the truth
	args := append([]string{"build", "--output", "json", "--push", "-j", "1"}, builderArgs(a, b)...)
	code, out, errOut := r.run(args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	evs := events(t, out)
	if got := statuses(results(t, out)); !reflect.DeepEqual(got, want("built", allImages...)) {
		t.Fatalf("first run: %v\n%s", got, out)
	}
	started, finished, used := map[string]int{}, map[string]int{}, map[string]bool{}
	for i, e := range evs {
		switch e.Event {
		case "start":
			started[e.Image]++
			for _, base := range bases[e.Image] {
				if _, ok := finished[base]; !ok {
					t.Errorf("%s started before %s was pushed", e.Image, base)
				}
			}
		case "result":
			finished[e.Image] = i
		case "log":
			if addr, ok := strings.CutPrefix(e.Line, "builder: "); ok {
				used[addr] = true
			}
		}
	}
	for _, name := range allImages {
		if started[name] != 1 {
			t.Errorf("%s started %d times, want once", name, started[name])
		}
		if !exists(t, r.ref(name)) {
			t.Errorf("%s not in the registry", r.ref(name))
		}
	}
	if !used[a.addr] || !used[b.addr] {
		t.Errorf("builders used: %v, want both %s and %s", used, a.addr, b.addr)
	}

	again := r.build(0, args[3:]...)
	if got := statuses(again); !reflect.DeepEqual(got, want("reused", allImages...)) {
		t.Errorf("second run: %v", again)
	}
}

// bases are the project images each example image is built FROM.
var bases = map[string][]string{"api": {"pybase"}, "worker": {"pybase"}, "notifier": {"pybase"}, "openresty": {"luabase"}}

// TestBuildKitPoolUsage: a pool without --push cannot work and says why.
func TestBuildKitPoolUsage(t *testing.T) {
	r := newRepo(t, "monorepo")
	code, _, errOut := r.run("build", "--builder", "tcp://127.0.0.1:1", "--builder", "tcp://127.0.0.1:2")
	if code != 2 || !strings.Contains(errOut, "needs --push") || !strings.Contains(errOut, "registry") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

