package inputs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imagemake/imagemake/internal/config"
)

// mkTree creates files below root. Each spec is one of
//
//	"dir/"            a folder
//	"link -> target"  a symlink
//	"file"            a file holding its own name
//	"file=content"    a file holding content
func mkTree(t testing.TB, root string, specs ...string) {
	t.Helper()
	for _, spec := range specs {
		switch name, target, isLink := strings.Cut(spec, " -> "); {
		case isLink:
			mkParent(t, root, name)
			must(t, os.Symlink(target, filepath.Join(root, name)))
		case strings.HasSuffix(spec, "/"):
			must(t, os.MkdirAll(filepath.Join(root, spec), 0o755))
		default:
			name, content, ok := strings.Cut(spec, "=")
			if !ok {
				content = name
			}
			mkParent(t, root, name)
			must(t, os.WriteFile(filepath.Join(root, name), []byte(content), 0o644))
		}
	}
}

func mkParent(t testing.TB, root, name string) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func testProject(root string, exclude ...string) *config.Project {
	return &config.Project{Root: root, File: filepath.Join(root, config.FileName), Exclude: exclude}
}

func image(name, context string) *config.Image {
	return &config.Image{Name: name, Context: context, Dockerfile: "Dockerfile"}
}

// newTestScanner returns a scanner that trusts every file as old enough for the stat cache: test
// files are all younger than the racy window.
func newTestScanner(t testing.TB, p *config.Project) *Scanner {
	t.Helper()
	s, err := NewScanner(p)
	must(t, err)
	s.start = time.Now().Add(time.Hour)
	return s
}

// names lists entries as "dir/", "link -> target" and "file".
func names(entries []Entry) []string {
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		switch {
		case e.IsDir():
			out = append(out, e.Name+"/")
		case e.IsLink():
			out = append(out, e.Name+" -> "+e.Link)
		default:
			out = append(out, e.Name)
		}
	}
	return out
}

func contextOf(t testing.TB, s *Scanner, img *config.Image) []Entry {
	t.Helper()
	entries, err := s.Context(img)
	must(t, err)
	return entries
}

func digestOf(t testing.TB, p *config.Project, img *config.Image, upstream, extra map[string]string) *Manifest {
	t.Helper()
	s := newTestScanner(t, p)
	m, err := s.Manifest(img, contextOf(t, s, img), Build{Upstream: upstream, Args: img.Args, ExtraArgs: extra})
	must(t, err)
	if again := m.ComputeDigest(); again != m.Digest {
		t.Fatalf("ComputeDigest %s, Manifest made %s", again, m.Digest)
	}
	return m
}
