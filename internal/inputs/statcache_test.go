package inputs

import (
	"encoding/binary"
	"hash/crc32"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imagemake/imagemake/internal/config"
)

// run scans and hashes every image of p once, saves, and returns the scanner.
func run(t *testing.T, p *config.Project, trusted bool) *Scanner {
	t.Helper()
	s, err := NewScanner(p)
	must(t, err)
	if trusted {
		s.start = time.Now().Add(time.Hour)
	}
	for _, img := range p.Images {
		_, err := s.Manifest(img, contextOf(t, s, img), Build{})
		must(t, err)
	}
	must(t, s.Save())
	return s
}

func cacheProject(t *testing.T) *config.Project {
	root := t.TempDir()
	mkTree(t, root, "a/Dockerfile", "a/x", "a/sub/y", "b/Dockerfile", "lib/z")
	p := testProject(root)
	a, b := image("a", "a"), image("b", "b")
	b.Include = []config.Include{{From: "lib", To: "lib"}}
	p.Images = []*config.Image{a, b}
	return p
}

func TestStatCache(t *testing.T) {
	p := cacheProject(t)
	if st := run(t, p, true).Stats(); st.Hashed != 5 || st.CacheHits != 0 {
		t.Fatalf("first run: %+v, want 5 hashed", st)
	}
	if st := run(t, p, true).Stats(); st.Hashed != 0 || st.CacheHits != 5 {
		t.Fatalf("no-op run: %+v, want 0 hashed, 5 cache hits", st)
	}
	write(p.Root, "lib/z", "changed")
	if st := run(t, p, true).Stats(); st.Hashed != 1 || st.CacheHits != 4 {
		t.Fatalf("after a change: %+v, want 1 hashed", st)
	}
	if st := run(t, p, true).Stats(); st.Hashed != 0 {
		t.Fatalf("after the change was saved: %+v, want 0 hashed", st)
	}
}

func TestStatCacheSkipsRacyFiles(t *testing.T) {
	p := cacheProject(t)
	run(t, p, false) // every file changed just now: nothing is trusted later
	if st := run(t, p, true).Stats(); st.Hashed != 5 {
		t.Fatalf("after a run on fresh files: %+v, want 5 hashed", st)
	}
}

func TestStatCacheSavesOnlyWhenChanged(t *testing.T) {
	p := cacheProject(t)
	run(t, p, true)
	file := filepath.Join(p.Root, StateDir, cacheFile)
	before, err := os.Stat(file)
	must(t, err)
	must(t, os.Remove(filepath.Join(p.Root, "a/x"))) // a deletion alone is not worth a write
	run(t, p, true)
	after, err := os.Stat(file)
	must(t, err)
	if !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("the cache was rewritten on a run that learnt nothing")
	}
	des, err := os.ReadDir(filepath.Dir(file))
	must(t, err)
	if len(des) != 1 {
		t.Errorf("state dir holds %d files, want the cache alone", len(des))
	}
}

func TestStatCacheDropsGoneFiles(t *testing.T) {
	p := cacheProject(t)
	run(t, p, true)
	must(t, os.Remove(filepath.Join(p.Root, "a/x")))
	write(p.Root, "a/sub/y", "changed")
	run(t, p, true)
	dirs, _, err := loadCache(filepath.Join(p.Root, StateDir, cacheFile), p.Root)
	must(t, err)
	var got []string
	for dk, f := range dirs {
		for _, r := range f.records() {
			got = append(got, filepath.Join(dk, r.name))
		}
	}
	slices.Sort(got)
	if want := []string{"a/Dockerfile", "a/sub/y", "b/Dockerfile", "lib/z"}; !slices.Equal(got, want) {
		t.Errorf("cache holds %q, want %q", got, want)
	}
}

func TestStatCacheDiscarded(t *testing.T) {
	tests := []struct {
		name    string
		mangle  func(data []byte, root string) []byte
		warning string
	}{
		{"truncated", func(d []byte, _ string) []byte { return d[:len(d)/2] }, "corrupt"},
		{"flipped bit", func(d []byte, _ string) []byte { d[len(d)-10] ^= 1; return d }, "corrupt"},
		{"garbage", func([]byte, string) []byte { return []byte("hello") }, "corrupt"},
		{"empty", func([]byte, string) []byte { return nil }, "corrupt"},
		{"foreign root", func(_ []byte, root string) []byte {
			return encodeCache(root+"-elsewhere", map[string][]statRec{"a": {{name: "x"}}}, nil)
		}, ""},
		{"other version", func(d []byte, _ string) []byte { d[len(cacheMagic)] = 99; return d }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := cacheProject(t)
			run(t, p, true)
			file := filepath.Join(p.Root, StateDir, cacheFile)
			data, err := os.ReadFile(file)
			must(t, err)
			must(t, os.WriteFile(file, tt.mangle(data, p.Root), 0o644))
			s := run(t, p, true)
			if st := s.Stats(); st.Hashed != 5 {
				t.Errorf("stats %+v, want every file hashed", st)
			}
			w := strings.Join(s.Warnings(), "\n")
			if (tt.warning == "") != (w == "") || !strings.Contains(w, tt.warning) || strings.Contains(w, "\n") {
				t.Errorf("warnings %q, want one line with %q", w, tt.warning)
			}
			if st := run(t, p, true).Stats(); st.Hashed != 0 {
				t.Errorf("the cache was not rewritten: %+v", st)
			}
		})
	}
}

func TestStatCacheRoundTrip(t *testing.T) {
	dirs := map[string][]statRec{
		"a": {
			{name: "b", st: fileStat{mode: 0o644, size: 3, mtime: -5, ctime: 1 << 60, ino: 7}, sum: [32]byte{1}},
			{name: "bc", st: fileStat{mode: 0o755, size: 1 << 40}},
		},
		".":       {{name: "top"}},
		"a/b/c":   {{name: "x"}, {name: "xy"}, {name: "y"}},
		"/abs/zz": {{name: "q", sum: [32]byte{31: 9}}},
	}
	folders, _, err := decodeCache(encodeCache("/root", dirs, nil), "/root")
	must(t, err)
	got := map[string][]statRec{}
	for k, f := range folders {
		got[k] = f.records()
	}
	if !maps.EqualFunc(got, dirs, slices.Equal) {
		t.Errorf("got  %+v\nwant %+v", got, dirs)
	}
}

// FuzzDecodeCache feeds the stat cache decoder well-checksummed garbage: it must not panic,
// and what it accepts must decode folder by folder without panicking either.
func FuzzDecodeCache(f *testing.F) {
	good := encodeCache("/r", map[string][]statRec{".": {{name: "a"}, {name: "ab"}}, "x/y": {{name: "z"}}}, nil)
	f.Add(good[len(cacheMagic)+1+3 : len(good)-4])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, rest []byte) {
		b := append([]byte(cacheMagic), 1)
		b = appendBytes(b, "/r")
		b = append(b, rest...)
		b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crcTable))
		dirs, _, err := decodeCache(b, "/r")
		if err != nil {
			return
		}
		for _, f := range dirs {
			f.records()
		}
	})
}

// TestStatCacheOlderVersionKeepsHashesNotDigests reads a version 3 file (fingerprints of
// another encoding): its hashes are used, its digests are not, and the run writes the file
// again with this version's, so that the next run reuses them.
func TestStatCacheOlderVersionKeepsHashesNotDigests(t *testing.T) {
	p := cacheProject(t)
	run(t, p, true)
	file := filepath.Join(p.Root, StateDir, cacheFile)
	data, err := os.ReadFile(file)
	must(t, err)
	data = data[:len(data)-4]
	data[len(cacheMagic)] = 3
	must(t, os.WriteFile(file, binary.LittleEndian.AppendUint32(data, crc32.Checksum(data, crcTable)), 0o644))
	_, digests, err := loadCache(file, p.Root)
	must(t, err)
	if len(digests) != 0 {
		t.Fatalf("version 3 digests kept: %v", digests)
	}
	if st := run(t, p, true).Stats(); st.Hashed != 0 {
		t.Errorf("version 3 hashes not used: %+v", st)
	}
	again, err := os.ReadFile(file)
	must(t, err)
	if again[len(cacheMagic)] != cacheVersion {
		t.Errorf("the file was not written again at version %d", cacheVersion)
	}
}
