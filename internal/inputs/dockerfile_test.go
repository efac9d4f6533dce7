package inputs

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/dockerfile"
)

func TestBuildDockerfile(t *testing.T) {
	for df, want := range map[string]string{
		"":                          "Dockerfile",
		"./sub/Dockerfile":          "sub/Dockerfile",
		"../base.Dockerfile":        ".imagemake-dockerfile/base.Dockerfile",
		"../../docker/x/Dockerfile": ".imagemake-dockerfile/Dockerfile",
		"sub/../../x.Dockerfile":    ".imagemake-dockerfile/x.Dockerfile",
	} {
		if got := BuildDockerfile(df); got != want {
			t.Errorf("BuildDockerfile(%q) = %q, want %q", df, got, want)
		}
	}
}

// A Dockerfile outside the context (docker build -f docker/base.Dockerfile docker/base) comes
// under DockerfileDir with its content, read from its real path: a COPY . context holds it
// there, its own ignore file beside it wins over the context's, and the digest covers both.
func TestDockerfileOutsideContext(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "docker/base/a", "docker/base/b", "docker/base/.dockerignore=a\n",
		"docker/base.Dockerfile.dockerignore=b\n", "docker/base.Dockerfile=FROM scratch\nCOPY . /app\n")
	p := testProject(root)
	img := &config.Image{Name: "base", Context: "docker/base", Dockerfile: "../base.Dockerfile"}
	entries := contextOf(t, newTestScanner(t, p), img)
	want := []string{".dockerignore", ".imagemake-dockerfile/", ".imagemake-dockerfile/base.Dockerfile",
		".imagemake-dockerfile/base.Dockerfile.dockerignore", "a"}
	if got := names(entries); !reflect.DeepEqual(got, want) {
		t.Fatalf("context\n got  %q\n want %q", got, want)
	}
	for _, e := range entries {
		if e.DockerfileOnly != InDockerfileDir(e.Name) {
			t.Errorf("%s: DockerfileOnly %v, want it set exactly under %s", e.Name, e.DockerfileOnly, DockerfileDir)
		}
		if e.Name == ".imagemake-dockerfile" && (e.Src != "" || e.Mode.Perm() != 0o755) {
			t.Errorf("%s: src %q mode %v, want a made-up folder", e.Name, e.Src, e.Mode)
		}
		if e.Name == ".imagemake-dockerfile/base.Dockerfile" && e.Src != filepath.Join(root, "docker", "base.Dockerfile") {
			t.Errorf("%s: src %q, want the Dockerfile's path", e.Name, e.Src)
		}
	}
	m := digestOf(t, p, img, nil, nil)
	if m.Dockerfile != ".imagemake-dockerfile/base.Dockerfile" {
		t.Errorf("manifest Dockerfile = %q", m.Dockerfile)
	}
	for _, edit := range []string{"docker/base.Dockerfile=FROM scratch\nCOPY . /srv\n", "docker/base.Dockerfile.dockerignore=b\n# x\n"} {
		before := m.Digest
		mkTree(t, root, edit)
		if m = digestOf(t, p, img, nil, nil); m.Digest == before {
			t.Errorf("editing %s left the digest", strings.Split(edit, "=")[0])
		}
	}
}

// The context's .dockerignore counts when the Dockerfile outside the context has none of its own.
func TestDockerfileOutsideContextIgnoreFile(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "app/a", "app/b", "app/.dockerignore=a\n", "x.Dockerfile=FROM scratch\nCOPY . /app\n")
	img := &config.Image{Name: "x", Context: "app", Dockerfile: "../x.Dockerfile"}
	got := names(contextOf(t, newTestScanner(t, testProject(root)), img))
	want := []string{".dockerignore", ".imagemake-dockerfile/", ".imagemake-dockerfile/x.Dockerfile", "b"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("context\n got  %q\n want %q", got, want)
	}
}

// A context that holds DockerfileDir itself cannot take a Dockerfile from outside.
func TestDockerfileDirTaken(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "app/.imagemake-dockerfile/x", "x.Dockerfile=FROM scratch\nCOPY . /app\n")
	img := &config.Image{Name: "x", Context: "app", Dockerfile: "../x.Dockerfile"}
	_, err := newTestScanner(t, testProject(root)).Context(img)
	if err == nil || !strings.Contains(err.Error(), "the context holds .imagemake-dockerfile") {
		t.Fatalf("err = %v", err)
	}
	if err := os.RemoveAll(filepath.Join(root, "app", ".imagemake-dockerfile")); err != nil {
		t.Fatal(err)
	}
	if _, err := newTestScanner(t, testProject(root)).Context(img); err != nil {
		t.Fatal(err)
	}
}

// A Dockerfile the ignore rules exclude (and the folder made for it) is in the entries, marked
// DockerfileOnly so that the builder keeps it out of what COPY sees; both with the whole
// context (COPY .) and with a narrowed one.
func TestDockerfileExcludedIsDockerfileOnly(t *testing.T) {
	for name, copyLine := range map[string]string{"whole": "COPY . /x/", "narrowed": "COPY a /x/"} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			mkTree(t, root, "app/a", "app/.dockerignore=build\n", "app/build/Dockerfile=FROM scratch\n"+copyLine+"\n")
			p := testProject(root)
			img := &config.Image{Name: "app", Context: "app", Dockerfile: "build/Dockerfile"}
			only := map[string]bool{}
			for _, e := range contextOf(t, newTestScanner(t, p), img) {
				only[e.Name] = e.DockerfileOnly
			}
			want := map[string]bool{"a": false, "build": true, "build/Dockerfile": true, ".dockerignore": false}
			if !reflect.DeepEqual(only, want) {
				t.Errorf("entries (name: DockerfileOnly) %v, want %v", only, want)
			}
		})
	}
}

// A Scanner given the project load's parsed Dockerfiles reads what they say, without reading
// and parsing the files again (the file on disk changed since: the given parse wins).
func TestScannerUsesParsedDockerfiles(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "app/a", "app/b", "app/Dockerfile=FROM scratch\nCOPY . /x/\n")
	info, err := dockerfile.Parse([]byte("FROM scratch\nCOPY a /x/\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	img := &config.Image{Name: "app", Context: "app", Dockerfile: "Dockerfile"}
	s, err := NewScanner(testProject(root), WithDockerfiles(map[string]*dockerfile.Info{"app": info}))
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Reads(img); r.Whole != "" || !reflect.DeepEqual(r.Paths, []string{"a"}) {
		t.Errorf("reads %+v, want the given parse's a", r)
	}
}
