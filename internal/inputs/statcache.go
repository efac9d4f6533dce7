package inputs

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The stat cache, .imagemake/statcache, maps each file hashed in an earlier run to its stat
// and content hash; a file whose stat still matches is not read again. Its format, all
// integers as Go's (u)varints unless said otherwise:
//
//	"IMSTATC\n"                     magic, 8 bytes
//	uvarint version                 cacheVersion; another version is discarded silently
//	uvarint len, bytes              project root; another root ("foreign") is discarded silently
//	uvarint count
//	count records, sorted by path:
//	  uvarint shared, uvarint len, bytes   path relative to the root: the first `shared` bytes
//	                                       are the previous record's, then these bytes
//	  uvarint size, varint mtime ns, varint ctime ns, uvarint inode, uvarint mode (Go's FileMode)
//	  32 bytes                             sha256 of the content
//	4 bytes                         CRC-32C of everything before, little endian
//
// A file that does not parse is corrupt: discarded with a warning.
const (
	cacheMagic   = "IMSTATC\n"
	cacheVersion = 1
	cacheFile    = "statcache"
	// racyWindow: a file changed less than this before the run started may change again
	// within the file system's timestamp granularity without its stat showing it (git's
	// "racy" files), so its hash is used in this run but not saved.
	racyWindow = 2 * time.Second
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

type statRec struct {
	st  fileStat
	sum [32]byte
}

// statCache is the loaded cache plus what this run learnt. recs is read-only once loaded,
// so lookups take no lock.
type statCache struct {
	recs  map[string]statRec // from the file
	stale atomic.Bool        // some record of recs was found stale

	mu       sync.Mutex
	fresh    map[string]statRec // hashed in this run and old enough to trust later
	staleKey []string
}

func (c *statCache) lookup(key string, st fileStat) ([32]byte, bool) {
	r, ok := c.recs[key]
	if ok && r.st == st {
		return r.sum, true
	}
	if ok {
		c.stale.Store(true)
		c.mu.Lock()
		c.staleKey = append(c.staleKey, key)
		c.mu.Unlock()
	}
	return [32]byte{}, false
}

func (c *statCache) add(key string, r statRec) {
	c.mu.Lock()
	c.fresh[key] = r
	c.mu.Unlock()
}

// changed tells whether saving would write anything new. A file deleted since it was cached
// does not count: its record goes at the next save that has something to write.
func (c *statCache) changed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stale.Load() || len(c.fresh) > 0
}

var errCorrupt = errors.New("corrupt")

// loadCache reads the cache file; a missing, foreign or other-version file gives an empty
// cache and a nil error, a corrupt one an empty cache and errCorrupt.
func loadCache(file, root string) (map[string]statRec, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]statRec{}, nil
	}
	if err != nil {
		return map[string]statRec{}, err
	}
	recs, err := decodeCache(data, root)
	if err != nil {
		return map[string]statRec{}, err
	}
	return recs, nil
}

func decodeCache(data []byte, root string) (map[string]statRec, error) {
	if len(data) < len(cacheMagic)+4 || string(data[:len(cacheMagic)]) != cacheMagic {
		return nil, errCorrupt
	}
	d := decoder{buf: data[len(cacheMagic) : len(data)-4]}
	if v := d.uvarint(); d.err != nil {
		return nil, errCorrupt
	} else if v != cacheVersion {
		return map[string]statRec{}, nil
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return nil, errCorrupt
	}
	if r := d.bytes(); d.err != nil {
		return nil, errCorrupt
	} else if string(r) != root {
		return map[string]statRec{}, nil
	}
	return d.records()
}

type decoder struct {
	buf []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.err, d.buf = errCorrupt, nil
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.buf)
	if n <= 0 {
		d.err, d.buf = errCorrupt, nil
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.buf)) {
		d.err, d.buf = errCorrupt, nil
		return nil
	}
	b := d.buf[:n]
	d.buf = d.buf[n:]
	return b
}

func (d *decoder) records() (map[string]statRec, error) {
	count := d.uvarint()
	if count > uint64(len(d.buf)) {
		return nil, errCorrupt
	}
	recs := make(map[string]statRec, count)
	var key []byte
	for i := uint64(0); i < count && d.err == nil; i++ {
		shared := d.uvarint()
		if shared > uint64(len(key)) {
			return nil, errCorrupt
		}
		key = append(key[:shared], d.bytes()...)
		r := statRec{st: fileStat{size: int64(d.uvarint()), mtime: d.varint(), ctime: d.varint(), ino: d.uvarint(), mode: fs.FileMode(d.uvarint())}}
		if len(d.buf) < len(r.sum) {
			return nil, errCorrupt
		}
		d.buf = d.buf[copy(r.sum[:], d.buf):]
		recs[string(key)] = r
	}
	if d.err != nil || len(d.buf) != 0 {
		return nil, errCorrupt
	}
	return recs, nil
}

func encodeCache(root string, recs map[string]statRec) []byte {
	keys := make([]string, 0, len(recs))
	for k := range recs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := append(make([]byte, 0, 64+len(keys)*80), cacheMagic...)
	b = binary.AppendUvarint(b, cacheVersion)
	b = appendBytes(b, root)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	prev := ""
	for _, k := range keys {
		r := recs[k]
		shared := commonPrefix(prev, k)
		b = binary.AppendUvarint(b, uint64(shared))
		b = appendBytes(b, k[shared:])
		b = binary.AppendUvarint(b, uint64(r.st.size))
		b = binary.AppendVarint(b, r.st.mtime)
		b = binary.AppendVarint(b, r.st.ctime)
		b = binary.AppendUvarint(b, r.st.ino)
		b = binary.AppendUvarint(b, uint64(r.st.mode))
		b = append(b, r.sum[:]...)
		prev = k
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crcTable))
}

func appendBytes(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// merged is what the next save writes: the loaded records minus the stale ones and those of
// files the listings of this run show gone, plus the fresh ones.
func (c *statCache) merged(root string, dirs *dirCache) map[string]statRec {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]statRec, len(c.recs)+len(c.fresh))
	for k, r := range c.recs {
		abs := absKey(root, k)
		if found, known := dirs.has(filepath.Dir(abs), filepath.Base(abs)); known && !found {
			continue
		}
		out[k] = r
	}
	for _, k := range c.staleKey {
		delete(out, k)
	}
	for k, r := range c.fresh {
		out[k] = r
	}
	return out
}

// cacheKey is the key of an absolute path: relative to the root when below it.
func cacheKey(root, abs string) string {
	if strings.HasPrefix(abs, root) && len(abs) > len(root) && os.IsPathSeparator(abs[len(root)]) {
		return abs[len(root)+1:]
	}
	return abs
}

func absKey(root, key string) string {
	if filepath.IsAbs(key) {
		return key
	}
	return filepath.Join(root, key)
}

// writeAtomic replaces file with data through a temporary file and a rename, so that a
// reader sees the old content or the new one, never a mix.
func writeAtomic(file string, data []byte) error {
	dir := filepath.Dir(file)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(file)+".tmp*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), file)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
