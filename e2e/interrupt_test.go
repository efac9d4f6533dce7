package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const interruptTrials = 30

// interruptProject: a base and three images built on it in parallel, each with steps slow
// enough that a signal can come at any point of the run.
func interruptProject(t *testing.T) *repo {
	step := "RUN sleep 0.1 && cat /trial > /step1\nRUN sleep 0.1 && cp /step1 /step2\n"
	files := map[string]string{
		"imagemake.yaml": "version: 1\nrepo: ${DOCKER_REPO}\ntag: ${DOCKER_TAG}\nimages:\n" +
			"  base:\n    context: base\n    network: none\n",
		"base/busybox":    "busybox",
		"base/Dockerfile": busyboxDockerfile + "COPY trial /trial\n",
	}
	for _, name := range []string{"one", "two", "three"} {
		files["imagemake.yaml"] += fmt.Sprintf("  %s:\n    context: %s\n    network: none\n", name, name)
		files[name+"/Dockerfile"] = "ARG DOCKER_REPO\nARG DOCKER_TAG\nFROM ${DOCKER_REPO}/base:${DOCKER_TAG}\n" + step
	}
	return newProject(t, files)
}

// TestInterruptAtRandomMoments starts the imagemake binary on a parallel build and sends it
// SIGINT, SIGTERM or SIGKILL after a random delay (from its first output line; SIGKILL: from
// its start), 30 times. After each: plan says up to date only for an image the engine holds
// with its current inputs label, and warns of nothing (the stat cache and manifests are
// whole); then a build completes, with --no-wait (the lock of a killed process is free), and
// leaves every image up to date. Each trial changes the base's content, so that every image
// rebuilds.
func TestInterruptAtRandomMoments(t *testing.T) {
	bin := binary(t)
	r := interruptProject(t)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("IMAGEMAKE_INTERRUPT_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d (IMAGEMAKE_INTERRUPT_SEED=%d repeats the delays)", seed, seed)
	signals := []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL}
	exits := map[string]int{}
	for i := range interruptTrials {
		sig := signals[i%len(signals)]
		delay := time.Duration(rng.Int64N(int64(1500 * time.Millisecond)))
		write(t, filepath.Join(r.dir, "base", "trial"), fmt.Sprintf("%s trial %d\n", r.prefix, i), 0o644)
		p := startImagemake(t, bin, r, "build", "--output", "line")
		if sig != syscall.SIGKILL {
			// A signal before the Go runtime has set up imagemake's handler kills it with
			// the default action; the first line comes after that.
			p.waitFor(func(string) bool { return true }, 30*time.Second)
		}
		time.Sleep(delay)
		_ = p.cmd.Process.Signal(sig) // fails only when imagemake is done already
		state, err := p.wait(60 * time.Second)
		if err != nil {
			t.Fatalf("seed %d trial %d (%v after %v): %v\n%s", seed, i, sig, delay, err, p.stderr.String())
		}
		outcome := outcomeOf(state)
		exits[sig.String()+" → "+outcome]++
		if sig != syscall.SIGKILL && outcome != "exit 130" && outcome != "exit 0" {
			t.Errorf("seed %d trial %d: %v after %v: %s, want exit 130 (or 0 when done first)\n%s\n%s",
				seed, i, sig, delay, outcome, p.stdout(), p.stderr.String())
		}
		checkPlanAgainstEngine(t, r, fmt.Sprintf("seed %d trial %d (%v after %v)", seed, i, sig, delay))
		got := r.build(0, "--no-wait") // the lock of a killed imagemake is no longer held
		for name, res := range got {
			if res.Status != "built" && res.Status != "up-to-date" {
				t.Errorf("seed %d trial %d: the build after %v: %s %s (%s)", seed, i, sig, name, res.Status, res.Reason)
			}
		}
		for _, e := range planEntries(t, r) {
			if e.Status != "up-to-date" {
				t.Errorf("seed %d trial %d: after the build %s is %s (%s)", seed, i, e.Name, e.Status, e.Reason)
			}
		}
	}
	t.Logf("%d trials: %v", interruptTrials, exits)
}

func outcomeOf(state *os.ProcessState) string {
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return "killed by " + ws.Signal().String()
	}
	return "exit " + strconv.Itoa(state.ExitCode())
}

// checkPlanAgainstEngine: every image plan calls up to date is in the engine under its ref
// with the label of its current inputs; and plan warns of nothing.
func checkPlanAgainstEngine(t *testing.T, r *repo, trial string) {
	t.Helper()
	code, out, errOut := r.run("plan", "--json")
	if code != 0 || strings.Contains(errOut, "warning") {
		t.Fatalf("%s: plan exit %d\n%s\n%s", trial, code, out, errOut)
	}
	for _, e := range decodePlan(t, out) {
		if e.Status != "up-to-date" {
			continue
		}
		img, err := r.docker.ImageInspect(context.Background(), e.Ref)
		if err != nil {
			t.Errorf("%s: plan says %s is up to date, but the engine has no %s: %v", trial, e.Name, e.Ref, err)
			continue
		}
		if label := img.Config.Labels["imagemake.inputs"]; label != e.Inputs {
			t.Errorf("%s: plan says %s is up to date with inputs %s, but %s has the label %q", trial, e.Name, e.Inputs, e.Ref, label)
		}
	}
}

func planEntries(t *testing.T, r *repo) []planEntry {
	t.Helper()
	code, out, errOut := r.run("plan", "--json")
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
	}
	return decodePlan(t, out)
}

func decodePlan(t *testing.T, out string) []planEntry {
	t.Helper()
	var p struct{ Images []planEntry }
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("plan --json: %v\n%s", err, out)
	}
	if len(p.Images) == 0 {
		t.Fatalf("plan --json lists no image:\n%s", out)
	}
	return p.Images
}

// TestTwoWritersOfTheStatCache runs two imagemake plan processes at once on the same project,
// each saving the stat cache, 10 times with a changed file in between: no run may find the
// cache corrupt (it would warn), and the plan stays right.
func TestTwoWritersOfTheStatCache(t *testing.T) {
	bin := binary(t)
	files := map[string]string{
		"imagemake.yaml": "version: 1\nrepo: ${DOCKER_REPO}\ntag: ${DOCKER_TAG}\nimages:\n  app:\n    context: app\n",
		"app/Dockerfile": "FROM scratch\nCOPY . /\n",
	}
	for i := range 200 {
		files[fmt.Sprintf("app/src/%03d.txt", i)] = strings.Repeat("x", i)
	}
	r := newProject(t, files)
	for round := range 10 {
		write(t, filepath.Join(r.dir, "app", "src", fmt.Sprintf("%03d.txt", round)), fmt.Sprint("round ", round), 0o644)
		a, b := startImagemake(t, bin, r, "plan"), startImagemake(t, bin, r, "plan")
		for _, p := range []*proc{a, b} {
			state, err := p.wait(60 * time.Second)
			if err != nil || state.ExitCode() != 0 || strings.Contains(p.stderr.String(), "warning") {
				t.Fatalf("round %d: %v %v\n%s\n%s", round, err, state, p.stdout(), p.stderr.String())
			}
		}
	}
	if e := planEntries(t, r); e[0].Status != "stale" || e[0].Reason != "never built" {
		t.Errorf("plan after the rounds: %+v", e[0])
	}
	if _, errOut := r.planImage("app"); strings.Contains(errOut, "warning") {
		t.Errorf("the stat cache is corrupt after two writers:\n%s", errOut)
	}
}
