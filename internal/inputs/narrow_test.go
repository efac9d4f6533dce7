package inputs

import (
	"cmp"
	"reflect"
	"strings"
	"testing"

	"github.com/imagemake/imagemake/internal/config"
)

var narrowTests = []struct {
	name       string
	tree       []string
	dockerfile string // relative to the context; its content is the last tree spec's
	want       []string
	context    string // "." when empty
}{
	{
		name: "root context with -f sub/Dockerfile",
		tree: []string{"README.md", "pyproject.toml", "bin/run", "sub/src/a.py", "sub/src/pkg/b.py", "sub/tests/t.py", "other/x",
			"sub/Dockerfile=FROM scratch\nCOPY ./sub/src/ /app/\nCOPY ./bin /bin\nCOPY pyproject.toml /\n"},
		dockerfile: "sub/Dockerfile",
		want:       []string{"bin/", "bin/run", "pyproject.toml", "sub/", "sub/Dockerfile", "sub/src/", "sub/src/a.py", "sub/src/pkg/", "sub/src/pkg/b.py"},
	},
	{
		name:       "globs",
		tree:       []string{"a.txt", "b.txt", "c.md", "d/e.txt", "src/x/main.go", "src/x/doc.md", "Dockerfile=FROM scratch\nCOPY *.txt src/**/*.go /d/\n"},
		dockerfile: "Dockerfile",
		want:       []string{"Dockerfile", "a.txt", "b.txt", "src/", "src/x/", "src/x/main.go"},
	},
	{
		name:       "nothing read keeps the Dockerfile and ignore file",
		tree:       []string{"a", ".dockerignore=x\n", "Dockerfile=FROM scratch\nRUN true\n"},
		dockerfile: "Dockerfile",
		want:       []string{".dockerignore", "Dockerfile"},
	},
	{
		name:       "the Dockerfile's own ignore file",
		tree:       []string{"a", ".dockerignore=x\n", "app.Dockerfile.dockerignore=b\n", "app.Dockerfile=FROM scratch\nCOPY a /a\n"},
		dockerfile: "app.Dockerfile",
		want:       []string{"a", "app.Dockerfile", "app.Dockerfile.dockerignore"},
	},
	{
		name:       "ignored file under a copied folder stays out",
		tree:       []string{"src/a.py", "src/secret.env", ".dockerignore=**/*.env\n", "Dockerfile=FROM scratch\nCOPY src /src\n"},
		dockerfile: "Dockerfile",
		want:       []string{".dockerignore", "Dockerfile", "src/", "src/a.py"},
	},
	{
		name:       "symlink on the way is followed",
		tree:       []string{"real/app/m.py", "real/other", "app -> real/app", "Dockerfile=FROM scratch\nCOPY app/ /app/\n"},
		dockerfile: "Dockerfile",
		want:       []string{"Dockerfile", "app -> real/app", "real/", "real/app/", "real/app/m.py"},
	},
	{
		name:       "COPY . keeps everything",
		tree:       []string{"a", "b/c", "Dockerfile=FROM scratch\nCOPY . /\n"},
		dockerfile: "Dockerfile",
		want:       []string{"Dockerfile", "a", "b/", "b/c"},
	},
	{
		name:       "bind mount and ARG",
		tree:       []string{"tools/t", "svc/x", "svc/y/z", "Dockerfile=FROM alpine\nARG S=svc\nCOPY $S/y /y\nRUN --mount=source=tools,target=/t true\n"},
		dockerfile: "Dockerfile",
		want:       []string{"Dockerfile", "svc/", "svc/y/", "svc/y/z", "tools/", "tools/t"},
	},
	{
		// docker build -f x.Dockerfile app: the Dockerfile and its own ignore file, which wins
		// over the context's, come under DockerfileDir.
		name: "Dockerfile outside the context, its own ignore file", dockerfile: "../x.Dockerfile", context: "app",
		tree: []string{"app/a/1", "app/a/2", "app/b", "app/c", "app/.dockerignore=a\n", "x.Dockerfile.dockerignore=a/2\n",
			"x.Dockerfile=FROM scratch\nCOPY a b /d/\n"},
		want: []string{".imagemake-dockerfile/", ".imagemake-dockerfile/x.Dockerfile", ".imagemake-dockerfile/x.Dockerfile.dockerignore",
			"a/", "a/1", "b"},
	},
	{
		name: "Dockerfile outside the context, the context's ignore file", dockerfile: "../docker/x.Dockerfile", context: "app",
		tree: []string{"app/a/1", "app/a/2", "app/c", "app/.dockerignore=a/2\n", "docker/x.Dockerfile=FROM scratch\nCOPY a /d/\n"},
		want: []string{".dockerignore", ".imagemake-dockerfile/", ".imagemake-dockerfile/x.Dockerfile", "a/", "a/1"},
	},
}

func TestNarrowedContext(t *testing.T) {
	for _, tt := range narrowTests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			mkTree(t, root, tt.tree...)
			p := testProject(root)
			img := &config.Image{Name: "x", Context: cmp.Or(tt.context, "."), Dockerfile: tt.dockerfile}
			got := names(contextOf(t, newTestScanner(t, p), img))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("context\n got  %q\n want %q", got, tt.want)
			}
		})
	}
}

// An edit outside what the Dockerfile reads leaves the digest; an edit inside changes it.
func TestNarrowedDigest(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "README.md", "sub/src/a.py", "sub/Dockerfile=FROM scratch\nCOPY sub/src /app\n")
	p := testProject(root)
	img := &config.Image{Name: "x", Context: ".", Dockerfile: "sub/Dockerfile"}
	before := digestOf(t, p, img, nil, nil).Digest
	mkTree(t, root, "README.md=changed", "new-file")
	if after := digestOf(t, p, img, nil, nil).Digest; after != before {
		t.Errorf("README.md changed the digest")
	}
	mkTree(t, root, "sub/src/a.py=changed")
	if after := digestOf(t, p, img, nil, nil).Digest; after == before {
		t.Errorf("sub/src/a.py did not change the digest")
	}
}

func TestGitWarning(t *testing.T) {
	tests := []struct {
		name, dockerfile, ignore string
		want                     string
	}{
		{"whole context with .git", "FROM scratch\nCOPY . /\n", "", `image "x": the whole repository root is its context and .git is not ignored (line 2: COPY .): every commit rebuilds it; add .git to .dockerignore`},
		{".git ignored", "FROM scratch\nCOPY . /\n", ".git\n", ""},
		{"narrowed context", "FROM scratch\nCOPY src /src\n", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			mkTree(t, root, ".git/HEAD", "src/a", "Dockerfile="+tt.dockerfile)
			if tt.ignore != "" {
				mkTree(t, root, ".dockerignore="+tt.ignore)
			}
			s := newTestScanner(t, testProject(root))
			s.Prefetch([]*config.Image{{Name: "x", Context: ".", Dockerfile: "Dockerfile"}})
			got := strings.Join(s.Warnings(), "\n")
			if got != tt.want {
				t.Errorf("warnings\n got  %q\n want %q", got, tt.want)
			}
		})
	}
}

// The project's state folder is never sent, whether the context is narrowed or whole.
func TestStateDirNeverInContext(t *testing.T) {
	for _, df := range []string{"FROM scratch\nCOPY . /\n", "FROM scratch\nCOPY .imagemake a /x/\n"} {
		root := t.TempDir()
		mkTree(t, root, "a", StateDir+"/statcache", "Dockerfile="+df)
		got := names(contextOf(t, newTestScanner(t, testProject(root)), image("x", ".")))
		for _, n := range got {
			if strings.HasPrefix(n, StateDir) {
				t.Errorf("%q: context holds %s", df, n)
			}
		}
	}
}

// The binary-search narrowing of plain paths keeps exactly what matching every entry keeps.
func TestNarrowPlainSameAsMatched(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "Dockerfile", "a-b/x", "a.c", "a/b/c", "a/b/d", "a/bb", "b/a/x", "b/ab", "c/d/e/f", "c/d/g", ".dockerignore")
	entries := contextOf(t, newTestScanner(t, testProject(root)), image("x", "."))
	for _, includes := range [][]string{{"a"}, {"a/b"}, {"a/b/c", "b"}, {"c/d/e"}, {"missing", "a.c"}, {"a", "a/b"}, {}} {
		plain := narrowPlain(entries, includes, []string{"Dockerfile", ".dockerignore"})
		matched, err := narrowMatched(entries, includes, []string{"Dockerfile", ".dockerignore"})
		must(t, err)
		if !reflect.DeepEqual(names(plain), names(matched)) {
			t.Errorf("%q:\n plain   %q\n matched %q", includes, names(plain), names(matched))
		}
	}
}

// Walking only the paths read gives what walking the whole context and narrowing it gives.
func TestReadContextSameAsWhole(t *testing.T) {
	cases := append([]struct {
		name       string
		tree       []string
		dockerfile string
		want       []string
		context    string // "." when empty
	}{
		{name: "excluded folder above, a file re-included", dockerfile: "Dockerfile",
			tree: []string{"build/keep.txt", "build/drop.txt", "build/sub/x", ".dockerignore=build\n!build/keep.txt\n",
				"Dockerfile=FROM scratch\nCOPY build/keep.txt build/sub /d/\n"}},
		{name: "excluded Dockerfile, missing path, state folder", dockerfile: "docker/Dockerfile",
			tree: []string{"a/b", "docker/other", ".imagemake/statcache", ".dockerignore=docker\n",
				"docker/Dockerfile=FROM scratch\nCOPY a missing .imagemake /d/\n"}},
		{name: "symlinked file and folder", dockerfile: "Dockerfile",
			tree: []string{"real/f", "real/d/g", "lf -> real/f", "ld -> real/d", "Dockerfile=FROM scratch\nCOPY lf ld/g /d/\n"}},
		{name: "own ignore file excluded", dockerfile: "x.Dockerfile",
			tree: []string{"a", "x.Dockerfile.dockerignore=x.Dockerfile.dockerignore\n", ".dockerignore=b\n", "x.Dockerfile=FROM scratch\nCOPY a /\n"}},
	}, narrowTests...)
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			mkTree(t, root, tt.tree...)
			s := newTestScanner(t, testProject(root))
			img := &config.Image{Name: "x", Context: cmp.Or(tt.context, "."), Dockerfile: tt.dockerfile}
			ctxDir := s.abs(img.Context)
			df, err := s.dockerfileOf(img)
			must(t, err)
			m, err := s.contextMatcher(img, ctxDir, &df)
			must(t, err)
			wholeList, err := s.wholeContext(img, m, ctxDir, df)
			must(t, err)
			whole := wholeList.Entries()
			srcs, ok := s.readSources(img, ctxDir)
			if !ok {
				return // globs or COPY .: the whole context is walked anyway
			}
			readList, err := s.readContext(m, srcs, ctxDir, df)
			must(t, err)
			read := readList.Entries()
			if !reflect.DeepEqual(names(read), names(whole)) {
				t.Errorf("walking the paths read\n got  %q\n want %q", names(read), names(whole))
			}
			for i := range read {
				if i < len(whole) && (read[i].Mode != whole[i].Mode || read[i].Src != whole[i].Src) {
					t.Errorf("%s: %v %s, whole context has %v %s", read[i].Name, read[i].Mode, read[i].Src, whole[i].Mode, whole[i].Src)
				}
			}
		})
	}
}
