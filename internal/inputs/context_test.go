package inputs

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/imagemake/imagemake/internal/config"
)

func TestContextExclusions(t *testing.T) {
	tests := []struct {
		name       string
		tree       []string
		ignore     string   // .dockerignore content; "" for none
		global     []string // project exclude
		exclude    []string // image exclude
		dockerfile string
		want       []string
	}{{
		name: "no exclusions, empty folder kept",
		tree: []string{"Dockerfile", "a/b.txt", "empty/"},
		want: []string{"Dockerfile", "a/", "a/b.txt", "empty/"},
	}, {
		name:   "dockerignore pattern and its re-inclusion",
		tree:   []string{"Dockerfile", "README.md", "NOTES.md", "x.txt"},
		ignore: "*.md\n!README.md\n",
		want:   []string{".dockerignore", "Dockerfile", "README.md", "x.txt"},
	}, {
		name:   "double star at any depth",
		tree:   []string{"Dockerfile", "a.pyc", "p/q/r.pyc", "p/q/r.py"},
		ignore: "**/*.pyc",
		want:   []string{".dockerignore", "Dockerfile", "p/", "p/q/", "p/q/r.py"},
	}, {
		name:   "a name without slash in .dockerignore matches at the root only",
		tree:   []string{"Dockerfile", "node_modules/x.js", "web/node_modules/y.js"},
		ignore: "node_modules",
		want:   []string{".dockerignore", "Dockerfile", "web/", "web/node_modules/", "web/node_modules/y.js"},
	}, {
		name:   "double star node_modules matches nested",
		tree:   []string{"Dockerfile", "node_modules/x.js", "web/node_modules/y.js", "web/app.js"},
		ignore: "**/node_modules",
		want:   []string{".dockerignore", "Dockerfile", "web/", "web/app.js"},
	}, {
		name:   "excluded folder kept only as the parent of what is re-included",
		tree:   []string{"Dockerfile", "build/keep.txt", "build/drop.txt", "build/sub/x", "gen/a"},
		ignore: "build\n!build/keep.txt\ngen\n",
		want:   []string{".dockerignore", "Dockerfile", "build/", "build/keep.txt"},
	}, {
		name:   "re-inclusion with a glob below an excluded folder",
		tree:   []string{"Dockerfile", "out/a/keep.txt", "out/a/x.bin", "out/b/y.bin"},
		ignore: "out\n!out/**/*.txt\n",
		want:   []string{".dockerignore", "Dockerfile", "out/", "out/a/", "out/a/keep.txt"},
	}, {
		name:   "excluded Dockerfile is still sent",
		tree:   []string{"Dockerfile", "a"},
		ignore: "Dockerfile\n",
		want:   []string{".dockerignore", "Dockerfile", "a"},
	}, {
		name:       "Dockerfile in a pruned folder is sent with its folders",
		tree:       []string{"docker/Dockerfile", "docker/other", "a"},
		ignore:     "docker\n",
		dockerfile: "docker/Dockerfile",
		want:       []string{".dockerignore", "a", "docker/", "docker/Dockerfile"},
	}, {
		name:   ".dockerignore excluding itself",
		tree:   []string{"Dockerfile", "a"},
		ignore: ".dockerignore\n",
		want:   []string{"Dockerfile", "a"},
	}, {
		name:   "global excludes without slash match at any depth",
		tree:   []string{"Dockerfile", "__pycache__/a.pyc", "pkg/__pycache__/b.pyc", "pkg/m.py", "pkg/x.egg-info/PKG", "node_modules/n"},
		global: []string{"__pycache__", "*.egg-info", "node_modules"},
		want:   []string{"Dockerfile", "pkg/", "pkg/m.py"},
	}, {
		name:   "global excludes with a slash are relative to the context",
		tree:   []string{"Dockerfile", "sub/tmp/x", "a/sub/tmp/y"},
		global: []string{"sub/tmp"},
		want:   []string{"Dockerfile", "a/", "a/sub/", "a/sub/tmp/", "a/sub/tmp/y", "sub/"},
	}, {
		name:    "image excludes add to the global ones and can re-include",
		tree:    []string{"Dockerfile", "a.md", "b/c.md", "d.log", "keep.log"},
		global:  []string{"*.log"},
		exclude: []string{"*.md", "!keep.log"},
		want:    []string{"Dockerfile", "b/", "keep.log"},
	}, {
		name:   "a dockerignore re-inclusion does not beat a global exclude",
		tree:   []string{"Dockerfile", "web/node_modules/y.js"},
		ignore: "!web/node_modules\n",
		global: []string{"node_modules"},
		want:   []string{".dockerignore", "Dockerfile", "web/"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			mkTree(t, root, tt.tree...)
			if tt.ignore != "" {
				mkTree(t, root, ".dockerignore="+tt.ignore)
			}
			img := image("app", ".")
			img.Exclude = tt.exclude
			if tt.dockerfile != "" {
				img.Dockerfile = tt.dockerfile
			}
			got := names(contextOf(t, newTestScanner(t, testProject(root, tt.global...)), img))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestContextDockerfileIgnore(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "ctx/docker/app.Dockerfile", "ctx/docker/app.Dockerfile.dockerignore=*.md\n",
		"ctx/.dockerignore=a\n", "ctx/a", "ctx/b.md")
	img := image("app", "ctx")
	img.Dockerfile = "docker/app.Dockerfile"
	got := names(contextOf(t, newTestScanner(t, testProject(root)), img))
	want := []string{".dockerignore", "a", "docker/", "docker/app.Dockerfile", "docker/app.Dockerfile.dockerignore"}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestContextIncludes(t *testing.T) {
	tests := []struct {
		name    string
		tree    []string
		include []config.Include
		global  []string
		want    []string
		err     string
	}{{
		name:    "folder include lands at its path, parents made up",
		tree:    []string{"svc/Dockerfile", "src/luamods/http.lua", "src/luamods/sub/x.lua"},
		include: []config.Include{{From: "src/luamods", To: "src/luamods"}},
		want:    []string{"Dockerfile", "src/", "src/luamods/", "src/luamods/http.lua", "src/luamods/sub/", "src/luamods/sub/x.lua"},
	}, {
		name:    "to renames, and merges with a context folder",
		tree:    []string{"svc/Dockerfile", "svc/etc/own.conf", "conf/nginx/nginx.conf"},
		include: []config.Include{{From: "conf/nginx", To: "etc"}},
		want:    []string{"Dockerfile", "etc/", "etc/nginx.conf", "etc/own.conf"},
	}, {
		name:    "file include, winning over the context's file",
		tree:    []string{"svc/Dockerfile", "svc/app.conf=old", "shared/app.conf=new"},
		include: []config.Include{{From: "shared/app.conf", To: "app.conf"}},
		want:    []string{"Dockerfile", "app.conf"},
	}, {
		name:    "patterns apply at the in-context path",
		tree:    []string{"svc/Dockerfile", "lib/a.py", "lib/__pycache__/a.pyc", "lib/tests/t.py"},
		include: []config.Include{{From: "lib", To: "vendor/lib"}},
		global:  []string{"__pycache__", "vendor/lib/tests"},
		want:    []string{"Dockerfile", "vendor/", "vendor/lib/", "vendor/lib/a.py"},
	}, {
		name:    "an include root that is a symlink to a folder is followed",
		tree:    []string{"svc/Dockerfile", "real/x", "alias -> real"},
		include: []config.Include{{From: "alias", To: "lib"}},
		want:    []string{"Dockerfile", "lib/", "lib/x"},
	}, {
		name:    "to defaults to from",
		tree:    []string{"svc/Dockerfile", "src/a"},
		include: []config.Include{{From: "src"}},
		want:    []string{"Dockerfile", "src/", "src/a"},
	}, {
		name:    "folder over a file is an error",
		tree:    []string{"svc/Dockerfile", "svc/etc", "conf/x"},
		include: []config.Include{{From: "conf", To: "etc"}},
		err:     "etc is a file in",
	}, {
		name:    "include below a file is an error",
		tree:    []string{"svc/Dockerfile", "svc/etc", "conf/x"},
		include: []config.Include{{From: "conf", To: "etc/nginx"}},
		err:     "etc/nginx lands below etc, which is a file",
	}, {
		name:    "missing include names it",
		tree:    []string{"svc/Dockerfile"},
		include: []config.Include{{From: "nowhere", To: "x"}},
		err:     "include nowhere",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			mkTree(t, root, tt.tree...)
			img := image("svc", "svc")
			img.Include = tt.include
			entries, err := newTestScanner(t, testProject(root, tt.global...)).Context(img)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			must(t, err)
			if got := names(entries); !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestContextKeepsSymlinksAndSkipsSpecialFiles(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "Dockerfile", "real/x", "dirlink -> real", "filelink -> real/x", "dangling -> nowhere")
	if err := mkfifo(filepath.Join(root, "fifo")); err != nil {
		t.Logf("no fifo: %v", err)
	}
	got := names(contextOf(t, newTestScanner(t, testProject(root)), image("app", ".")))
	want := []string{"Dockerfile", "dangling -> nowhere", "dirlink -> real", "filelink -> real/x", "real/", "real/x"}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestContextNeverHoldsStateDir(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "Dockerfile", ".imagemake/statcache=x", "sub/.imagemake/kept")
	got := names(contextOf(t, newTestScanner(t, testProject(root)), image("app", ".")))
	want := []string{"Dockerfile", "sub/", "sub/.imagemake/", "sub/.imagemake/kept"}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestContextErrors(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "a/x", "b/Dockerfile", "c/Dockerfile", "c/.dockerignore=[\n")
	tests := []struct {
		img  *config.Image
		want string
	}{
		{image("nodf", "a"), "dockerfile Dockerfile not found"},
		{image("noctx", "missing"), "missing"},
		{&config.Image{Name: "out", Context: "b", Dockerfile: "../Dockerfile"}, "Dockerfile not found"},
		{&config.Image{Name: "outroot", Context: "b", Dockerfile: "../../Dockerfile"}, "outside the project root"},
		{image("badignore", "c"), ".dockerignore"},
		{&config.Image{Name: "badexclude", Context: "b", Exclude: []string{"["}}, `exclude of image "badexclude"`},
	}
	for _, tt := range tests {
		_, err := newTestScanner(t, testProject(root)).Context(tt.img)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.img.Name, err, tt.want)
		}
	}
}

func TestUnreadableFileIsNamed(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads everything")
	}
	root := t.TempDir()
	mkTree(t, root, "Dockerfile", "secret")
	must(t, os.Chmod(filepath.Join(root, "secret"), 0))
	s := newTestScanner(t, testProject(root))
	img := image("app", ".")
	_, err := s.Manifest(img, contextOf(t, s, img), Build{})
	if err == nil || !strings.Contains(err.Error(), "secret") {
		t.Fatalf("error %v, want one naming secret", err)
	}
}

func TestSharedFoldersAreReadOnce(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "a/Dockerfile", "b/Dockerfile", "lib/x", "lib/y", "lib/sub/z")
	p := testProject(root)
	s := newTestScanner(t, p)
	for _, name := range []string{"a", "b"} {
		img := image(name, name)
		img.Include = []config.Include{{From: "lib", To: "lib"}}
		_, err := s.Manifest(img, contextOf(t, s, img), Build{})
		must(t, err)
	}
	st := s.Stats()
	// Folders: a, b, lib, lib/sub. Files hashed: 2 Dockerfiles + 3 in lib.
	if st.Listed != 4 || st.Hashed != 5 || st.Reused != 3 {
		t.Errorf("stats %+v, want 4 listed, 5 hashed, 3 reused", st)
	}
}

func TestFileGoneBeforeHashingIsNamed(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "Dockerfile", "sub/gone")
	s := newTestScanner(t, testProject(root))
	img := image("app", ".")
	entries := contextOf(t, s, img)
	must(t, os.Remove(filepath.Join(root, "sub/gone")))
	_, err := s.Manifest(img, entries, Build{})
	if err == nil || !strings.HasPrefix(err.Error(), "sub/gone: ") {
		t.Fatalf("error %v, want one naming sub/gone", err)
	}
}
