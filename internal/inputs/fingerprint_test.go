package inputs

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/crc32"
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

// The fingerprint changes with every part of the digest's input.
func TestFingerprintCoversDigestInput(t *testing.T) {
	base := fingerprintOf(bigManifest(100))
	if again := fingerprintOf(bigManifest(100)); again != base {
		t.Fatalf("fingerprint not stable: %v, %v", base, again)
	}
	for name, change := range map[string]func(m *Manifest){
		"version":    func(m *Manifest) { m.Version++ },
		"dockerfile": func(m *Manifest) { m.Dockerfile = "Dockerfile.x" },
		"file value": func(m *Manifest) { m.files[3].Value = "f 0755" + m.files[3].Value[6:] },
		"file name":  func(m *Manifest) { m.files[3].Name += "x" },
		"file gone":  func(m *Manifest) { m.files = m.files[1:] },
		"name/value": func(m *Manifest) { m.files[3].Name, m.files[3].Value = m.files[3].Name+"f", m.files[3].Value[1:] },
		"arg":        func(m *Manifest) { m.Args["A"] = "2" },
		"arg added":  func(m *Manifest) { m.Args["C"] = "" },
		"target":     func(m *Manifest) { m.Target = "u" },
		"platform":   func(m *Manifest) { m.Platform = "linux/arm64" },
		"network":    func(m *Manifest) { m.Network = "host" },
		"label":      func(m *Manifest) { m.Labels["l"] = "w" },
		"context":    func(m *Manifest) { m.Contexts["c"] = "url y" },
		"upstream":   func(m *Manifest) { m.Upstream["base"] = "sha256:01" },
		"secret":     func(m *Manifest) { m.Secrets = append(m.Secrets, "npm") },
	} {
		m := bigManifest(100)
		change(m)
		if fingerprintOf(m) == base {
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
