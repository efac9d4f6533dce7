package inputs

import (
	"hash/crc32"
	"maps"
	"sync"

	"github.com/cespare/xxhash/v2"
)

// A digest takes the sha256 of a few hundred thousand formatted lines on a large project: a
// no-op run would spend more on it than on anything but the stats. So each image's digest is
// kept in the stat cache file with a fingerprint of what it covers, and a later run whose
// fingerprint for the image is the same takes the digest from there.
//
// The fingerprint covers exactly what the digest does (ComputeDigest): the same head and
// tail lines, and each entry's name and value in order, those of a shared folder through the
// fingerprint of that folder's entries (see partsFingerprint); only the hash differs, a fast
// non-cryptographic one (XXH64 and CRC-32C side by side, 96 bits) over a binary encoding.
// It is a function of the digest's input, so a digest taken from the file is the one
// ComputeDigest would give: file hashes are trusted (or not, racy files) by the stat cache
// before they get here. The records are local to the machine and never leave it.
//
// The records are saved with the stat cache: when it is written anyway, or when an image had
// none. A digest that changed while no file did (a build arg, a deleted file) is not worth a
// write of its own: it is computed again until the next write.

// fingerprint is the fast hash of a digest's input.
type fingerprint struct {
	xx  uint64
	crc uint32
}

type digestRec struct {
	fp  fingerprint
	sum [32]byte
}

// digestCache is the loaded digests file plus what this run computed.
type digestCache struct {
	mu    sync.Mutex
	recs  map[string]digestRec // image -> its last digest and fingerprint
	added bool                 // an image had no record
}

func (c *digestCache) lookup(image string, fp fingerprint) ([32]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.recs[image]
	return r.sum, ok && r.fp == fp
}

func (c *digestCache) add(image string, fp fingerprint, sum [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.recs[image]; !ok {
		c.added = true
	}
	c.recs[image] = digestRec{fp, sum}
}

// fpHash writes what it is given to both hashes of a fingerprint.
type fpHash struct {
	xx  *xxhash.Digest
	crc uint32
}

func newFPHash() *fpHash { return &fpHash{xx: xxhash.New()} }

func (h *fpHash) Write(p []byte) (int, error) {
	h.xx.Write(p)
	h.crc = crc32.Update(h.crc, crcTable, p)
	return len(p), nil
}

func (h *fpHash) Sum(b []byte) []byte { return h.xx.Sum(b) }
func (h *fpHash) Reset()              { h.xx.Reset(); h.crc = 0 }
func (h *fpHash) Size() int           { return 8 }
func (h *fpHash) BlockSize() int      { return 32 }

// snapshot returns the records to save and whether an image had none before this run.
func (c *digestCache) snapshot() (map[string]digestRec, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.recs), c.added
}
