package inputs

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imagemake/imagemake/internal/config"
)

// referenceDigest is ComputeDigest as its documentation writes it, one line at a time.
func referenceDigest(m *Manifest) string {
	h := sha256.New()
	line := func(key string, values ...string) {
		s := key
		for _, v := range values {
			s += " " + strconv.Itoa(len(v)) + ":" + v
		}
		h.Write([]byte(s + "\n"))
	}
	pairs := func(key string, m map[string]string) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			line(key, k, m[k])
		}
	}
	line("imagemake-inputs", strconv.Itoa(m.Version))
	line("dockerfile", m.Dockerfile)
	files := slices.Clone(m.Files())
	slices.SortStableFunc(files, func(a, b File) int { return ComparePaths(a.Name, b.Name) })
	for _, f := range files {
		line("entry", f.Name, f.Value)
	}
	pairs("arg", m.Args)
	line("target", m.Target)
	line("platform", m.Platform)
	line("network", m.Network)
	pairs("label", m.Labels)
	pairs("context", m.Contexts)
	pairs("upstream", m.Upstream)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func bigManifest(n int) *Manifest {
	files := map[string]string{}
	for i := range n {
		files[fmt.Sprintf("src/pkg%d/file%d.py", i%37, i)] = fmt.Sprintf("f 0644 %d %064x", i, i)
	}
	return &Manifest{
		Version: ManifestVersion, Image: "x", Dockerfile: "Dockerfile", files: FilesOf(files),
		Args: map[string]string{"A": "1", "B": ""}, Target: "t", Platform: "linux/amd64",
		Labels: map[string]string{"l": "v"}, Contexts: map[string]string{"c": "url x"},
		Upstream: map[string]string{"base": "sha256:00"},
	}
}

// The digester gathers lines into large writes: the digest must stay the documented one.
func TestComputeDigestMatchesEncoding(t *testing.T) {
	for _, n := range []int{0, 1, 10, 5000} {
		m := bigManifest(n)
		if got, want := m.ComputeDigest(), referenceDigest(m); got != want {
			t.Errorf("%d files: ComputeDigest %s, want %s", n, got, want)
		}
	}
}

// fingerprintOf is the fingerprint of m's digest input with entries for its files, as one
// part of the image's own, and cells their hash cells.
func fingerprintOf(m *Manifest, entries []Entry, cells []*hashCell) fingerprint {
	return partsFingerprint(m, ownList(entries), contextValues{cells: [][]*hashCell{cells}[:min(1, len(entries))]})
}

// fpEntries are n files for fingerprintOf: sizes and hashes differ from file to file.
func fpEntries(n int) ([]Entry, []*hashCell) {
	entries := make([]Entry, n)
	cells := make([]*hashCell, n)
	for i := range n {
		entries[i] = Entry{Name: fmt.Sprintf("src/pkg%d/file%d.py", i%37, i), Mode: 0o644, Size: int64(i)}
		cells[i] = &hashCell{}
		binary.BigEndian.PutUint64(cells[i].sum[24:], uint64(i))
	}
	slices.SortFunc(entries, byName)
	return entries, cells
}

// The fingerprint changes with every part of the digest's input.
func TestFingerprintCoversDigestInput(t *testing.T) {
	e, c := fpEntries(100)
	base := fingerprintOf(bigManifest(0), e, c)
	e, c = fpEntries(100)
	if again := fingerprintOf(bigManifest(0), e, c); again != base {
		t.Fatalf("fingerprint not stable: %v, %v", base, again)
	}
	for name, change := range map[string]func(m *Manifest, e []Entry, c []*hashCell) ([]Entry, []*hashCell){
		"version": func(m *Manifest, e []Entry, c []*hashCell) ([]Entry, []*hashCell) { m.Version++; return e, c },
		"dockerfile": func(m *Manifest, e []Entry, c []*hashCell) ([]Entry, []*hashCell) {
			m.Dockerfile = "Dockerfile.x"
			return e, c
		},
		"file mode": func(m *Manifest, e []Entry, c []*hashCell) ([]Entry, []*hashCell) { e[3].Mode = 0o755; return e, c },
		"file size": func(m *Manifest, e []Entry, c []*hashCell) ([]Entry, []*hashCell) { e[3].Size++; return e, c },
		"file hash": func(m *Manifest, e []Entry, c []*hashCell) ([]Entry, []*hashCell) { c[3].sum[0] = 1; return e, c },
		"file name": func(m *Manifest, e []Entry, c []*hashCell) ([]Entry, []*hashCell) { e[3].Name += "x"; return e, c },
		"file gone": func(m *Manifest, e []Entry, c []*hashCell) ([]Entry, []*hashCell) { return e[1:], c[1:] },
		"file type": func(m *Manifest, e []Entry, c []*hashCell) ([]Entry, []*hashCell) {
			e[3].Mode, e[3].Size, c[3] = fs.ModeSymlink|0o777, 0, nil
			return e, c
		},
		"arg":       func(m *Manifest, e []Entry, c []*hashCell) ([]Entry, []*hashCell) { m.Args["A"] = "2"; return e, c },
		"arg added": func(m *Manifest, e []Entry, c []*hashCell) ([]Entry, []*hashCell) { m.Args["C"] = ""; return e, c },
		"target":    func(m *Manifest, e []Entry, c []*hashCell) ([]Entry, []*hashCell) { m.Target = "u"; return e, c },
		"platform": func(m *Manifest, e []Entry, c []*hashCell) ([]Entry, []*hashCell) {
			m.Platform = "linux/arm64"
			return e, c
		},
		"network": func(m *Manifest, e []Entry, c []*hashCell) ([]Entry, []*hashCell) { m.Network = "host"; return e, c },
		"label":   func(m *Manifest, e []Entry, c []*hashCell) ([]Entry, []*hashCell) { m.Labels["l"] = "w"; return e, c },
		"context": func(m *Manifest, e []Entry, c []*hashCell) ([]Entry, []*hashCell) {
			m.Contexts["c"] = "url y"
			return e, c
		},
		"upstream": func(m *Manifest, e []Entry, c []*hashCell) ([]Entry, []*hashCell) {
			m.Upstream["base"] = "sha256:01"
			return e, c
		},
		"secret": func(m *Manifest, e []Entry, c []*hashCell) ([]Entry, []*hashCell) {
			m.Secrets = append(m.Secrets, "npm")
			return e, c
		},
	} {
		m := bigManifest(0)
		e, c := fpEntries(100)
		e, c = change(m, e, c)
		if fingerprintOf(m, e, c) == base {
			t.Errorf("%s: fingerprint unchanged", name)
		}
	}
}

func fpProject(t *testing.T) *config.Project {
	root := t.TempDir()
	mkTree(t, root, "a/Dockerfile", "a/x=12345", "a/sub/y", "lib/z", "lib/l -> z")
	p := testProject(root)
	a := image("a", "a")
	a.Include = []config.Include{{From: "lib", To: "lib"}}
	a.Args = map[string]string{"V": "1"}
	p.Images = []*config.Image{a}
	return p
}

// manifestRun is one run of Manifest for p's image, trusted as run is; it reports whether the
// digest came from the stat cache file.
func manifestRun(t *testing.T, p *config.Project, trusted bool) (m *Manifest, reused bool) {
	t.Helper()
	s, err := NewScanner(p)
	must(t, err)
	if trusted {
		s.start = time.Now().Add(time.Hour)
	}
	img := p.Images[0]
	prev, had := s.digests.recs[img.Name]
	m, err = s.Manifest(img, contextOf(t, s, img), Build{Upstream: map[string]string{"base": "sha256:aa"}, Args: img.Args})
	must(t, err)
	if full := referenceDigest(m); full != m.Digest {
		t.Fatalf("digest %s, a full computation gives %s", m.Digest, full)
	}
	must(t, s.Save())
	// A digest reused leaves the record as it was; one computed again replaces it.
	return m, had && prev == s.digests.recs[img.Name] && prev.sum == digestSum(t, m)
}

func digestSum(t *testing.T, m *Manifest) [32]byte {
	var sum [32]byte
	_, err := hex.Decode(sum[:], []byte(strings.TrimPrefix(m.Digest, "sha256:")))
	must(t, err)
	return sum
}

func TestDigestReused(t *testing.T) {
	p := fpProject(t)
	first, reused := manifestRun(t, p, true)
	if reused {
		t.Fatal("first run reused a digest")
	}
	again, reused := manifestRun(t, p, true)
	if !reused || again.Digest != first.Digest {
		t.Fatalf("no-op run: digest %s (reused %v), want %s reused", again.Digest, reused, first.Digest)
	}
	p.Images[0].Args["V"] = "2"
	changed, _ := manifestRun(t, p, true)
	if changed.Digest == first.Digest {
		t.Fatal("a changed build arg kept the digest")
	}
	p.Images[0].Args["V"] = "1"
	back, _ := manifestRun(t, p, true)
	if back.Digest != first.Digest {
		t.Fatalf("digest %s after the arg went back, want %s", back.Digest, first.Digest)
	}
}

// A file rewritten with content of the same size and its mtime set back is seen through its
// ctime (and inode): the digest changes, on a trusted run and after a racy one.
func TestDigestSeesSameSizeSameMtimeChange(t *testing.T) {
	for _, trusted := range []bool{true, false} {
		t.Run(fmt.Sprint("trusted=", trusted), func(t *testing.T) {
			p := fpProject(t)
			file := filepath.Join(p.Root, "a/x")
			fi, err := os.Stat(file)
			must(t, err)
			first, _ := manifestRun(t, p, trusted)
			manifestRun(t, p, trusted)
			time.Sleep(10 * time.Millisecond) // ctime moves on
			must(t, os.WriteFile(file, []byte("54321"), 0o644))
			must(t, os.Chtimes(file, fi.ModTime(), fi.ModTime()))
			changed, reused := manifestRun(t, p, trusted)
			if reused || changed.Digest == first.Digest {
				t.Fatalf("same size and mtime, new content: digest %s (reused %v), was %s", changed.Digest, reused, first.Digest)
			}
			// Replaced by another file (new inode), same content as at first, same mtime.
			tmp := file + ".new"
			must(t, os.WriteFile(tmp, []byte("12345"), 0o644))
			must(t, os.Chtimes(tmp, fi.ModTime(), fi.ModTime()))
			must(t, os.Rename(tmp, file))
			back, _ := manifestRun(t, p, trusted)
			if back.Digest != first.Digest {
				t.Fatalf("content back as it was: digest %s, want %s", back.Digest, first.Digest)
			}
		})
	}
}

// On racy runs the files are hashed every time, the digest still comes out the same and is
// reused once stored.
func TestDigestRacyRunsRehash(t *testing.T) {
	p := fpProject(t)
	first, _ := manifestRun(t, p, false)
	s, err := NewScanner(p)
	must(t, err)
	img := p.Images[0]
	m, err := s.Manifest(img, contextOf(t, s, img), Build{Upstream: map[string]string{"base": "sha256:aa"}, Args: img.Args})
	must(t, err)
	if st := s.Stats(); st.Hashed == 0 {
		t.Errorf("racy files were trusted: %+v", st)
	}
	if m.Digest != first.Digest {
		t.Errorf("digest %s, want %s", m.Digest, first.Digest)
	}
}

func TestStatCacheKeepsDigests(t *testing.T) {
	digests := map[string]digestRec{
		"a":   {fingerprint{1, 2}, [32]byte{3}},
		"b/c": {fingerprint{1 << 63, 1 << 31}, [32]byte{31: 9}},
	}
	dirs := map[string][]statRec{"a": {{name: "b", sum: [32]byte{1}}}}
	_, got, err := decodeCache(encodeCache("/root", dirs, digests), "/root")
	must(t, err)
	if !maps.Equal(got, digests) {
		t.Errorf("got %v, want %v", got, digests)
	}
	data := encodeCache("/root", dirs, digests)
	data[len(data)-20] ^= 1
	if _, _, err := decodeCache(data, "/root"); err != errCorrupt {
		t.Errorf("a flipped bit in the digests: %v, want errCorrupt", err)
	}
}

// A cache of version 1 (before digests) is still read: upgrading does not read every file again.
func TestStatCacheReadsVersion1(t *testing.T) {
	dirs := map[string][]statRec{"a": {{name: "b", sum: [32]byte{1}}}}
	v2 := encodeCache("/root", dirs, nil)
	v1 := append([]byte(nil), v2[:len(v2)-5]...) // no digests count, no CRC
	v1[len(cacheMagic)] = 1
	v1 = crcAppend(v1)
	folders, digests, err := decodeCache(v1, "/root")
	must(t, err)
	if len(folders) != 1 || len(folders["a"].records()) != 1 || len(digests) != 0 {
		t.Errorf("version 1: folders %v, digests %v", folders, digests)
	}
}

func crcAppend(b []byte) []byte {
	c := crc32Checksum(b)
	return append(b, byte(c), byte(c>>8), byte(c>>16), byte(c>>24))
}

func TestComparePathsWordwise(t *testing.T) {
	ref := func(a, b string) int {
		n := min(len(a), len(b))
		i := 0
		for i < n && a[i] == b[i] {
			i++
		}
		switch {
		case i == n:
			return len(a) - len(b)
		case a[i] == '/':
			return -1
		case b[i] == '/':
			return 1
		}
		return int(a[i]) - int(b[i])
	}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := "ab/-.z\x00\xff"
	word := func() string {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	for range 200000 {
		a := word()
		b := a[:r.IntN(len(a)+1)] + word()
		if got, want := ComparePaths(a, b), ref(a, b); got != want {
			t.Fatalf("ComparePaths(%q, %q) = %d, want %d", a, b, got, want)
		}
	}
}

func crc32Checksum(b []byte) uint32 { return crc32.Checksum(b, crcTable) }
