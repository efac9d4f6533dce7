package gitinfo

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSourceURL(t *testing.T) {
	for remote, want := range map[string]string{
		"git@github.com:acme/app.git":                "https://github.com/acme/app",
		"ssh://git@gitlab.example.com/acme/app":      "https://gitlab.example.com/acme/app",
		"ssh://git@gitlab.example.com:2222/a/b.git":  "https://gitlab.example.com/a/b",
		"https://user:token@github.com/acme/app.git": "https://github.com/acme/app",
		"http://git.internal/acme/app":               "http://git.internal/acme/app",
		"git://example.com/acme/app.git":             "https://example.com/acme/app",
		"/srv/git/app.git":                           "",
		"file:///srv/git/app.git":                    "",
		"":                                           "",
	} {
		if got := SourceURL(remote); got != want {
			t.Errorf("SourceURL(%q) = %q, want %q", remote, got, want)
		}
	}
}

func TestAnnotations(t *testing.T) {
	dir := t.TempDir()
	run(t, dir, "init", "-q", "-b", "main")
	if got := Annotations(context.Background(), dir); len(got) != 0 {
		t.Errorf("no commit yet: %v", got)
	}
	t.Setenv("GIT_COMMITTER_DATE", "2024-05-06T07:08:09+02:00")
	run(t, dir, "commit", "-q", "--allow-empty", "-m", "c")
	run(t, dir, "remote", "add", "origin", "git@github.com:acme/app.git")
	run(t, dir, "remote", "add", "fork", "https://github.com/me/app.git")
	got := Annotations(context.Background(), dir)
	rev := strings.TrimSpace(run(t, dir, "rev-parse", "HEAD"))
	if got["org.opencontainers.image.revision"] != rev {
		t.Errorf("revision %q, want %q", got["org.opencontainers.image.revision"], rev)
	}
	if got["org.opencontainers.image.source"] != "https://github.com/acme/app" {
		t.Errorf("source %q: origin's, made https", got["org.opencontainers.image.source"])
	}
	created, err := time.Parse(time.RFC3339, got["org.opencontainers.image.created"])
	if err != nil || !created.Equal(time.Date(2024, 5, 6, 5, 8, 9, 0, time.UTC)) || !strings.HasSuffix(got["org.opencontainers.image.created"], "Z") {
		t.Errorf("created %q (%v): the commit's time in UTC, not now", got["org.opencontainers.image.created"], err)
	}
	run(t, dir, "config", "branch.main.remote", "fork")
	if got := Annotations(context.Background(), dir); got["org.opencontainers.image.source"] != "https://github.com/me/app" {
		t.Errorf("source %q: the remote the branch tracks first", got["org.opencontainers.image.source"])
	}
}

func TestAnnotationsOutsideGit(t *testing.T) {
	if got := Annotations(context.Background(), t.TempDir()); len(got) != 0 {
		t.Errorf("outside git: %v", got)
	}
}

func TestIdentity(t *testing.T) {
	ctx := context.Background()
	if got := Identity(ctx, t.TempDir()); got != "" {
		t.Errorf("outside git: %q", got)
	}
	dir := t.TempDir()
	run(t, dir, "init", "-q", "-b", "main")
	if got := Identity(ctx, dir); got != "" {
		t.Errorf("no remote: %q", got)
	}
	run(t, dir, "remote", "add", "origin", "https://user:token@example.com/acme/app.git")
	if got := Identity(ctx, dir); got != "https://example.com/acme/app" {
		t.Errorf("https remote with credentials: %q", got)
	}
	clone := t.TempDir()
	run(t, clone, "init", "-q", "-b", "main")
	run(t, clone, "remote", "add", "origin", dir)
	if got := Identity(ctx, clone); got != dir {
		t.Errorf("a clone of a folder: %q, want %q", got, dir)
	}
}

func TestPrefix(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	run(t, dir, "init", "-q", "-b", "main")
	sub := filepath.Join(dir, "services", "shop")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := Prefix(ctx, sub); got != "services/shop/" {
		t.Errorf("a folder in the work tree: %q", got)
	}
	if got := Prefix(ctx, dir); got != "" {
		t.Errorf("the top: %q", got)
	}
	if got := Prefix(ctx, t.TempDir()); got != "" {
		t.Errorf("outside git: %q", got)
	}
}
