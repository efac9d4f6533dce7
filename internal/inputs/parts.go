package inputs

import (
	"encoding/binary"
	"sync"
)

// A shared folder is in the context of many images: pylib, included by ten services, is a
// tenth of the tree and would be a tenth of every one of their digests' work. Its walk is
// already made once for every image including it under the same rules (Scanner.walked); so
// are its values and a fingerprint of them (treeSum), and an image's fingerprint takes that
// fingerprint in place of the folder's entries. A no-op run then costs, per image, what is
// its own, plus a few bytes per shared folder: the digest, which covers every entry as
// before, is only computed again when a fingerprint differs, and the manifest's files are
// listed when something asks for them (an explanation, a new manifest recorded).

// contextList is a context (see Context) and the parts it is made of, in order.
type contextList struct {
	entries []Entry
	parts   []part
}

// part is entries[at:at+n] of a context: a whole walk when t is set (t.entries), entries
// of the image's own otherwise.
type part struct {
	t     *tree
	at, n int
}

// ownList is a context made of one part of its own.
func ownList(entries []Entry) contextList {
	if len(entries) == 0 {
		return contextList{entries: entries}
	}
	return contextList{entries: entries, parts: []part{{at: 0, n: len(entries)}}}
}

// mergeWalks merges lists as mergeAll does; walks[i], when there is one, is the walk lists[i]
// is, so that a list copied whole into the result is a part of its walk.
func mergeWalks(lists [][]Entry, walks []*tree) (contextList, error) {
	out, runs, err := mergeRuns(lists)
	if err != nil {
		return contextList{}, err
	}
	c := contextList{entries: out}
	for _, r := range runs {
		if r.list >= 0 && r.list < len(walks) && r.from == 0 && r.n == len(walks[r.list].entries) {
			c.parts = append(c.parts, part{t: walks[r.list], at: r.at, n: r.n})
			continue
		}
		if k := len(c.parts) - 1; k >= 0 && c.parts[k].t == nil {
			c.parts[k].n += r.n // joins the part of its own before
			continue
		}
		c.parts = append(c.parts, part{at: r.at, n: r.n})
	}
	return c, nil
}

// treeSum is the values of a walk's entries and their fingerprint, made once per run.
type treeSum struct {
	once   sync.Once
	values []string
	fp     fingerprint
	files  int64
	err    error
}

// sum returns t's sum, its files hashed when their stat does not match the stat cache.
func (s *Scanner) sum(t *tree) (*treeSum, error) {
	first := false
	t.sum.once.Do(func() {
		first = true
		t.sum.values, t.sum.err = s.values(t.entries)
		if t.sum.err != nil {
			return
		}
		t.sum.fp = entriesFingerprint(t.entries, t.sum.values)
		for _, e := range t.entries {
			if e.IsFile() {
				t.sum.files++
			}
		}
	})
	if !first {
		s.reused.Add(t.sum.files)
	}
	return &t.sum, t.sum.err
}

// entriesFingerprint is the fingerprint of a walk's entries: their count, then the name and
// value of each, as fingerprintOf writes them.
func entriesFingerprint(entries []Entry, values []string) fingerprint {
	h := newFPHash()
	d := digester{h: h, buf: getDigestBuf()}
	defer d.release()
	d.buf = binary.AppendUvarint(d.buf, uint64(len(entries)))
	for i, e := range entries {
		if d.buf = appendFPEntry(d.buf, e.Name, values[i]); len(d.buf) >= digestFlush {
			d.flush()
		}
	}
	d.flush()
	return fingerprint{xx: h.xx.Sum64(), crc: h.crc}
}

// appendFPEntry appends a name and a value, each as uvarint length + bytes.
func appendFPEntry(b []byte, name, value string) []byte {
	b = binary.AppendUvarint(b, uint64(len(name)))
	b = binary.AppendUvarint(append(b, name...), uint64(len(value)))
	return append(b, value...)
}

// values are the values of a context's entries: those of each walk part in its sum, those
// of the parts of its own by part.
type contextValues struct {
	sums []*treeSum // by part; nil for a part of its own
	own  [][]string // by part; nil for a walk part
}

// valuesOf returns the values of c's entries, hashing the files that need it.
func (s *Scanner) valuesOf(c contextList) (contextValues, error) {
	v := contextValues{sums: make([]*treeSum, len(c.parts)), own: make([][]string, len(c.parts))}
	for i, p := range c.parts {
		var err error
		if p.t != nil {
			v.sums[i], err = s.sum(p.t)
		} else {
			v.own[i], err = s.values(c.entries[p.at : p.at+p.n])
		}
		if err != nil {
			return contextValues{}, err
		}
	}
	return v, nil
}

// files lists c's entries with their values v.
func (c contextList) files(v contextValues) Files {
	out := make(Files, 0, len(c.entries))
	for i, p := range c.parts {
		values := v.own[i]
		if p.t != nil {
			values = v.sums[i].values
		}
		for j, e := range c.entries[p.at : p.at+p.n] {
			out = append(out, File{e.Name, values[j]})
		}
	}
	return out
}

// partsFingerprint is the fingerprint of m's digest input, its files being c's with values
// v: the head and tail lines as ComputeDigest writes them, between them a line "files parts",
// the count of entries and of parts, then per part a byte 1, its entry count and its walk's
// fingerprint (XXH64, CRC-32C, little endian) for a walk part, or a byte 0, its entry count
// and each entry as uvarint length + bytes of name and value for a part of its own.
//
// It is a function of the entries and values (a walk's fingerprint is one of its entries),
// and of how they are cut in parts: the same entries cut otherwise give another fingerprint,
// which only costs a digest computed again.
func partsFingerprint(m *Manifest, c contextList, v contextValues) fingerprint {
	h := newFPHash()
	d := digester{h: h, buf: getDigestBuf()}
	defer d.release()
	d.head(m)
	d.line("files", "parts")
	d.buf = binary.AppendUvarint(d.buf, uint64(len(c.entries)))
	d.buf = binary.AppendUvarint(d.buf, uint64(len(c.parts)))
	for i, p := range c.parts {
		if p.t != nil {
			d.buf = binary.AppendUvarint(append(d.buf, 1), uint64(p.n))
			d.buf = binary.LittleEndian.AppendUint64(d.buf, v.sums[i].fp.xx)
			d.buf = binary.LittleEndian.AppendUint32(d.buf, v.sums[i].fp.crc)
			continue
		}
		d.buf = binary.AppendUvarint(append(d.buf, 0), uint64(p.n))
		for j, e := range c.entries[p.at : p.at+p.n] {
			if d.buf = appendFPEntry(d.buf, e.Name, v.own[i][j]); len(d.buf) >= digestFlush {
				d.flush()
			}
		}
	}
	d.tail(m)
	d.flush()
	return fingerprint{xx: h.xx.Sum64(), crc: h.crc}
}
