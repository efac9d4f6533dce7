// Package gitinfo reads what imagemake needs from the repository's git history: the short hashes
// of the last first-parent commits, the current branch and the default branch, as image tags.
package gitinfo

import (
	"bytes"
	"context"
	"os/exec"
	"regexp"
	"strings"
)

// Info is what git says about the checkout; empty fields when git does not know (not a repo,
// detached HEAD, no remote).
type Info struct {
	Commits       []string // 12-character hashes (as CI's DOCKER_TAG), HEAD first, first-parent only
	Branch        string   // current branch, as a tag
	DefaultBranch string   // origin's default branch (or main/master when there is no remote), as a tag
}

// Read asks git in dir for the last n first-parent commits and the branch names. It never
// fails: a folder outside git gives an empty Info.
func Read(ctx context.Context, dir string, n int) Info {
	var info Info
	if out, err := git(ctx, dir, "log", "--first-parent", "--abbrev=12", "--format=%h", "-n", itoa(n), "HEAD"); err == nil {
		info.Commits = strings.Fields(out)
	}
	if out, err := git(ctx, dir, "symbolic-ref", "--short", "-q", "HEAD"); err == nil {
		info.Branch = Tag(out)
	}
	info.DefaultBranch = Tag(defaultBranch(ctx, dir))
	return info
}

func defaultBranch(ctx context.Context, dir string) string {
	if out, err := git(ctx, dir, "symbolic-ref", "--short", "-q", "refs/remotes/origin/HEAD"); err == nil {
		return strings.TrimPrefix(out, "origin/")
	}
	for _, b := range []string{"main", "master"} {
		if _, err := git(ctx, dir, "rev-parse", "--verify", "-q", "refs/heads/"+b); err == nil {
			return b
		}
	}
	return ""
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir, cmd.Stdout = dir, &out
	err := cmd.Run()
	return strings.TrimSpace(out.String()), err
}

var notTagChar = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// Tag turns a branch name into a valid image tag: "feature/x" -> "feature-x"; at most 128
// characters, not starting with '.' or '-'.
func Tag(branch string) string {
	t := strings.TrimLeft(notTagChar.ReplaceAllString(branch, "-"), ".-")
	if len(t) > 128 {
		t = t[:128]
	}
	return t
}

func itoa(n int) string {
	if n < 1 {
		n = 1
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
