package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestWatch runs `imagemake watch dev` on examples/monorepo in a tmux pane. The task dev has
// restart: compose; the engine here has no Compose plugin, so a docker on PATH records the
// `docker compose` calls (with the image variables they get) and passes every other call to the
// real docker. It checks: the first round builds everything and starts the stack; an edit of
// src/pylib (in pybase, FROM which api, worker and notifier build) rebuilds exactly those four
// and recreates exactly their services; edits of excluded files start nothing; a broken config
// is reported and the loop stays; fixing it resumes the loop; Ctrl-C exits 130.
func TestWatch(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("IMAGEMAKE_E2E") == "1" {
			t.Fatal("IMAGEMAKE_E2E=1 but tmux is missing (scripts/test.sh installs it)")
		}
		t.Skip("tmux is missing")
	}
	r := newRepo(t, "monorepo")
	calls := filepath.Join(t.TempDir(), "compose-calls")
	fake := fakeDocker(t, calls)
	p := startPane(t, r, "DOCKER_REPO="+r.prefix+" DOCKER_TAG=t1 PATH="+fake+":$PATH",
		"watch", "--progress", "plain", "dev")

	p.waitFor("the first round and the stack started", func(s string) bool {
		return strings.Count(s, "imagemake: watching") == 1 && strings.Contains(s, "task dev: docker compose up -d")
	})
	if got := composeCalls(t, calls); len(got) != 1 || !strings.HasPrefix(got[0], "compose up -d IMAGEMAKE_IMAGE_API="+r.prefix+"/api:t1") {
		t.Fatalf("docker compose calls after the first round: %q, want the task's own up -d with the image variables", got)
	}

	edit(t, filepath.Join(r.dir, "src/pylib/acme/log.py"), "\n# watched\n")
	round := since(p.waitFor("the round of src/pylib", func(s string) bool {
		return strings.Count(s, "imagemake: watching") == 2 && strings.Contains(s, "--no-deps")
	}), "src/pylib/acme/log.py changed")
	if got, want := builtIn(round), []string{"api", "notifier", "pybase", "worker"}; !slices.Equal(got, want) {
		t.Errorf("built after an edit of src/pylib: %q, want %q\n%s", got, want, round)
	}
	if got := composeCalls(t, calls); len(got) != 2 || !strings.HasPrefix(got[1], "compose up -d --no-deps api notifier worker ") {
		t.Errorf("docker compose calls: %q, want the services of api, notifier and worker recreated", got)
	}

	edit(t, filepath.Join(r.dir, "components/openresty/README.md"), "excluded by *.md\n")
	write(t, filepath.Join(r.dir, "src/pylib/acme/__pycache__/log.pyc"), "excluded folder", 0o644)
	time.Sleep(time.Second) // the debounce is 20 ms: a round would have started
	if s := p.capture(); strings.Contains(s, "README.md") || strings.Contains(s, "log.pyc") || strings.Count(s, "imagemake: watching") != 2 {
		t.Fatalf("an edit of excluded files started a round:\n%s", since(s, "src/pylib/acme/log.py changed"))
	}

	config := filepath.Join(r.dir, "imagemake.yaml")
	good, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	write(t, config, strings.Replace(string(good), "  worker:\n", "  worker:\n    contxt: services/worker\n", 1), 0o644)
	p.waitFor("the config error", func(s string) bool {
		return strings.Contains(s, "the last good one is kept") && regexp.MustCompile(`imagemake.yaml:\d+:\d+: images.worker.contxt`).MatchString(s)
	})
	write(t, config, string(good), 0o644)
	p.waitFor("the config loaded again", func(s string) bool {
		return strings.Contains(s, "project loaded again (imagemake.yaml changed)")
	})
	edit(t, filepath.Join(r.dir, "services/api/main.py"), "\n# resumed\n")
	round = since(p.waitFor("the round of services/api", func(s string) bool {
		return strings.Count(s, "imagemake: watching") == 3
	}), "services/api/main.py changed")
	if got := builtIn(round); !slices.Equal(got, []string{"api"}) {
		t.Errorf("built after an edit of services/api once the config is fixed: %q, want [api]\n%s", got, round)
	}

	p.tmux("send-keys", "-t", "view", "C-c")
	p.waitFor("exit 130", func(s string) bool { return strings.Contains(s, "\nexit 130") })
}

// fakeDocker writes a docker that records `docker compose ...` calls in calls, one line each
// with the IMAGEMAKE_IMAGE_API it got, and runs the real docker for anything else.
func fakeDocker(t *testing.T, calls string) string {
	t.Helper()
	real, err := exec.LookPath("docker")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "docker"), `#!/bin/sh
if [ "$1" = compose ]; then
	echo "$* IMAGEMAKE_IMAGE_API=$IMAGEMAKE_IMAGE_API COMPOSE_FILE=$COMPOSE_FILE" >> `+calls+`
	exit 0
fi
exec `+real+` "$@"
`, 0o755)
	return dir
}

func composeCalls(t *testing.T, calls string) []string {
	t.Helper()
	data, err := os.ReadFile(calls)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// edit appends text to a file.
func edit(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// since is the screen from the last line holding mark on.
func since(screen, mark string) string {
	if i := strings.LastIndex(screen, mark); i >= 0 {
		return screen[i:]
	}
	return ""
}

var builtLine = regexp.MustCompile(`(?m)^(\S+) +\| built in `)

// builtIn are the images a round's plain output says it built, sorted.
func builtIn(round string) []string {
	var out []string
	for _, m := range builtLine.FindAllStringSubmatch(round, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return out
}

// TestWatchRestartsTask: a task without restart: keeps running; a change that rebuilds its
// image restarts it (SIGINT to its process group, which its trap answers), and Ctrl-C stops it
// and exits 130.
func TestWatchRestartsTask(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is missing")
	}
	c := engine(t)
	dir := t.TempDir()
	prefix := "e2e" + randomHex(4)
	write(t, filepath.Join(dir, "app/Dockerfile"), "FROM scratch\nCOPY v /v\n", 0o644)
	write(t, filepath.Join(dir, "app/v"), prefix+" 1\n", 0o644)
	write(t, filepath.Join(dir, "imagemake.yaml"), "version: 1\nrepo: "+prefix+"\ntag: t1\nimages:\n  app: {context: app}\n"+
		"tasks:\n  serve:\n    needs: [app]\n    run: >-\n      echo \"serving $$IMAGEMAKE_IMAGE_APP $$(cut -d' ' -f2 app/v)\";\n"+
		"      trap 'echo stopping; exit 0' INT; while :; do sleep 1; done\n", 0o644)
	r := &repo{t: t, dir: dir, prefix: prefix, docker: c, env: map[string]string{"DOCKER_REPO": prefix}}
	t.Cleanup(r.removeImages)
	p := startPane(t, r, "", "watch", "--progress", "plain", "serve")
	p.waitFor("the task started", func(s string) bool { return strings.Contains(s, "serving "+prefix+"/app:t1 1") })
	write(t, filepath.Join(dir, "app/v"), prefix+" 2\n", 0o644)
	s := p.waitFor("the task restarted", func(s string) bool { return strings.Contains(s, "serving "+prefix+"/app:t1 2") })
	if round := since(s, "app/v changed"); !regexp.MustCompile(`app +\| built in`).MatchString(round) ||
		!regexp.MustCompile(`task serve: restarting\nstopping\n(?s:.*)serving`).MatchString(round) {
		t.Errorf("no build of app, then the task stopped by SIGINT and started again:\n%s", round)
	}
	p.tmux("send-keys", "-t", "view", "C-c")
	end := p.waitFor("exit 130", func(s string) bool { return strings.Contains(s, "\nexit 130") })
	if got := len(regexp.MustCompile(`(?m)^(\^C)?stopping$`).FindAllString(end, -1)); got != 2 {
		t.Errorf("the task was stopped %d times, want 2 (the restart, Ctrl-C):\n%s", got, end)
	}
}
