package inputs

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imagemake/imagemake/internal/config"
)

// copyTree copies src to dst as a fresh clone would: same content, names and modes, new times.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	must(t, filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if err := os.MkdirAll(to, 0o755); err != nil {
				return err
			}
			return os.Chmod(to, info.Mode())
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(to, data, 0o600); err != nil {
			return err
		}
		if err := os.Chmod(to, info.Mode()); err != nil {
			return err
		}
		later := time.Now().Add(time.Hour)
		return os.Chtimes(to, later, later)
	}))
}

var baseTree = []string{
	"svc/Dockerfile=FROM scratch\nCOPY . /\n", "svc/app/main.py", "svc/app/util.py", "svc/empty/",
	"svc/link -> app/main.py", "svc/notes.md", "lib/shared.py", "lib/pkg/__pycache__/x.pyc",
}

func baseImage() *config.Image {
	img := image("svc", "svc")
	img.Include = []config.Include{{From: "lib", To: "lib"}}
	img.Exclude = []string{"*.md"}
	img.Args = map[string]string{"PYVER": "3.12"}
	return img
}

func TestDigestSameForACopyElsewhere(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	mkTree(t, a, baseTree...)
	copyTree(t, a, b)
	up := map[string]string{"pybase": "sha256:" + strings.Repeat("1", 64)}
	ma := digestOf(t, testProject(a, "__pycache__"), baseImage(), up, nil)
	mb := digestOf(t, testProject(b, "__pycache__"), baseImage(), up, nil)
	if ma.Digest != mb.Digest {
		t.Fatalf("digests differ: %s, %s; %v", ma.Digest, mb.Digest, Explain(ma, mb))
	}
	if !strings.HasPrefix(ma.Digest, "sha256:") || len(ma.Digest) != 71 {
		t.Errorf("digest %q is not sha256:<hex>", ma.Digest)
	}
}

func TestDigestChanges(t *testing.T) {
	up := func() map[string]string { return map[string]string{"pybase": "sha256:" + strings.Repeat("1", 64)} }
	extra := func() map[string]string { return map[string]string{"DOCKER_TAG": "abc"} }
	tests := []struct {
		name    string
		change  func(root string, img *config.Image, up, extra map[string]string)
		changes bool
	}{
		{"nothing", func(string, *config.Image, map[string]string, map[string]string) {}, false},
		{"content", func(r string, _ *config.Image, _, _ map[string]string) { write(r, "svc/app/main.py", "x") }, true},
		{"included content", func(r string, _ *config.Image, _, _ map[string]string) { write(r, "lib/shared.py", "x") }, true},
		{"Dockerfile", func(r string, _ *config.Image, _, _ map[string]string) {
			write(r, "svc/Dockerfile", "FROM x\nCOPY . /\n")
		}, true},
		{"mode", func(r string, _ *config.Image, _, _ map[string]string) {
			os.Chmod(filepath.Join(r, "svc/app/main.py"), 0o755)
		}, true},
		{"setuid", func(r string, _ *config.Image, _, _ map[string]string) {
			os.Chmod(filepath.Join(r, "svc/app/main.py"), 0o644|fs.ModeSetuid)
		}, true},
		{"folder mode", func(r string, _ *config.Image, _, _ map[string]string) {
			os.Chmod(filepath.Join(r, "svc/empty"), 0o700)
		}, true},
		{"symlink target", func(r string, _ *config.Image, _, _ map[string]string) {
			os.Remove(filepath.Join(r, "svc/link"))
			os.Symlink("app/util.py", filepath.Join(r, "svc/link"))
		}, true},
		{"added file", func(r string, _ *config.Image, _, _ map[string]string) { write(r, "svc/app/new.py", "") }, true},
		{"added empty folder", func(r string, _ *config.Image, _, _ map[string]string) {
			os.Mkdir(filepath.Join(r, "svc/more"), 0o755)
		}, true},
		{"removed file", func(r string, _ *config.Image, _, _ map[string]string) {
			os.Remove(filepath.Join(r, "svc/app/util.py"))
		}, true},
		{"arg", func(_ string, img *config.Image, _, _ map[string]string) { img.Args["PYVER"] = "3.13" }, true},
		{"target", func(_ string, img *config.Image, _, _ map[string]string) { img.Target = "runtime" }, true},
		{"platform", func(_ string, img *config.Image, _, _ map[string]string) { img.Platform = "linux/arm64" }, true},
		{"platforms", func(_ string, img *config.Image, _, _ map[string]string) {
			img.Platforms = []string{"linux/amd64", "linux/arm64"}
		}, true},
		{"network", func(_ string, img *config.Image, _, _ map[string]string) { img.Network = "none" }, true},
		{"label", func(_ string, img *config.Image, _, _ map[string]string) { img.Labels = map[string]string{"a": "b"} }, true},
		{"dockerfile path", func(r string, img *config.Image, _, _ map[string]string) {
			write(r, "svc/Other", "FROM scratch\nCOPY . /\n")
			img.Dockerfile = "Other"
		}, true},
		{"upstream", func(_ string, _ *config.Image, up, _ map[string]string) {
			up["pybase"] = "sha256:" + strings.Repeat("2", 64)
		}, true},
		{"mtime touch", func(r string, _ *config.Image, _, _ map[string]string) {
			later := time.Now().Add(time.Hour)
			os.Chtimes(filepath.Join(r, "svc/app/main.py"), later, later)
		}, false},
		{"same content rewritten", func(r string, _ *config.Image, _, _ map[string]string) {
			write(r, "svc/app/main.py", "svc/app/main.py")
		}, false},
		{"excluded file", func(r string, _ *config.Image, _, _ map[string]string) { write(r, "svc/notes.md", "changed") }, false},
		{"excluded cache", func(r string, _ *config.Image, _, _ map[string]string) { write(r, "lib/pkg/__pycache__/y.pyc", "") }, false},
		{"extra args", func(_ string, _ *config.Image, _, extra map[string]string) { extra["DOCKER_TAG"] = "def" }, false},
		{"secret added", func(_ string, img *config.Image, _, _ map[string]string) {
			img.Secrets = []config.Secret{{ID: "npm", Env: "NPM_TOKEN"}}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			mkTree(t, root, baseTree...)
			p := testProject(root, "__pycache__")
			before := digestOf(t, p, baseImage(), up(), extra())
			img, u, x := baseImage(), up(), extra()
			tt.change(root, img, u, x)
			after := digestOf(t, p, img, u, x)
			if changed := before.Digest != after.Digest; changed != tt.changes {
				t.Errorf("digest changed: %v, want %v", changed, tt.changes)
			}
			if tt.changes && len(Explain(before, after)) == 0 {
				t.Errorf("no reason given for the change")
			}
		})
	}
}

func write(root, name, content string) {
	if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
		panic(err)
	}
}

func TestManifestArgs(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "Dockerfile")
	img := image("app", ".")
	p := testProject(root)
	s := newTestScanner(t, p)
	entries := contextOf(t, s, img)
	digest := func(b Build) *Manifest {
		m, err := s.Manifest(img, entries, b)
		must(t, err)
		return m
	}
	m := digest(Build{Args: map[string]string{"A": "1"}, ExtraArgs: map[string]string{"DOCKER_TAG": "abc"}})
	if got := m.BuildArgs(); len(got) != 2 || got["A"] != "1" || got["DOCKER_TAG"] != "abc" {
		t.Errorf("build args %v, want A and DOCKER_TAG", got)
	}
	if other := digest(Build{Args: map[string]string{"A": "1"}, ExtraArgs: map[string]string{"DOCKER_TAG": "def"}}); other.Digest != m.Digest {
		t.Errorf("an extra arg changed the digest")
	}
	if other := digest(Build{Args: map[string]string{"A": "2"}, ExtraArgs: map[string]string{"DOCKER_TAG": "abc"}}); other.Digest == m.Digest {
		t.Errorf("an arg did not change the digest")
	}
}

func TestManifestBases(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "Dockerfile")
	img := image("app", ".")
	s := newTestScanner(t, testProject(root))
	entries := contextOf(t, s, img)
	old, err := s.Manifest(img, entries, Build{Bases: []string{"python:3.11", "alpine:3.19"}})
	must(t, err)
	if want := []string{"alpine:3.19", "python:3.11"}; !slices.Equal(old.Bases, want) {
		t.Errorf("bases %q, want %q", old.Bases, want)
	}
	same, err := s.Manifest(img, entries, Build{Bases: []string{"alpine:3.19", "python:3.11", "alpine:3.19"}})
	must(t, err)
	if same.Digest != old.Digest {
		t.Errorf("the order of bases changed the digest")
	}
	cur, err := s.Manifest(img, entries, Build{Bases: []string{"python:3.12", "alpine:3.19"}})
	must(t, err)
	if cur.Digest == old.Digest {
		t.Fatalf("a new base left the digest")
	}
	if got, want := Explain(old, cur), []string{"FROM python:3.11 changed to python:3.12"}; !slices.Equal(got, want) {
		t.Errorf("Explain = %q, want %q", got, want)
	}
	if got := Diff(old, cur, func(n string) string { return n }); len(got) != 2 || got[0].String() != "FROM python:3.11 removed" {
		t.Errorf("Diff = %v", got)
	}
}

func TestManifestValues(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "Dockerfile=hi", "d/", "l -> Dockerfile")
	must(t, os.Chmod(filepath.Join(root, "d"), 0o750|fs.ModeSticky))
	m := digestOf(t, testProject(root), image("app", "."), nil, nil)
	want := map[string]string{
		"Dockerfile": "f 0644 2 8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4",
		"d":          "d 1750",
		"l":          `l 0777 "Dockerfile"`,
	}
	for k, v := range want {
		if got, _ := m.Files().Get(k); got != v {
			t.Errorf("Files[%q] = %q, want %q", k, got, v)
		}
	}
	if again := m.ComputeDigest(); again != m.Digest {
		t.Errorf("ComputeDigest = %s, Digest = %s", again, m.Digest)
	}
}

func TestNamedContexts(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "svc/Dockerfile", "shared/a", "shared/b.tmp", "shared/.dockerignore=*.tmp\n")
	img := image("svc", "svc")
	img.Contexts = map[string]string{"shared": "shared", "base": "image:pybase"}
	p := testProject(root)
	s := newTestScanner(t, p)
	entries, err := s.NamedContext(img, "shared")
	must(t, err)
	if got := strings.Join(names(entries), ","); got != ".dockerignore,a" {
		t.Errorf("named context shared: %s", got)
	}
	before := digestOf(t, p, img, nil, nil)
	if !strings.HasPrefix(before.Contexts["shared"], "dir sha256:") || before.Contexts["base"] != "image pybase" {
		t.Errorf("contexts %v", before.Contexts)
	}
	write(root, "shared/b.tmp", "ignored")
	if after := digestOf(t, p, img, nil, nil); after.Digest != before.Digest {
		t.Errorf("an ignored file of a named context changed the digest")
	}
	write(root, "shared/a", "changed")
	after := digestOf(t, p, img, nil, nil)
	if r := Explain(before, after); len(r) != 1 || r[0] != "named context shared changed" {
		t.Errorf("reasons %q", r)
	}
}
