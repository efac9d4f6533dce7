package inputs

import (
	"encoding/hex"
	"io/fs"
	"os"
	"strconv"
	"unsafe"
)

// keptMode is what Docker keeps of a file's mode when it sends a context: the type and the
// permission bits, setuid, setgid and sticky included. Owners and times are not kept.
const keptMode = fs.ModeType | fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// Entry is one directory, regular file or symlink of a build context.
type Entry struct {
	Name string      // path inside the context: slash-separated, no leading "./", never "."
	Src  string      // absolute path on disk; "" for a directory made up to hold an include
	Mode fs.FileMode // type bits + permission, setuid, setgid and sticky bits
	Size int64       // regular files only; 0 otherwise
	Link string      // symlink target, as os.Readlink returns it
	// DockerfileOnly marks the Dockerfile, and folders made for it, when the context holds it
	// only because a build needs its Dockerfile: the ignore rules exclude it, or no COPY reads
	// it. The digest covers it like any entry; the builder serves it in the "dockerfile" local
	// and leaves it out of the "context" one, so `COPY . .` does not copy it (Docker's rule).
	DockerfileOnly bool
	cell           *hashCell // regular files found by a listing: shared by every image holding the file
}

// IsDir, IsFile and IsLink tell the entry's type.
func (e Entry) IsDir() bool  { return e.Mode.IsDir() }
func (e Entry) IsFile() bool { return e.Mode.IsRegular() }
func (e Entry) IsLink() bool { return e.Mode&fs.ModeSymlink != 0 }

// fileStat is what the stat cache compares: a file whose fileStat did not change since its
// content was hashed is not read again.
type fileStat struct {
	mode  fs.FileMode
	size  int64
	mtime int64 // ns
	ctime int64 // ns; 0 where the platform has none
	ino   uint64
}

func statOf(fi fs.FileInfo) fileStat {
	ctime, ino := sysStat(fi)
	return fileStat{mode: fi.Mode(), size: fi.Size(), mtime: fi.ModTime().UnixNano(), ctime: ctime, ino: ino}
}

// kept tells whether a file of this type goes into a context: sockets, devices and fifos do not.
func kept(m fs.FileMode) bool {
	return m.IsDir() || m.IsRegular() || m&fs.ModeSymlink != 0
}

// entryOf makes the entry for a listed file; link is its target when it is a symlink.
func entryOf(name, src string, st fileStat, link string, cell *hashCell) Entry {
	e := Entry{Name: name, Src: src, Mode: st.mode & keptMode, Link: link, cell: cell}
	if st.mode.IsRegular() {
		e.Size = st.size
	}
	return e
}

// lstatEntry makes the entry for one path, following it when follow is set.
func lstatEntry(name, src string, follow bool) (Entry, error) {
	stat := os.Lstat
	if follow {
		stat = os.Stat
	}
	fi, err := stat(src)
	if err != nil {
		return Entry{}, err
	}
	link := ""
	if fi.Mode()&fs.ModeSymlink != 0 {
		if link, err = os.Readlink(src); err != nil {
			return Entry{}, err
		}
	}
	var cell *hashCell
	if fi.Mode().IsRegular() {
		// A cell of its own, so that the builder finds the hash this entry was digested with
		// (Hashed): files no listing found are hashed once per entry made, not once per path.
		cell = &hashCell{}
	}
	return entryOf(name, src, statOf(fi), link, cell), nil
}

// Hashed returns the sha256 a regular file was digested with (its size is e.Size). ok is
// false for an entry that is not a file, one whose hash is not known (its image was not
// digested: ask after Scanner.Inputs or Manifest), or one that changed while it was hashed.
func (e Entry) Hashed() (sum [32]byte, ok bool) {
	c := e.cell
	if c == nil || !e.IsFile() {
		return sum, false
	}
	if !c.prefilled {
		cl := c.claim.Load()
		if cl == nil || cl.done == nil {
			return sum, false
		}
		select {
		case <-cl.done:
		default:
			return sum, false
		}
		if cl.err != nil {
			return sum, false
		}
	}
	if c.moved {
		return sum, false
	}
	return c.sum, true
}

// unixMode is the mode as tar and the manifest write it: permission bits plus 04000 setuid,
// 02000 setgid and 01000 sticky.
func unixMode(m fs.FileMode) int64 {
	u := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		u |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		u |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		u |= 0o1000
	}
	return u
}

// appendMode writes the mode as four octal digits, e.g. "0644" or "4755".
func appendMode(b []byte, m fs.FileMode) []byte {
	u := unixMode(m)
	for shift := 9; shift >= 0; shift -= 3 {
		b = append(b, byte('0'+(u>>shift)&7))
	}
	return b
}

// value is the entry as the manifest records it (sum is the content hash, files only):
//
//	f 0644 1234 <sha256 hex>   regular file: mode, size, content hash
//	d 0755                     directory
//	l 0777 "target"            symlink, target quoted as Go does
func (e Entry) value(sum *[32]byte) string {
	b := e.appendValue(make([]byte, 0, 8+20+1+2*len(sum)+len(e.Link)*4+2), sum)
	// b is not used after: the string takes its bytes, sparing a copy (a context holds many).
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// appendValue appends the value of the entry (see value) to b.
func (e Entry) appendValue(b []byte, sum *[32]byte) []byte {
	switch {
	case e.IsDir():
		b = appendMode(append(b, "d "...), e.Mode)
	case e.IsLink():
		b = appendMode(append(b, "l "...), e.Mode)
		b = strconv.AppendQuote(append(b, ' '), e.Link)
	default:
		b = appendMode(append(b, "f "...), e.Mode)
		b = strconv.AppendInt(append(b, ' '), e.Size, 10)
		b = hex.AppendEncode(append(b, ' '), sum[:])
	}
	return b
}
