package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/imagemake/imagemake/internal/cli"
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
	args := append([]string{"build", "--output", "json", "--push", "-j", "1"}, builderArgs(a, b)...)
	code, out, errOut := r.run(args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	evs := events(t, out)
	if got := statuses(results(t, out)); !reflect.DeepEqual(got, want("built", allImages...)) {
		t.Fatalf("first run: %v\n%s", got, out)
	}
	started, finished, used, on := map[string]int{}, map[string]int{}, map[string]bool{}, map[string]string{}
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
				used[addr], on[e.Image] = true, addr
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
	if on["api"] != on["pybase"] && on["worker"] != on["pybase"] && on["notifier"] != on["pybase"] {
		t.Errorf("no image built FROM pybase went to pybase's builder (warm cache): %v", on)
	}

	again := r.build(0, args[3:]...)
	if got := statuses(again); !reflect.DeepEqual(got, want("reused", allImages...)) {
		t.Errorf("second run: %v", again)
	}
}

// bases are the project images each example image is built FROM.
var bases = map[string][]string{"api": {"pybase"}, "worker": {"pybase"}, "notifier": {"pybase"}, "openresty": {"luabase"}}

// TestBuildKitPoolUsage: a pool without --push cannot work and says why, nor one builder without
// --push for an image whose base the run builds too, nor a run whose builders all fail to answer.
func TestBuildKitPoolUsage(t *testing.T) {
	r := newRepo(t, "monorepo")
	code, _, errOut := r.run("build", "--builder", "tcp://127.0.0.1:1", "--builder", "tcp://127.0.0.1:2")
	if code != 2 || !strings.Contains(errOut, "needs --push") || !strings.Contains(errOut, "registry") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = r.run("build", "--builder", "tcp://127.0.0.1:1", "api")
	if code != 2 || !strings.Contains(errOut, "images.api: is built on pybase, which this run builds too") || !strings.Contains(errOut, "add --push") {
		t.Errorf("one builder, no --push, base built too: exit %d, stderr %q", code, errOut)
	}
	dead := "tcp://" + freeLoopback(t)
	code, _, errOut = r.run("build", "--push", "--builder", dead)
	if code != 1 || !strings.Contains(errOut, "no builder answers: builder "+dead+" does not answer") {
		t.Errorf("no builder: exit %d, stderr %q", code, errOut)
	}
}

// slowBases makes the base images take a few seconds to build, so a daemon can be killed
// while it builds one.
func slowBases(t *testing.T, r *repo) {
	for _, df := range []string{"base/py/Dockerfile", "base/lua/Dockerfile"} {
		path := filepath.Join(r.dir, df)
		write(t, path, readFile(t, path)+"RUN sleep 3 && echo slow > /tmp/slow\n", 0o644)
	}
}

// lineWatcher collects what is written and calls on with each complete line.
type lineWatcher struct {
	mu  sync.Mutex
	buf bytes.Buffer
	all bytes.Buffer
	on  func(line string)
}

func (w *lineWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all.Write(p)
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil {
			w.buf.WriteString(line)
			return len(p), nil
		}
		w.on(strings.TrimSuffix(line, "\n"))
	}
}

// TestBuildKitDaemonKilled kills one of two daemons while it builds: the run still completes on
// the other, with a warning naming the dead one; a third builder that never answered is left
// out from the start, with a warning too.
func TestBuildKitDaemonKilled(t *testing.T) {
	addr := registrytest.Start(t, registrytest.Options{})
	a, b := startBuildkitd(t, addr), startBuildkitd(t, addr)
	r := bkRepo(t, addr)
	slowBases(t, r)
	var once sync.Once
	out := &lineWatcher{on: func(line string) {
		if strings.Contains(line, `"line":"builder: `+a.addr+`"`) {
			once.Do(func() { go a.stop(syscall.SIGKILL) })
		}
	}}
	var errOut bytes.Buffer
	dead := "tcp://" + freeLoopback(t) // answers nothing from the start: left out with a warning
	args := append([]string{"-C", r.dir, "build", "--output", "json", "--push", "-j", "1", "--builder", dead}, builderArgs(a, b)...)
	code := cli.Run(context.Background(), args, cli.IO{In: strings.NewReader(""), Out: out, Err: &errOut, Env: r.env})
	text := out.all.String()
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, text, errOut.String())
	}
	if got := statuses(results(t, text)); !reflect.DeepEqual(got, want("built", allImages...)) {
		t.Fatalf("%v\n%s", got, text)
	}
	warned := map[string]bool{}
	for _, e := range events(t, text) {
		if e.Event == "message" && strings.Contains(e.Line, "builder "+a.addr+" stopped answering") {
			warned[a.addr] = true
		}
		if e.Event == "message" && strings.Contains(e.Line, "builder "+dead+" does not answer") {
			warned[dead] = true
		}
	}
	if !warned[a.addr] || !warned[dead] {
		t.Errorf("warnings about %s and %s: %v\n%s", a.addr, dead, warned, text)
	}
	for _, name := range allImages {
		if !exists(t, r.ref(name)) {
			t.Errorf("%s not in the registry", r.ref(name))
		}
	}
}

// cached tells whether the plain progress lines show the step named by step as CACHED.
func cached(lines []string, step string) bool {
	for _, l := range lines {
		if id, rest, ok := strings.Cut(l, " "); ok && strings.Contains(rest, step) && slices.Contains(lines, id+" CACHED") {
			return true
		}
	}
	return false
}

// tinyRepo is an empty project of the test, its refs naming the registry at registryAddr, with
// busybox at base/busybox.
func tinyRepo(t *testing.T, registryAddr string) *repo {
	prefix := "e2e" + randomHex(4)
	r := &repo{t: t, dir: t.TempDir(), prefix: prefix, docker: engine(t), env: map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME"), "DOCKER_REPO": registryAddr + "/" + prefix}}
	t.Cleanup(r.removeImages)
	write(t, filepath.Join(r.dir, "base/busybox"), readFile(t, "/bin/busybox"), 0o755)
	return r
}
