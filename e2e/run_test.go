package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// addTasks appends tasks to the example's imagemake.yaml (which ends with its tasks: section).
func addTasks(t *testing.T, r *repo, yaml string) {
	t.Helper()
	cfg := filepath.Join(r.dir, "imagemake.yaml")
	write(t, cfg, readFile(t, cfg)+yaml, 0o644)
}

func TestRunTaskWithBuiltImage(t *testing.T) {
	r := newRepo(t, "monorepo")
	code, out, errOut := r.run("run", "smoke", "--output", "json")
	if code != 0 || !strings.Contains(out, "1.0.0\n") {
		t.Fatalf("run smoke: exit %d\n%s\n%s", code, out, errOut)
	}
	if got := results(t, strings.Split(out, "1.0.0")[0]); got["api"].Status != "built" || got["pybase"].Status != "built" {
		t.Errorf("smoke should build what it needs first: %v", got)
	}
}

func TestRunTaskExitCodeOrderAndArgs(t *testing.T) {
	r := newRepo(t, "monorepo")
	log := filepath.Join(r.dir, "order.log")
	addTasks(t, r, `
  prepare:
    needs: [luabase]
    run: echo prepare >> order.log
  check:
    needs: [prepare, python]
    run: echo "check $$MODE $$IMAGEMAKE_IMAGE_WORKER" >> order.log; echo args >> order.log
    env: {MODE: strict}
  all:
    needs: [prepare, check]
    run: echo all >> order.log
  failing:
    needs: [api]
    run: docker run --rm --network none "$${IMAGEMAKE_IMAGE_API}" /bin/busybox sh -c 'exit 4'
`)
	if code, out, errOut := r.run("run", "all", "--output", "json"); code != 0 {
		t.Fatalf("run all: exit %d\n%s\n%s", code, out, errOut)
	}
	want := "prepare\ncheck strict " + r.ref("worker") + "\nargs\nall\n"
	if got := readFile(t, log); got != want {
		t.Errorf("order.log:\n%q\nwant\n%q", got, want)
	}
	os.Remove(log)
	if code, out, errOut := r.run("run", "check", "--output", "json", "--", "-k", "it's"); code != 0 {
		t.Fatalf("run check: exit %d\n%s\n%s", code, out, errOut)
	}
	if got := readFile(t, log); !strings.Contains(got, "args -k it's\n") { // appended, quoted
		t.Errorf("arguments after -- did not reach the task: %q", got)
	}
	code, out, errOut := r.run("run", "failing", "--output", "json")
	if code != 4 || !strings.Contains(errOut, "task failing failed with exit code 4") {
		t.Fatalf("failing task: exit %d, want 4\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := r.run("run", "nope"); code != 2 || !strings.Contains(errOut, `no task named "nope"`) {
		t.Fatalf("unknown task: exit %d %s", code, errOut)
	}
}

func TestInterruptReachesTheTask(t *testing.T) {
	r := newRepo(t, "monorepo")
	marker := filepath.Join(r.dir, "trap.log")
	// A shell whose SIGINT was ignored when it started (as under some CI runners) cannot trap
	// it: then the task ends through the SIGKILL that follows; otherwise through the trap.
	addTasks(t, r, `
  wait:
    run: trap 'echo interrupted > trap.log; exit 5' INT; sleep 30 & wait
`)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(time.Second, cancel)
	start := time.Now()
	code, out, errOut := r.runCtx(ctx, "run", "wait")
	if code != 130 || time.Since(start) > 15*time.Second {
		t.Fatalf("interrupted task: exit %d after %v\n%s\n%s", code, time.Since(start), out, errOut)
	}
	if got, err := os.ReadFile(marker); err == nil && string(got) != "interrupted\n" {
		t.Errorf("trap.log: %q", got)
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cwd")
	for _, p := range procs {
		if cwd, _ := os.Readlink(p); cwd == r.dir {
			t.Errorf("a process of the task (%s) survived the interrupt", filepath.Dir(p))
		}
	}
}
