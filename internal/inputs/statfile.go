package inputs

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// The stat cache file, .imagemake/statcache, holds for each file hashed in an earlier run its
// stat and content hash, grouped by folder. Integers are Go's (u)varints unless said otherwise;
// a string is uvarint length + bytes; a "prefixed" string is uvarint n + string, meaning the
// previous one's first n bytes followed by the string:
//
//	"IMSTATC\n"                    magic, 8 bytes
//	uvarint version                cacheVersion; a later version is discarded silently
//	string root                    project root; another root ("foreign") is discarded silently
//	uvarint folders
//	per folder, sorted by key:
//	  prefixed key                 folder relative to the root ("." for the root itself),
//	                               absolute when outside it
//	  uvarint files
//	  uvarint length               of the records that follow, in bytes
//	  per file, sorted by name:
//	    prefixed name              relative to the previous name in the folder
//	    uvarint size, varint mtime ns, varint ctime ns, uvarint inode, uvarint mode (Go FileMode)
//	    32 bytes                   sha256 of the content
//	uvarint images                 version 2 on: the digests (see partsFingerprint)
//	per image, sorted by name:
//	  string name
//	  8 bytes XXH64, 4 bytes CRC-32C, little endian: the fingerprint of its digest's input
//	  32 bytes                     sha256 of the digest
//	4 bytes                        CRC-32C of everything before, little endian
//
// A file of version 1 to 3 is read too, its digests left out: the fingerprints of versions 2
// and 3 are of other encodings (one part per image; values as text), version 1 has none. The
// version changes with the fingerprint's encoding, so that a digest kept under the old one is
// not computed again on every run until the file is written for another reason.
//
// A file that does not check or parse is corrupt: discarded with a warning. Loading checks
// the CRC and indexes the folders; a folder's records are decoded when a listing of that
// folder first asks for them, so that a run pays for the folders it visits, in parallel.
const (
	cacheMagic   = "IMSTATC\n"
	cacheVersion = 4
	cacheFile    = "statcache"
)

var (
	crcTable   = crc32.MakeTable(crc32.Castagnoli)
	errCorrupt = errors.New("corrupt")
)

// folder is the records of one folder, decoded on first use.
type folder struct {
	once  sync.Once
	files int
	data  []byte
	recs  []statRec // sorted by name
}

func (f *folder) records() []statRec {
	f.once.Do(func() {
		d := decoder{buf: f.data}
		f.recs = d.records(f.files)
		if d.err != nil || len(d.buf) != 0 {
			f.recs = nil // the CRC matched: only a bug writes this
		}
	})
	return f.recs
}

// each calls fn with each record in name order, decoding as it goes: the name is valid
// during the call only. A listing matches its names against a folder's records this way,
// making no string nor slice of records.
func (f *folder) each(fn func(name []byte, st *fileStat, sum *[32]byte)) {
	d := decoder{buf: f.data}
	var name []byte
	var st fileStat
	var sum [32]byte
	for range f.files {
		shared := d.uvarint()
		if shared > uint64(len(name)) {
			return
		}
		name = append(name[:shared], d.bytes()...)
		st = fileStat{size: int64(d.uvarint()), mtime: d.varint(), ctime: d.varint(), ino: d.uvarint(), mode: fs.FileMode(d.uvarint())}
		if d.err != nil || len(d.buf) < len(sum) {
			return
		}
		d.buf = d.buf[copy(sum[:], d.buf):]
		fn(name, &st, &sum)
	}
}

// loadCache reads the cache file (folders and digests); a missing, foreign or other-version file
// gives an empty cache and a nil error, a corrupt one an empty cache and errCorrupt, one that
// cannot be read (a folder, unreadable) an empty cache and a *damagedError.
func loadCache(file, root string) (map[string]*folder, map[string]digestRec, error) {
	data, err := readStateFile(filepath.Join(root, StateDir), file)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]*folder{}, map[string]digestRec{}, nil
	}
	if err != nil {
		return map[string]*folder{}, map[string]digestRec{}, err
	}
	dirs, digests, err := decodeCache(data, root)
	if err != nil {
		return map[string]*folder{}, map[string]digestRec{}, err
	}
	return dirs, digests, nil
}

func decodeCache(data []byte, root string) (map[string]*folder, map[string]digestRec, error) {
	if len(data) < len(cacheMagic)+4 || string(data[:len(cacheMagic)]) != cacheMagic {
		return nil, nil, errCorrupt
	}
	d := decoder{buf: data[len(cacheMagic) : len(data)-4]}
	version := d.uvarint()
	switch {
	case d.err != nil:
		return nil, nil, errCorrupt
	case version > cacheVersion || version == 0:
		return map[string]*folder{}, map[string]digestRec{}, nil
	case crc32.Checksum(data[:len(data)-4], crcTable) != binary.LittleEndian.Uint32(data[len(data)-4:]):
		return nil, nil, errCorrupt
	}
	r := d.bytes()
	switch {
	case d.err != nil:
		return nil, nil, errCorrupt
	case string(r) != root:
		return map[string]*folder{}, map[string]digestRec{}, nil
	}
	dirs := d.folders()
	digests := map[string]digestRec{}
	if version >= 2 {
		digests = d.digests()
	}
	if version < cacheVersion {
		digests = map[string]digestRec{}
	}
	if d.err != nil || len(d.buf) != 0 {
		return nil, nil, errCorrupt
	}
	return dirs, digests, nil
}

type decoder struct {
	buf []byte
	err error
}

func (d *decoder) fail() { d.err, d.buf = errCorrupt, nil }

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.buf)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.buf)) {
		d.fail()
		return nil
	}
	b := d.buf[:n]
	d.buf = d.buf[n:]
	return b
}

// prefixed decodes a prefixed string following prev into buf, which it returns.
func (d *decoder) prefixed(buf, prev []byte) []byte {
	shared := d.uvarint()
	if shared > uint64(len(prev)) {
		d.fail()
		return buf
	}
	buf = append(buf, prev[:shared]...)
	return append(buf, d.bytes()...)
}

// folders indexes the folders, leaving their records undecoded.
func (d *decoder) folders() map[string]*folder {
	n := d.uvarint()
	if n > uint64(len(d.buf)) {
		d.fail()
		return nil
	}
	dirs := make(map[string]*folder, n)
	var key []byte
	for i := uint64(0); i < n && d.err == nil; i++ {
		key = d.prefixed(key[:0:0], key)
		files := d.uvarint()
		data := d.bytes()
		if files > uint64(len(data)) {
			d.fail()
		}
		dirs[string(key)] = &folder{files: int(files), data: data}
	}
	return dirs
}

// digests decodes the digests.
func (d *decoder) digests() map[string]digestRec {
	n := d.uvarint()
	if n > uint64(len(d.buf)) {
		d.fail()
		return nil
	}
	recs := make(map[string]digestRec, n)
	for i := uint64(0); i < n && d.err == nil; i++ {
		name := d.bytes()
		if d.err != nil || len(d.buf) < 8+4+32 {
			d.fail()
			break
		}
		var r digestRec
		r.fp.xx = binary.LittleEndian.Uint64(d.buf)
		r.fp.crc = binary.LittleEndian.Uint32(d.buf[8:])
		copy(r.sum[:], d.buf[12:])
		d.buf = d.buf[12+32:]
		recs[string(name)] = r
	}
	return recs
}

// records decodes n records; their names share one string.
func (d *decoder) records(n int) []statRec {
	recs := make([]statRec, n)
	ends := make([]int, n)
	var names, prev []byte
	for i := range recs {
		start := len(names)
		names = d.prefixed(names, prev)
		prev, ends[i] = names[start:], len(names)
		r := &recs[i]
		r.st = fileStat{size: int64(d.uvarint()), mtime: d.varint(), ctime: d.varint(), ino: d.uvarint(), mode: fs.FileMode(d.uvarint())}
		if d.err != nil || len(d.buf) < len(r.sum) {
			d.fail()
			return nil
		}
		d.buf = d.buf[copy(r.sum[:], d.buf):]
	}
	all, start := string(names), 0
	for i := range recs {
		recs[i].name, start = all[start:ends[i]], ends[i]
	}
	return recs
}

func encodeCache(root string, dirs map[string][]statRec, digests map[string]digestRec) []byte {
	keys := make([]string, 0, len(dirs))
	for k, recs := range dirs {
		if len(recs) > 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	b := append(make([]byte, 0, 1<<16), cacheMagic...)
	b = binary.AppendUvarint(b, cacheVersion)
	b = appendBytes(b, root)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	prev := ""
	for _, k := range keys {
		b, prev = appendPrefixed(b, prev, k), k
		b = appendRecords(b, dirs[k])
	}
	b = binary.AppendUvarint(b, uint64(len(digests)))
	for _, name := range slices.Sorted(maps.Keys(digests)) {
		r := digests[name]
		b = appendBytes(b, name)
		b = binary.LittleEndian.AppendUint64(b, r.fp.xx)
		b = binary.LittleEndian.AppendUint32(b, r.fp.crc)
		b = append(b, r.sum[:]...)
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crcTable))
}

func appendRecords(b []byte, recs []statRec) []byte {
	b = binary.AppendUvarint(b, uint64(len(recs)))
	var body []byte
	prev := ""
	for _, r := range recs {
		body, prev = appendPrefixed(body, prev, r.name), r.name
		body = binary.AppendUvarint(body, uint64(r.st.size))
		body = binary.AppendVarint(body, r.st.mtime)
		body = binary.AppendVarint(body, r.st.ctime)
		body = binary.AppendUvarint(body, r.st.ino)
		body = binary.AppendUvarint(body, uint64(r.st.mode))
		body = append(body, r.sum[:]...)
	}
	return append(binary.AppendUvarint(b, uint64(len(body))), body...)
}

func appendPrefixed(b []byte, prev, s string) []byte {
	n := 0
	for n < len(prev) && n < len(s) && prev[n] == s[n] {
		n++
	}
	return appendBytes(binary.AppendUvarint(b, uint64(n)), s[n:])
}

func appendBytes(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// writeAtomic replaces file with data through a temporary file and a rename, so that a
// reader sees the old content or the new one, never a mix, and a process killed mid-write
// leaves the old file. The file is created 0644 less the umask, as any other tool's.
func writeAtomic(file string, data []byte) error {
	dir := filepath.Dir(file)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := createTemp(dir, "."+filepath.Base(file)+".tmp")
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

// createTemp is os.CreateTemp with mode 0644 (less the umask) instead of 0600.
func createTemp(dir, prefix string) (*os.File, error) {
	for {
		var b [8]byte
		_, _ = rand.Read(b[:]) // never fails (crypto/rand)
		f, err := os.OpenFile(filepath.Join(dir, prefix+hex.EncodeToString(b[:])), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
}
