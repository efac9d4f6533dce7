package inputs

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/imagemake/imagemake/internal/config"
)

// liveProject is two images including one shared folder, with an excluded name in it.
func liveProject(t *testing.T) (string, *Scanner, []*Manifest, func() []*Manifest) {
	t.Helper()
	root := t.TempDir()
	mkTree(t, root, "a/Dockerfile=FROM scratch\nCOPY . /\n", "b/Dockerfile=FROM scratch\nCOPY . /\n",
		"shared/x.txt=x", "shared/y.txt=y", "shared/notes.md=n", "other/z.txt=z")
	p := testProject(root, "*.md", "__pycache__") // two patterns: a walk's key holds a NUL between them
	imgs := []*config.Image{image("a", "a"), image("b", "b")}
	for _, img := range imgs {
		img.Include = []config.Include{{From: "shared", To: "shared"}}
	}
	s := newTestScanner(t, p)
	liveNow = func() time.Time { return time.Now().Add(time.Hour) }
	t.Cleanup(func() { liveNow = time.Now })
	plan := func() []*Manifest {
		var out []*Manifest
		for _, img := range imgs {
			m, err := s.Manifest(img, contextOf(t, s, img), Build{})
			must(t, err)
			out = append(out, m)
		}
		return out
	}
	return root, s, plan(), plan
}

func TestForgetReadsOnlyTheChangedFolder(t *testing.T) {
	root, s, before, plan := liveProject(t)
	listed, hashed := s.Stats().Listed, s.Stats().Hashed
	changed := filepath.Join(root, "shared/x.txt")
	if !s.Matters(changed) {
		t.Fatalf("a kept file of two images does not matter")
	}
	must(t, os.WriteFile(changed, []byte("changed"), 0o644))
	s.Forget([]string{changed})
	after := plan()
	if got := s.Stats().Listed - listed; got != 1 {
		t.Errorf("listed %d folders again, want 1 (shared)", got)
	}
	if got := s.Stats().Hashed - hashed; got != 1 {
		t.Errorf("hashed %d files again, want 1 (x.txt)", got)
	}
	for i, m := range after {
		if m.Digest == before[i].Digest {
			t.Errorf("image %d: digest unchanged after an edit of a shared file", i)
		}
		fresh := newTestScanner(t, s.project)
		img := image(m.Image, m.Image)
		img.Include = []config.Include{{From: "shared", To: "shared"}}
		want, err := fresh.Manifest(img, contextOf(t, fresh, img), Build{})
		must(t, err)
		if m.Digest != want.Digest {
			t.Errorf("image %s: digest %s after Forget, a fresh scan says %s", m.Image, m.Digest, want.Digest)
		}
	}
}

func TestMatters(t *testing.T) {
	root, s, _, _ := liveProject(t)
	for _, c := range []struct {
		path string
		want bool
	}{
		{"shared/y.txt", true},
		{"shared/new.txt", true},   // new in a listed folder: the walk may keep it
		{"shared/notes.md", false}, // excluded by exclude:, and listed
		{"other/z.txt", false},     // in no context
		{"a", true},                // a context folder itself
		{".imagemake/statcache", false},
	} {
		if got := s.Matters(filepath.Join(root, c.path)); got != c.want {
			t.Errorf("Matters(%s) = %v, want %v", c.path, got, c.want)
		}
	}
}

func TestForgetRemovedFolder(t *testing.T) {
	root, s, before, plan := liveProject(t)
	gone := filepath.Join(root, "shared")
	must(t, os.Rename(gone, filepath.Join(root, "moved")))
	s.Forget([]string{gone})
	if _, err := s.Context(image("a", "a")); err != nil {
		t.Fatalf("a context without its include: %v", err)
	}
	must(t, os.Rename(filepath.Join(root, "moved"), gone))
	s.Forget([]string{gone})
	if after := plan(); after[0].Digest != before[0].Digest {
		t.Errorf("digest %s after the folder came back, want %s", after[0].Digest, before[0].Digest)
	}
}

// TestSettleSavesOnlyWhatIsNew: a kept scanner that saved writes the stat cache again only when a
// later run learnt a hash.
func TestSettleSavesOnlyWhatIsNew(t *testing.T) {
	root, s, _, plan := liveProject(t)
	must(t, s.Save())
	must(t, s.Settle())
	file := filepath.Join(root, StateDir, cacheFile)
	before, err := os.Stat(file)
	must(t, err)
	s.Forget([]string{filepath.Join(root, "other/z.txt")})
	plan()
	if s.cache.changed() {
		t.Fatal("a run that learnt nothing would save the stat cache")
	}
	changed := filepath.Join(root, "shared/y.txt")
	must(t, os.WriteFile(changed, []byte("changed"), 0o644))
	s.Forget([]string{changed})
	plan()
	must(t, s.Save())
	after, err := os.Stat(file)
	must(t, err)
	if !after.ModTime().After(before.ModTime()) && after.Size() == before.Size() {
		t.Error("a run that hashed a changed file did not save the stat cache")
	}
	must(t, s.Settle())
	if s.cache.changed() {
		t.Error("changed after Settle")
	}
}
