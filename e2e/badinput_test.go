package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// UPDATE_GOLDEN=1 rewrites the expect files of e2e/testdata/badinput from what imagemake
// prints. Review every change by eye.
var updateBadInput = os.Getenv("UPDATE_GOLDEN") == "1"

// badCase is one bad input: imagemake build and plan must both refuse it with exit code 2 and
// exactly the expected message, and change nothing under .imagemake/ or in the engine.
type badCase struct {
	name   string
	dir    string            // the project
	env    map[string]string // the whole environment
	args   []string          // after the command
	want   string            // stderr, with the project folder written <project>
	expect string            // the file want comes from, rewritten with UPDATE_GOLDEN=1
	// noDACOverride runs the binary without the capabilities that let root read any file,
	// so that a file of mode 000 really cannot be read (the tests run as root).
	noDACOverride bool
}

// TestBadInput runs the bad input corpus: the project cases of testdata/badinput and every
// case of internal/config/testdata/bad.
func TestBadInput(t *testing.T) {
	seed := newProject(t, map[string]string{
		"imagemake.yaml": "version: 1\nrepo: ${DOCKER_REPO}\ntag: ${DOCKER_TAG}\nimages:\n  app:\n    context: app\n    network: none\n",
		"app/Dockerfile": "FROM scratch\nCOPY marker /\n", "app/marker": "seed",
	})
	seed.build(0) // the namespace holds an image: a bad run must leave it as it is
	images := engineImages(t, seed)
	cases := append(projectCases(t, seed.env), configCases(t)...)
	if len(cases) < 60 {
		t.Fatalf("%d bad input cases, want at least 60", len(cases))
	}
	t.Run("cases", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				runBadCase(t, seed, c)
			})
		}
	})
	if now := engineImages(t, seed); now != images {
		t.Errorf("the engine's images of the namespace changed:\nbefore:\n%s\nafter:\n%s", images, now)
	}
	t.Logf("%d bad input cases", len(cases))
}

func runBadCase(t *testing.T, seed *repo, c badCase) {
	state := filepath.Join(c.dir, ".imagemake")
	before := treeOf(t, state)
	r := &repo{t: t, dir: c.dir, prefix: seed.prefix, docker: seed.docker, env: c.env}
	for _, cmd := range []string{"build", "plan"} {
		code, stderr := r.runBad(c, append([]string{cmd}, c.args...))
		got := strings.ReplaceAll(stderr, c.dir, "<project>")
		if cmd == "build" && updateBadInput && c.expect != "" {
			write(t, c.expect, fmt.Sprintf("exit %d\n%s", code, got), 0o644)
			c.want = got
		}
		if code != 2 {
			t.Errorf("%s: exit %d, want 2\n%s", cmd, code, stderr)
		}
		if got != c.want {
			t.Errorf("%s: stderr differs\n--- got\n%s--- want\n%s", cmd, got, c.want)
		}
	}
	after := treeOf(t, state)
	if before == nil && len(after) == 2 && after["lock"] == "-rw-r--r-- " {
		after = nil // build found the error under the lock, which it took first and left empty
	}
	if !maps.Equal(before, after) {
		t.Errorf(".imagemake/ changed: before %q, after %q", before, after)
	}
}

// runBad runs imagemake in-process, or as a process without CAP_DAC_OVERRIDE and
// CAP_DAC_READ_SEARCH (setpriv, util-linux) where the case needs it.
func (r *repo) runBad(c badCase, args []string) (int, string) {
	r.t.Helper()
	if !c.noDACOverride {
		code, _, stderr := r.run(args...)
		return code, stderr
	}
	drop := "-dac_override,-dac_read_search"
	cmd := exec.Command("setpriv", append([]string{"--inh-caps", drop, "--bounding-set", drop, "--",
		binary(r.t), "-C", r.dir}, args...)...)
	for k, v := range r.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		r.t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// projectCases copies each case of testdata/badinput into a temp folder and prepares what a
// repository cannot hold (FIFOs, modes, generated files).
func projectCases(t *testing.T, env map[string]string) []badCase {
	t.Helper()
	var cases []badCase
	names, err := os.ReadDir(filepath.Join("testdata", "badinput"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range names {
		src := filepath.Join("testdata", "badinput", e.Name())
		c := badCase{name: e.Name(), dir: filepath.Join(t.TempDir(), e.Name()), env: env, expect: filepath.Join(src, "expect")}
		copyTree(t, src, c.dir)
		os.Remove(filepath.Join(c.dir, "expect"))
		if args, err := os.ReadFile(filepath.Join(src, "args")); err == nil {
			c.args = strings.Fields(string(args))
			os.Remove(filepath.Join(c.dir, "args"))
		}
		c.want = readExpect(t, c.expect)
		if prepare := prepareCase[c.name]; prepare != nil {
			c.noDACOverride = prepare(t, c.dir)
		}
		cases = append(cases, c)
	}
	return cases
}

func readExpect(t *testing.T, path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		if updateBadInput {
			return ""
		}
		t.Fatalf("%v (UPDATE_GOLDEN=1 writes it)", err)
	}
	first, rest, _ := strings.Cut(string(data), "\n")
	if first != "exit 2" {
		t.Fatalf("%s: first line %q, want \"exit 2\"", path, first)
	}
	return rest
}

// prepareCase makes what git cannot hold; true: the case runs without CAP_DAC_OVERRIDE.
var prepareCase = map[string]func(t *testing.T, dir string) bool{
	"dockerfile_fifo":       func(t *testing.T, dir string) bool { return mkfifo(t, dir, "app/Dockerfile") },
	"dockerignore_fifo":     func(t *testing.T, dir string) bool { return mkfifo(t, dir, "app/.dockerignore") },
	"yaml_fifo":             func(t *testing.T, dir string) bool { return mkfifo(t, dir, "imagemake.yaml") },
	"secret_file_is_fifo":   func(t *testing.T, dir string) bool { return mkfifo(t, dir, "npm.token") },
	"dockerfile_unreadable": func(t *testing.T, dir string) bool { return chmod000(t, dir, "app/Dockerfile") },
	"context_file_unreadable": func(t *testing.T, dir string) bool {
		return chmod000(t, dir, "app/private.key")
	},
	"context_folder_unreadable": func(t *testing.T, dir string) bool {
		return chmod000(t, dir, "app/private")
	},
	"dockerfile_binary": func(t *testing.T, dir string) bool {
		write(t, filepath.Join(dir, "app", "Dockerfile"), string(binaryBytes()), 0o644)
		return false
	},
	"yaml_binary": func(t *testing.T, dir string) bool {
		write(t, filepath.Join(dir, "imagemake.yaml"), "images:\n"+string(binaryBytes()), 0o644)
		return false
	},
	"compose_binary": func(t *testing.T, dir string) bool {
		write(t, filepath.Join(dir, "docker-compose.yml"), string(binaryBytes()), 0o644)
		return false
	},
	"yaml_huge": func(t *testing.T, dir string) bool {
		write(t, filepath.Join(dir, "imagemake.yaml"), "images:\n"+strings.Repeat("  # padding\n", 200_000), 0o644)
		return false
	},
}

func binaryBytes() []byte {
	b := make([]byte, 4096)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

func mkfifo(t *testing.T, dir, name string) bool {
	p := filepath.Join(dir, name)
	os.Remove(p)
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	return false
}

// chmod000 makes a file unreadable to a process without CAP_DAC_OVERRIDE; every folder up to
// it must then be searchable by others than root's capabilities, which t.TempDir's are not.
func chmod000(t *testing.T, dir, name string) bool {
	if err := os.Chmod(filepath.Join(dir, name), 0); err != nil {
		t.Fatal(err)
	}
	for d := dir; d != "/" && d != "."; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o005 != 0o005 {
			os.Chmod(d, fi.Mode().Perm()|0o055)
		}
	}
	return true
}

// configCases are the cases of internal/config/testdata/bad, copied together (a case's
// symlinks point into its neighbours) and expected to print their want.txt.
func configCases(t *testing.T) []badCase {
	t.Helper()
	root := filepath.Join(t.TempDir(), "bad")
	copyTree(t, filepath.Join("..", "internal", "config", "testdata", "bad"), root)
	names, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var cases []badCase
	for _, e := range names {
		dir := filepath.Join(root, e.Name())
		want, err := os.ReadFile(filepath.Join(dir, "want.txt"))
		if err != nil {
			t.Fatal(err)
		}
		env := caseEnv(t, dir)
		env["PATH"], env["HOME"] = os.Getenv("PATH"), os.Getenv("HOME")
		c := badCase{name: "config_" + e.Name(), dir: dir, env: env,
			want: strings.ReplaceAll(string(want), "testdata/bad/"+e.Name(), "<project>")}
		cases = append(cases, c)
	}
	return cases
}

// caseEnv reads a config case's env.txt: KEY=VALUE lines, # for comments.
func caseEnv(t *testing.T, dir string) map[string]string {
	env := map[string]string{}
	f, err := os.Open(filepath.Join(dir, "env.txt"))
	if errors.Is(err, os.ErrNotExist) {
		return env
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for s := bufio.NewScanner(f); s.Scan(); {
		if line := strings.TrimSpace(s.Text()); line != "" && !strings.HasPrefix(line, "#") {
			k, v, _ := strings.Cut(line, "=")
			env[k] = v
		}
	}
	return env
}
