package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
)

// busyboxDockerfile starts an image with a shell and nothing else (nothing can be pulled).
const busyboxDockerfile = "FROM scratch\nCOPY busybox /bin/busybox\nSHELL [\"/bin/busybox\", \"sh\", \"-c\"]\n" +
	"RUN /bin/busybox --install -s /bin && mkdir -p /tmp\n"

// newProject writes files (path -> content; "busybox" gets /bin/busybox) into a temp project
// with its own image namespace in the engine, whose images are removed at the end.
func newProject(t *testing.T, files map[string]string) *repo {
	t.Helper()
	c := engine(t)
	dir := filepath.Join(t.TempDir(), "project")
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatalf("busybox-static is needed: %v", err)
	}
	for name, content := range files {
		mode := os.FileMode(0o644)
		if content == "busybox" {
			content, mode = string(bb), 0o755
		}
		write(t, filepath.Join(dir, name), content, mode)
	}
	prefix := "e2e" + randomHex(4)
	r := &repo{t: t, dir: dir, prefix: prefix, docker: c, env: map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME"), "DOCKER_REPO": prefix, "DOCKER_TAG": "t1",
	}}
	t.Cleanup(r.removeImages)
	return r
}

// imagemakeBinary builds cmd/imagemake once per test binary.
var imagemakeBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "imagemake-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "imagemake")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/imagemake")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", &buildError{err, string(out)}
	}
	return bin, nil
})

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + e.out }

func binary(t *testing.T) string {
	t.Helper()
	bin, err := imagemakeBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// engineImages lists the images of r's namespace in the engine as "ID tag,tag" lines, sorted:
// what a run that must change nothing in the engine must leave as it was. (Other tests share
// the engine, so its whole list is not stable.)
func engineImages(t *testing.T, r *repo) string {
	t.Helper()
	list, err := r.docker.ImageList(context.Background(), image.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("reference", r.env["DOCKER_REPO"]+"/*"))})
	if err != nil {
		t.Fatal(err)
	}
	lines := make([]string, 0, len(list))
	for _, img := range list {
		tags := append([]string(nil), img.RepoTags...)
		sort.Strings(tags)
		lines = append(lines, img.ID+" "+strings.Join(tags, ","))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// treeOf reads every file under dir (path -> mode and content); nil when dir does not exist.
func treeOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	if _, err := os.Lstat(dir); os.IsNotExist(err) {
		return nil
	}
	tree := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		content := ""
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			content = string(b)
		}
		tree[rel] = fi.Mode().String() + " " + content
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}
