package gitinfo

import (
	"context"
	"os/exec"
	"reflect"
	"testing"
)

func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v %s", args, err, out)
	}
	return string(out)
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	run(t, dir, "init", "-q", "-b", "main")
	for i := 0; i < 3; i++ {
		run(t, dir, "commit", "-q", "--allow-empty", "-m", "c")
	}
	run(t, dir, "checkout", "-q", "-b", "feature/login")
	run(t, dir, "commit", "-q", "--allow-empty", "-m", "f")
	info := Read(context.Background(), dir, 2)
	want := []string{run(t, dir, "rev-parse", "--short=12", "HEAD")[:12], run(t, dir, "rev-parse", "--short=12", "HEAD~1")[:12]}
	if len(info.Commits) != 2 || info.Commits[0] != want[0] || info.Commits[1] != want[1] {
		t.Errorf("commits %v, want %v", info.Commits, want)
	}
	if info.Branch != "feature-login" || info.DefaultBranch != "main" {
		t.Errorf("branch %q default %q", info.Branch, info.DefaultBranch)
	}
}

func TestReadOutsideGit(t *testing.T) {
	if got := Read(context.Background(), t.TempDir(), 20); !reflect.DeepEqual(got, Info{}) {
		t.Errorf("outside git: %+v", got)
	}
}

func TestTag(t *testing.T) {
	for in, want := range map[string]string{"main": "main", "feature/x y": "feature-x-y", "-x": "x", ".hidden": "hidden"} {
		if got := Tag(in); got != want {
			t.Errorf("Tag(%q) = %q, want %q", in, got, want)
		}
	}
}
