package inputs

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/imagemake/imagemake/internal/config"
)

// sharedProject is a project whose images share src/shared/lib: three with a folder of their
// own as context and the shared folder included (one of them at another place, one with an
// exclude of its own, one with a .dockerignore), three with the root as context and COPY
// lines naming their folder and the shared one (the root's .dockerignore applies to them).
func sharedProject(t *testing.T, root string) *config.Project {
	p := testProject(root, "__pycache__")
	for i := range 3 {
		svc := fmt.Sprintf("services/svc%d", i)
		mkTree(t, root, svc+"/Dockerfile=FROM scratch\nCOPY . /app\n", svc+"/main.py")
		img := image(fmt.Sprintf("svc%d", i), svc)
		img.Include = []config.Include{{From: "src/shared/lib"}}
		switch i {
		case 1:
			img.Include[0].To = "vendor/lib"
		case 2:
			img.Exclude = []string{"*.md"}
		}
		p.Images = append(p.Images, img)
	}
	mkTree(t, root, "services/svc0/.dockerignore=*.tmp\n", ".dockerignore=**/*.log\n")
	for i := range 3 {
		dir := fmt.Sprintf("apps/app%d", i)
		mkTree(t, root, dir+"/Dockerfile=FROM scratch\nCOPY "+dir+"/ /app/\nCOPY src/shared/lib /lib\n", dir+"/run.sh")
		img := image(fmt.Sprintf("app%d", i), ".")
		img.Dockerfile = dir + "/Dockerfile"
		p.Images = append(p.Images, img)
	}
	mkTree(t, root, "src/shared/lib/")
	return p
}

// treeEditor makes random changes below the project root, in the shared folder mostly.
type treeEditor struct {
	t    *testing.T
	root string
	rng  *rand.Rand
	n    int // names made so far
}

var editDirs = []string{"src/shared/lib", "src/shared/lib/a", "src/shared/lib/a/b", "src/shared/lib/c", "services/svc1", "apps/app2"}

// list lists the regular files, symlinks or folders below the edited folders.
func (e *treeEditor) list(want func(fs.FileMode) bool) []string {
	var out []string
	for _, dir := range []string{"src/shared/lib", "services/svc1", "apps/app2"} {
		filepath.WalkDir(filepath.Join(e.root, dir), func(p string, d fs.DirEntry, err error) error {
			base := filepath.Base(p)
			if err == nil && want(d.Type()) && p != filepath.Join(e.root, dir) && base != "Dockerfile" && base != ".dockerignore" {
				out = append(out, p)
			}
			return nil
		})
	}
	return out
}

func (e *treeEditor) pick(want func(fs.FileMode) bool) (string, bool) {
	l := e.list(want)
	if len(l) == 0 {
		return "", false
	}
	return l[e.rng.IntN(len(l))], true
}

func isRegular(m fs.FileMode) bool { return m.IsRegular() }
func isSymlink(m fs.FileMode) bool { return m&fs.ModeSymlink != 0 }
func isFolder(m fs.FileMode) bool  { return m.IsDir() }

// edit makes one random change and says which.
func (e *treeEditor) edit() string {
	e.n++
	exts := []string{".py", ".md", ".tmp", ".log", ""}
	newName := func() string {
		dir := editDirs[e.rng.IntN(len(editDirs))]
		if e.rng.IntN(8) == 0 {
			dir += "/__pycache__"
		}
		must(e.t, os.MkdirAll(filepath.Join(e.root, dir), 0o755))
		return filepath.Join(e.root, dir, "f"+strconv.Itoa(e.n)+exts[e.rng.IntN(len(exts))])
	}
	switch op := e.rng.IntN(10); op {
	case 0, 1:
		p := newName()
		must(e.t, os.WriteFile(p, []byte("new "+strconv.Itoa(e.n)), 0o644))
		return "add " + p
	case 2:
		if p, ok := e.pick(isRegular); ok {
			must(e.t, os.Remove(p))
			return "remove " + p
		}
	case 3:
		if p, ok := e.pick(isRegular); ok {
			old, err := os.ReadFile(p)
			must(e.t, err)
			b := slices.Clone(old)
			if len(b) > 0 && e.rng.IntN(2) == 0 {
				b[e.rng.IntN(len(b))] ^= 1 // same size
			} else {
				b = append(b, 'x')
			}
			must(e.t, os.WriteFile(p, b, 0o644))
			return "modify " + p
		}
	case 4:
		if p, ok := e.pick(isRegular); ok {
			fi, err := os.Stat(p)
			must(e.t, err)
			must(e.t, os.Chmod(p, fi.Mode().Perm()^0o111))
			return "chmod " + p
		}
	case 5:
		p, ok := e.pick(isSymlink)
		if !ok {
			p = newName()
		}
		os.Remove(p)
		must(e.t, os.Symlink("target"+strconv.Itoa(e.n), p))
		return "symlink " + p
	case 6:
		if p, ok := e.pick(isRegular); ok {
			q := filepath.Join(filepath.Dir(p), "renamed"+strconv.Itoa(e.n)+path.Ext(p))
			must(e.t, os.Rename(p, q))
			return "rename " + p
		}
	case 7:
		if p, ok := e.pick(isFolder); ok && e.rng.IntN(3) == 0 {
			must(e.t, os.RemoveAll(p))
			return "remove folder " + p
		}
		p := newName()
		must(e.t, os.MkdirAll(p, 0o755))
		return "add folder " + p
	case 8:
		ignores := []string{"services/svc0/.dockerignore", ".dockerignore"}
		patterns := []string{"*.tmp", "**/*.log", "a", "**/b", "!a/keep.py", "c/*.md", "*.py\n!main.py"}
		p := filepath.Join(e.root, ignores[e.rng.IntN(len(ignores))])
		must(e.t, os.WriteFile(p, []byte(patterns[e.rng.IntN(len(patterns))]+"\n"), 0o644))
		return "ignore file " + p
	}
	p := newName()
	must(e.t, os.WriteFile(p, nil, 0o644))
	return "add empty " + p
}

// slowFiles is the manifest value of each entry made the slow way: every file read now.
func slowFiles(t *testing.T, entries []Entry) Files {
	out := make(Files, 0, len(entries))
	for _, e := range entries {
		perm := fmt.Sprintf("%04o", unixMode(e.Mode))
		switch {
		case e.IsDir():
			out = append(out, File{e.Name, "d " + perm})
		case e.IsLink():
			out = append(out, File{e.Name, "l " + perm + " " + strconv.Quote(e.Link)})
		default:
			data, err := os.ReadFile(e.Src)
			must(t, err)
			out = append(out, File{e.Name, fmt.Sprintf("f %s %d %x", perm, len(data), sha256.Sum256(data))})
		}
	}
	return out
}

// TestSharedFolderDigestIsTheEntries edits a tree at random, the folder several images share
// mostly, and checks after each edit, for every image, that the digest Inputs gives (through
// the shared folders' fingerprints, in a first run and in a second one that finds the digests
// kept) is the one computed the slow way from its entries, and changes exactly when they do.
func TestSharedFolderDigestIsTheEntries(t *testing.T) {
	root := t.TempDir()
	p := sharedProject(t, root)
	e := &treeEditor{t: t, root: root, rng: rand.New(rand.NewPCG(12, 8))}
	for range 30 {
		e.edit()
	}
	prev := map[string]Files{}
	prevDigest := map[string]string{}
	edits := 300
	if testing.Short() {
		edits = 60
	}
	for i := range edits {
		what := e.edit()
		for runs := range 2 {
			s, err := NewScanner(p)
			must(t, err)
			if i%2 == 0 {
				s.start = s.start.Add(racyWindow + 1) // files trusted by the stat cache
			}
			s.Prefetch(p.Images)
			for _, img := range p.Images {
				l, m, err := s.Inputs(img, Build{})
				must(t, err)
				if l.Len() != len(l.Entries()) {
					t.Fatalf("image %s: Len %d, %d entries", img.Name, l.Len(), len(l.Entries()))
				}
				want := slowFiles(t, l.Entries())
				ref := *m
				ref.lazy, ref.files = nil, want
				if got := referenceDigest(&ref); m.Digest != got {
					t.Fatalf("edit %d (%s), run %d, image %s: digest %s, from its entries %s", i, what, runs, img.Name, m.Digest, got)
				}
				if !slices.Equal(m.Files(), want) {
					t.Fatalf("edit %d (%s), image %s: manifest files differ from the entries'", i, what, img.Name)
				}
				if runs == 0 && prev[img.Name] != nil && slices.Equal(prev[img.Name], want) != (prevDigest[img.Name] == m.Digest) {
					t.Fatalf("edit %d (%s), image %s: entries equal %v, digest equal %v", i, what, img.Name,
						slices.Equal(prev[img.Name], want), prevDigest[img.Name] == m.Digest)
				}
				prev[img.Name], prevDigest[img.Name] = want, m.Digest
			}
			must(t, s.Save())
		}
	}
}

// TestSharedFolderIsDigestedOnce checks that images including the same folder under the same
// rules share its values and fingerprint: the second image asks for none of its files again.
func TestSharedFolderIsDigestedOnce(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "a/Dockerfile", "b/Dockerfile", "lib/x.py", "lib/sub/y.py", "lib/sub/z.py")
	a, b := image("a", "a"), image("b", "b")
	a.Include = []config.Include{{From: "lib"}}
	b.Include = []config.Include{{From: "lib"}}
	p := testProject(root)
	p.Images = []*config.Image{a, b}
	s := newTestScanner(t, p)
	_, ma, err := s.Inputs(a, Build{})
	must(t, err)
	before := s.Stats().Reused
	c, err := s.context(b)
	must(t, err)
	walks := 0
	for _, pt := range c.parts {
		if pt.t != nil && pt.t.sum.cells != nil {
			walks++
		}
	}
	if walks != 1 {
		t.Fatalf("b's context has %d parts already digested, want 1 (lib): %+v", walks, c.parts)
	}
	_, mb, err := s.Inputs(b, Build{})
	must(t, err)
	if got := s.Stats().Reused - before; got != 3 {
		t.Errorf("b reused %d hashes of lib, want 3", got)
	}
	if ma.Digest == mb.Digest || len(ma.Files()) != len(mb.Files()) {
		t.Errorf("a and b: %s %d files, %s %d files", ma.Digest, len(ma.Files()), mb.Digest, len(mb.Files()))
	}
}

// TestLazyManifestIsRecordedWithItsFiles records a manifest whose files are listed on first
// need and reads it back: the files are in it, and explain names a changed one.
func TestLazyManifestIsRecordedWithItsFiles(t *testing.T) {
	root := t.TempDir()
	p := sharedProject(t, root)
	mkTree(t, root, "src/shared/lib/x.py=1")
	img := p.Images[0]
	st := OpenState(root)
	_, m, err := newTestScanner(t, p).Inputs(img, Build{})
	must(t, err)
	must(t, st.Record(m, true))
	got, err := st.Load(img.Name, m.Digest)
	must(t, err)
	if got == nil || !slices.Equal(got.Files(), m.Files()) || len(got.Files()) == 0 {
		t.Fatalf("recorded manifest: %v, want the %d files of the manifest", got, len(m.Files()))
	}
	mkTree(t, root, "src/shared/lib/x.py=2")
	_, cur, err := newTestScanner(t, p).Inputs(img, Build{})
	must(t, err)
	if r := ExplainAt(got, cur, func(n string) string { return n }); !slices.Contains(r, "file changed: src/shared/lib/x.py") {
		t.Errorf("reasons %q, want file changed: src/shared/lib/x.py", r)
	}
}
