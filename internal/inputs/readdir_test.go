package inputs

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestReadDirPaths: a listing is sorted by name, each name the tail of its path on disk, and
// a symlink carries its target.
func TestReadDirPaths(t *testing.T) {
	dir := t.TempDir()
	mkTree(t, dir, "zeta", "b-c", "b/", "b.txt", "a -> b.txt", "Ä")
	ents, listed, err := readDir(dir)
	must(t, err)
	var names []string
	for _, d := range ents {
		names = append(names, d.name)
		if want := filepath.Join(dir, d.name); d.path != want {
			t.Errorf("%s: path %q, want %q", d.name, d.path, want)
		}
	}
	if want := []string{"a", "b", "b-c", "b.txt", "zeta", "Ä"}; !slices.Equal(names, want) || listed != len(want) {
		t.Errorf("names %q (%d listed), want %q", names, listed, want)
	}
	if ents[0].link != "b.txt" || ents[1].link != "" {
		t.Errorf("links %q %q, want the symlink's target only", ents[0].link, ents[1].link)
	}
}

// TestLoadCacheOutlivesItsFile: the records of a loaded cache stay readable after the file
// is replaced (as a save does) and removed.
func TestLoadCacheOutlivesItsFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), cacheFile)
	want := map[string][]statRec{"a": {{name: "b", st: fileStat{mode: 0o644, size: 3}, sum: [32]byte{7}}}}
	must(t, writeAtomic(file, encodeCache("/root", want, nil)))
	dirs, _, err := loadCache(file, "/root")
	must(t, err)
	must(t, writeAtomic(file, encodeCache("/root", nil, nil)))
	must(t, os.Remove(file))
	got := map[string][]statRec{}
	for k, f := range dirs {
		got[k] = f.records()
	}
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
