package e2e

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/tty")

// TestTTYLiveView runs the imagemake binary in a tmux pane of 100x30 during a real parallel build
// (three images sleeping side by side, one of them failing, one up to date, one skipped) and
// compares the screen at three moments with golden files, times and names masked: while the
// three run, after the failure, and at the end.
func TestTTYLiveView(t *testing.T) {
	r := ttyProject(t)
	if code, out, errOut := r.run("build", "steady"); code != 0 {
		t.Fatalf("building steady: exit %d\n%s%s", code, out, errOut)
	}
	p := startPane(t, r, "", "build", "-k", "-j", "4")
	p.waitFor("three running", func(s string) bool {
		return strings.Contains(s, "3 running") && strings.Count(s, "] RUN /busybox sleep") == 3
	})
	p.golden("running", p.capture())
	p.waitFor("broken failed, slow running", func(s string) bool {
		return strings.Contains(s, "✖ broken") && strings.Contains(s, "– after") && strings.Contains(s, "1 running")
	})
	p.golden("failed", p.capture())
	end := p.waitFor("the end", func(s string) bool { return strings.Contains(s, "\nexit ") })
	p.golden("end", end)
	if colours := p.captureEscapes(); !strings.Contains(colours, "\x1b[32m✔") {
		t.Errorf("no green ✔ in the pane:\n%q", colours)
	}
}

// TestTTYNoColor: with NO_COLOR the live view draws without colours.
func TestTTYNoColor(t *testing.T) {
	r := ttyProject(t)
	p := startPane(t, r, "NO_COLOR=1", "build", "-B", "base")
	p.waitFor("the end", func(s string) bool { return strings.Contains(s, "\nexit 0") })
	screen := p.captureEscapes()
	if !strings.Contains(screen, "✔ base") || !strings.Contains(screen, "1/1 done") {
		t.Fatalf("no live view:\n%s", screen)
	}
	if sgr := regexp.MustCompile(`\x1b\[[0-9;]*m`).FindAllString(screen, -1); len(sgr) > 0 {
		t.Errorf("colours with NO_COLOR: %q in\n%q", sgr, screen)
	}
}

// TestTTYDumb: with TERM=dumb the output is line mode, without cursor movement.
func TestTTYDumb(t *testing.T) {
	r := ttyProject(t)
	p := startPane(t, r, "TERM=dumb", "build", "-B", "base")
	screen := p.waitFor("the end", func(s string) bool { return strings.Contains(s, "\nexit 0") })
	if !strings.Contains(screen, "base | building: ") || !strings.Contains(screen, "base | built in ") {
		t.Errorf("not line output:\n%s", screen)
	}
	if strings.Contains(screen, "1/1 done") || strings.Contains(screen, "✔") {
		t.Errorf("live view with TERM=dumb:\n%s", screen)
	}
}

// ttyProject writes a project of its own: base (content new at each run, so nothing is cached),
// fast, broken and slow built FROM it side by side, after FROM broken, and steady on its own.
func ttyProject(t *testing.T) *repo {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("IMAGEMAKE_E2E") == "1" {
			t.Fatal("IMAGEMAKE_E2E=1 but tmux is missing (scripts/test.sh installs it)")
		}
		t.Skip("tmux is missing")
	}
	c := engine(t)
	dir := t.TempDir()
	prefix := "e2e" + randomHex(4)
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatalf("busybox-static is needed: %v", err)
	}
	for _, ctx := range []string{"base", "steady"} {
		write(t, filepath.Join(dir, ctx, "busybox"), string(bb), 0o755)
		write(t, filepath.Join(dir, ctx, "Dockerfile"), "FROM scratch\nCOPY . /\n", 0o644)
	}
	write(t, filepath.Join(dir, "base", "run-id"), prefix, 0o644)
	from := "FROM " + prefix + "/%s:t1\nSHELL [\"/busybox\", \"sh\", \"-c\"]\nRUN %s\n"
	for name, run := range map[string]string{
		"fast": "/busybox sleep 6", "broken": "/busybox sleep 9 && echo boom && exit 3", "slow": "/busybox sleep 13", "after": "true",
	} {
		base := "base"
		if name == "after" {
			base = "broken"
		}
		write(t, filepath.Join(dir, name, "Dockerfile"), fmt.Sprintf(from, base, run), 0o644)
	}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "version: 1\nrepo: %s\ntag: t1\nimages:\n", prefix)
	for _, name := range []string{"base", "steady", "fast", "broken", "slow", "after"} {
		fmt.Fprintf(&cfg, "  %s: {context: %s, network: none}\n", name, name)
	}
	write(t, filepath.Join(dir, "imagemake.yaml"), cfg.String(), 0o644)
	r := &repo{t: t, dir: dir, prefix: prefix, docker: c, env: map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME"), "DOCKER_REPO": prefix,
	}}
	t.Cleanup(r.removeImages)
	return r
}

// pane is a tmux server of its own running imagemake in one pane of 100x30.
type pane struct {
	t    *testing.T
	sock string
	r    *repo
}

// startPane runs imagemake with args in the repo, with vars ("NAME=value ...") set and CI,
// DOCKER_TAG and NO_COLOR unset otherwise.
func startPane(t *testing.T, r *repo, vars string, args ...string) *pane {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "imagemake")
	build := exec.Command("go", "build", "-o", bin, "./cmd/imagemake")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	p := &pane{t: t, sock: "imagemake-" + r.prefix, r: r}
	// The pane stays after imagemake ends, so its last screen and exit code can be read.
	script := fmt.Sprintf("cd %s && env -u CI -u DOCKER_TAG -u NO_COLOR %s %s %s; echo \"exit $?\"; sleep 3600",
		r.dir, vars, bin, strings.Join(args, " "))
	p.tmux("new-session", "-d", "-x", "100", "-y", "30", "-s", "view", script)
	t.Cleanup(func() { exec.Command("tmux", "-L", p.sock, "kill-server").Run() })
	return p
}

func (p *pane) tmux(args ...string) string {
	p.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", p.sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil {
		p.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// capture returns the pane's text, the lines scrolled off the top included, wrapped lines joined.
func (p *pane) capture() string { return p.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "view") }

// captureEscapes returns the pane's text with its colours and attributes as escape sequences.
func (p *pane) captureEscapes() string {
	return p.tmux("capture-pane", "-p", "-e", "-S", "-", "-t", "view")
}

// waitFor polls the pane until ok holds for its text, and returns that text; it fails when
// imagemake ended first.
func (p *pane) waitFor(what string, ok func(string) bool) string {
	p.t.Helper()
	var s string
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if s = p.capture(); ok(s) {
			return s
		}
		if strings.Contains(s, "\nexit ") {
			break
		}
	}
	p.t.Fatalf("the pane never showed %s; last:\n%s", what, s)
	return ""
}

var masks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(` *\b\d+m\d\ds\b`), " XmXXs"},
	{regexp.MustCompile(` *\b\d+\.\ds\b`), " X.Xs"},
	{regexp.MustCompile(`(?m)^((?:  │ )?)\d+\.\d+ `), "${1}X.XXX "},
	{regexp.MustCompile(`sha256:[0-9a-f]+`), "sha256:X"},
	{regexp.MustCompile(`last \d+ log lines`), "last N log lines"},
	{regexp.MustCompile(`images to build on .*`), "images to build on ENGINE"},
	// BuildKit prints the lines of parallel steps in no fixed order: a run of them is one line.
	{regexp.MustCompile(`(?m)^((?:  │ )?)#\d+ .*\n(?:(?:  │ )?#\d+ .*\n)*`), "${1}#… BuildKit lines\n"},
	// Where a cut line ends depends on the width of the times before it.
	{regexp.MustCompile(`(?m)\S*…$`), "…"},
	{regexp.MustCompile(`(?m) +$`), ""},
}

// golden compares the masked screen with testdata/tty/NAME.txt (rewritten with -update).
func (p *pane) golden(name, screen string) {
	p.t.Helper()
	screen = strings.ReplaceAll(screen, p.r.prefix, "PREFIX")
	for _, m := range masks {
		screen = m.re.ReplaceAllString(screen, m.with)
	}
	screen = strings.TrimRight(screen, "\n") + "\n"
	path := filepath.Join("testdata", "tty", name+".txt")
	if *updateGolden {
		write(p.t, path, screen, 0o644)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		p.t.Fatalf("%v (run with -update to write it)", err)
	}
	if screen != string(want) {
		p.t.Errorf("%s: the screen differs from %s (run with -update to accept it):\n%s", name, path, screen)
	}
}
