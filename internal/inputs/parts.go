package inputs

import (
	"encoding/binary"
	"slices"
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

// EntryList is a context (see Context) made of parts, in order, listed as one on first
// need (Entries): a no-op run needs its length and digest only, and the list would copy the
// entries of every shared folder once per image.
type EntryList struct {
	parts []part
	n     int
	once  sync.Once
	all   []Entry
}

// part is a piece of a context: a whole walk when t is set (t.entries), entries of the
// image's own otherwise.
type part struct {
	t   *tree
	own []Entry
}

func (p part) entries() []Entry {
	if p.t != nil {
		return p.t.entries
	}
	return p.own
}

// Len is the number of entries.
func (l *EntryList) Len() int { return l.n }

// Entries returns the entries in path order (ComparePaths), listed once. The result is to be
// read, not written.
func (l *EntryList) Entries() []Entry {
	l.once.Do(func() {
		if len(l.parts) == 1 {
			l.all = slices.Clip(l.parts[0].entries())
			return
		}
		l.all = make([]Entry, 0, l.n)
		for _, p := range l.parts {
			l.all = append(l.all, p.entries()...)
		}
	})
	return l.all
}

// ownList is a context made of one part of its own.
func ownList(entries []Entry) *EntryList {
	l := &EntryList{n: len(entries)}
	if len(entries) > 0 {
		l.parts = []part{{own: entries}}
	}
	return l
}

// mergeWalks merges lists (see mergeRuns); walks[i], when there is one, is the walk lists[i]
// is, so that a list the result holds whole is a part of its walk, not copied.
func mergeWalks(lists [][]Entry, walks []*tree) (*EntryList, error) {
	runs, total, err := mergeRuns(lists)
	if err != nil {
		return nil, err
	}
	l := &EntryList{n: total}
	for _, r := range runs {
		if r.list >= 0 && r.list < len(walks) && r.from == 0 && r.n == len(walks[r.list].entries) {
			l.parts = append(l.parts, part{t: walks[r.list]})
			continue
		}
		if k := len(l.parts) - 1; k >= 0 && l.parts[k].t == nil {
			l.parts[k].own = r.appendTo(l.parts[k].own, lists) // joins the part of its own before
			continue
		}
		l.parts = append(l.parts, part{own: r.appendTo(nil, lists)})
	}
	return l, nil
}

// treeSum is the hash cells of a walk's entries and their fingerprint, made once per run.
type treeSum struct {
	once  sync.Once
	cells []*hashCell
	fp    fingerprint
	files int64
	err   error
}

// sum returns t's sum, its files hashed when their stat does not match the stat cache.
func (s *Scanner) sum(t *tree) (*treeSum, error) {
	first := false
	t.sum.once.Do(func() {
		first = true
		t.sum.cells, t.sum.err = s.cells(t.entries)
		if t.sum.err != nil {
			return
		}
		t.sum.fp = entriesFingerprint(t.entries, t.sum.cells)
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

// entriesFingerprint is the fingerprint of a walk's entries: their count, then each entry
// as appendFPEntry writes it.
func entriesFingerprint(entries []Entry, cells []*hashCell) fingerprint {
	h := newFPHash()
	d := digester{h: h, buf: getDigestBuf()}
	defer d.release()
	d.buf = binary.AppendUvarint(d.buf, uint64(len(entries)))
	for i := range entries {
		if d.buf = appendFPEntry(d.buf, &entries[i], cells[i]); len(d.buf) >= digestFlush {
			d.flush()
		}
	}
	d.flush()
	return fingerprint{xx: h.xx.Sum64(), crc: h.crc}
}

// appendFPEntry appends what an entry's name and value say (see Entry.value), in binary: the
// name as uvarint length + bytes, the type ('d', 'l' or 'f'), the mode as the value writes it
// (uvarint), then for a symlink its target as uvarint length + bytes, for a file its size
// (uvarint) and the 32 bytes of its content hash (c.sum).
func appendFPEntry(b []byte, e *Entry, c *hashCell) []byte {
	b = binary.AppendUvarint(b, uint64(len(e.Name)))
	b = append(b, e.Name...)
	switch {
	case e.IsDir():
		b = binary.AppendUvarint(append(b, 'd'), uint64(unixMode(e.Mode)))
	case e.IsLink():
		b = binary.AppendUvarint(append(b, 'l'), uint64(unixMode(e.Mode)))
		b = append(binary.AppendUvarint(b, uint64(len(e.Link))), e.Link...)
	default:
		b = binary.AppendUvarint(append(b, 'f'), uint64(unixMode(e.Mode)))
		b = append(binary.AppendUvarint(b, uint64(e.Size)), c.sum[:]...)
	}
	return b
}

// contextValues are what the values of a context's entries are made of, by part: a walk
// part's sum, or the hash cells of a part of its own.
type contextValues struct {
	sums  []*treeSum
	cells [][]*hashCell
}

// valuesOf returns the cells of l's entries, hashing the files that need it.
func (s *Scanner) valuesOf(l *EntryList) (contextValues, error) {
	v := contextValues{sums: make([]*treeSum, len(l.parts)), cells: make([][]*hashCell, len(l.parts))}
	for i, p := range l.parts {
		var err error
		if p.t != nil {
			v.sums[i], err = s.sum(p.t)
		} else {
			v.cells[i], err = s.cells(p.own)
		}
		if err != nil {
			return contextValues{}, err
		}
	}
	return v, nil
}

// files lists l's entries with their values, made of v.
func (l *EntryList) files(v contextValues) Files {
	out := make(Files, 0, l.n)
	for i, p := range l.parts {
		cells := v.cells[i]
		if p.t != nil {
			cells = v.sums[i].cells
		}
		for j, e := range p.entries() {
			out = append(out, File{e.Name, valueOf(e, cells[j])})
		}
	}
	return out
}

// partsFingerprint is the fingerprint of m's digest input, its files being l's with values
// made of v: the head and tail lines as ComputeDigest writes them, between them a line
// "files parts", the count of entries and of parts, then per part a byte 1, its entry count
// and its walk's fingerprint (XXH64, CRC-32C, little endian) for a walk part; a byte 0, its
// entry count and each entry as appendFPEntry writes it for a part of its own.
//
// It is a function of the entries and values (a walk's fingerprint is one of its entries,
// and an entry's binary form says what its value does), and of how they are cut in parts:
// the same entries cut otherwise give another fingerprint, which only costs a digest
// computed again.
func partsFingerprint(m *Manifest, l *EntryList, v contextValues) fingerprint {
	h := newFPHash()
	d := digester{h: h, buf: getDigestBuf()}
	defer d.release()
	d.head(m)
	d.line("files", "parts")
	d.buf = binary.AppendUvarint(d.buf, uint64(l.n))
	d.buf = binary.AppendUvarint(d.buf, uint64(len(l.parts)))
	for i, p := range l.parts {
		switch {
		case p.t != nil:
			d.buf = binary.AppendUvarint(append(d.buf, 1), uint64(len(p.t.entries)))
			d.buf = binary.LittleEndian.AppendUint64(d.buf, v.sums[i].fp.xx)
			d.buf = binary.LittleEndian.AppendUint32(d.buf, v.sums[i].fp.crc)
		default:
			d.buf = binary.AppendUvarint(append(d.buf, 0), uint64(len(p.own)))
			for j := range p.own {
				if d.buf = appendFPEntry(d.buf, &p.own[j], v.cells[i][j]); len(d.buf) >= digestFlush {
					d.flush()
				}
			}
		}
	}
	d.tail(m)
	d.flush()
	return fingerprint{xx: h.xx.Sum64(), crc: h.crc}
}
