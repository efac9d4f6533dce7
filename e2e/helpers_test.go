// Package e2e runs imagemake against the real Docker engine. With IMAGEMAKE_E2E=1 (the test
// command sets it) an unreachable engine fails the tests instead of skipping them.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/imagemake/imagemake/internal/cli"
)

// engine returns a client of the local engine, failing or skipping the test when there is none.
func engine(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err == nil {
		_, err = c.Ping(context.Background())
	}
	if err != nil {
		if os.Getenv("IMAGEMAKE_E2E") == "1" {
			t.Fatalf("IMAGEMAKE_E2E=1 but the Docker engine is unreachable: %v", err)
		}
		t.Skipf("no Docker engine (set IMAGEMAKE_E2E=1 to make this a failure): %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// repo is a copy of an example project with its own image namespace in the engine.
type repo struct {
	t      *testing.T
	dir    string
	env    map[string]string
	prefix string
	docker *client.Client
}

// newRepo copies examples/<name> into a temp dir, with busybox, and removes its images at the end.
func newRepo(t *testing.T, name string) *repo {
	t.Helper()
	c := engine(t)
	dir := filepath.Join(t.TempDir(), name)
	copyTree(t, filepath.Join("..", "examples", name), dir)
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatalf("busybox-static is needed: %v", err)
	}
	write(t, filepath.Join(dir, "third_party", "busybox"), string(bb), 0o755)
	prefix := "e2e" + randomHex(4)
	// Content of its own, so no image of another run has the same inputs (it would be reused).
	// The bases' Dockerfiles name what they copy, so the digest covers the file only through a
	// line of the Dockerfile itself.
	for _, base := range []string{"base/py", "base/lua"} {
		if _, err := os.Stat(filepath.Join(dir, base)); err == nil {
			write(t, filepath.Join(dir, base, "e2e-run-id"), prefix, 0o644)
			df := filepath.Join(dir, base, "Dockerfile")
			src, err := os.ReadFile(df)
			if err != nil {
				t.Fatal(err)
			}
			write(t, df, string(src)+"COPY e2e-run-id /etc/e2e-run-id\n", 0o644)
		}
	}
	r := &repo{t: t, dir: dir, prefix: prefix, docker: c, env: map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME"), "DOCKER_REPO": prefix, "DOCKER_TAG": "t1",
	}}
	t.Cleanup(r.removeImages)
	return r
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// run runs imagemake in the repo and returns its exit code, stdout and stderr.
func (r *repo) run(args ...string) (int, string, string) {
	r.t.Helper()
	return r.runCtx(context.Background(), args...)
}

func (r *repo) runCtx(ctx context.Context, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := cli.Run(ctx, append([]string{"-C", r.dir}, args...), cli.IO{In: strings.NewReader(""), Out: &out, Err: &errOut, Env: r.env})
	return code, out.String(), errOut.String()
}

// build runs `imagemake build --output json` and returns status and reason by image.
func (r *repo) build(wantCode int, args ...string) map[string]result {
	r.t.Helper()
	code, out, errOut := r.run(append([]string{"build", "--output", "json"}, args...)...)
	if code != wantCode {
		r.t.Fatalf("build %v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, wantCode, out, errOut)
	}
	return results(r.t, out)
}

type result struct{ Status, Reason string }

func results(t *testing.T, out string) map[string]result {
	t.Helper()
	m := map[string]result{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e struct{ Event, Image, Status, Reason string }
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		if e.Event == "result" {
			m[e.Image] = result{e.Status, e.Reason}
		}
	}
	return m
}

// statuses keeps only the statuses of results.
func statuses(rs map[string]result) map[string]string {
	m := map[string]string{}
	for k, v := range rs {
		m[k] = v.Status
	}
	return m
}

func (r *repo) ref(name string) string {
	return r.env["DOCKER_REPO"] + "/" + name + ":" + r.env["DOCKER_TAG"]
}

func (r *repo) removeImages() {
	ctx := context.Background()
	list, err := r.docker.ImageList(ctx, image.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("reference", r.env["DOCKER_REPO"]+"/*"))})
	if err != nil {
		return
	}
	for _, img := range list {
		r.docker.ImageRemove(ctx, img.ID, image.RemoveOptions{Force: true, PruneChildren: true})
	}
}

func write(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		switch {
		case fi.IsDir():
			if rel == ".imagemake" {
				return filepath.SkipDir
			}
			return os.MkdirAll(target, fi.Mode().Perm())
		case fi.Mode()&os.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		default:
			return copyFile(p, target, fi.Mode().Perm())
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
