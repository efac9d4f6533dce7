//go:build linux

package inputs

import (
	"bytes"
	"io/fs"
	"slices"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// readDir lists a folder with the lstat of each name. It goes to the kernel directly: no
// *os.File (whose poller registration and blocking-mode switch cost syscalls of their own),
// names stat'ed relative to the folder's descriptor (fstatat), so that the kernel resolves one
// component instead of the whole path, and no FileInfo made. The names of a folder share one
// buffer, each followed by a NUL so that fstatat takes it as it is: two allocations a folder
// instead of two a name.
func readDir(dir string) ([]dirent, int, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, 0, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd)
	out, err := readNames(fd)
	if err != nil {
		return nil, 0, &fs.PathError{Op: "readdirent", Path: dir, Err: err}
	}
	listed := len(out)
	kept := out[:0] // the stat of each name, in place
	var st unix.Stat_t
	for _, d := range out {
		err := lstatAt(fd, d.name, &st)
		if err == unix.ENOENT {
			continue // removed since the listing
		}
		if err != nil {
			return nil, listed, &fs.PathError{Op: "lstat", Path: dir + "/" + d.name, Err: err}
		}
		d.st = unixStat(&st)
		if d.st.mode&fs.ModeSymlink != 0 {
			if d.link, err = readlinkat(fd, d.name, int(st.Size)); err != nil {
				return nil, listed, &fs.PathError{Op: "readlink", Path: dir + "/" + d.name, Err: err}
			}
		}
		kept = append(kept, d)
	}
	return kept, listed, nil
}

var direntBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// readNames returns the names of an open folder but "." and "..", sorted, as dirents with no
// stat yet. The names are strings of one buffer, each followed in it by a NUL (see lstatAt).
func readNames(fd int) ([]dirent, error) {
	buf := direntBufs.Get().(*[]byte)
	defer direntBufs.Put(buf)
	var data []byte // the names, each NUL-terminated
	count := 0
	for {
		n, err := unix.ReadDirent(fd, *buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return sortedNames(data, count), err
		}
		var added int
		data, added = parseDirent((*buf)[:n], slices.Grow(data, n))
		count += added
	}
}

var nameBufs = sync.Pool{New: func() any { return new([]string) }}

// sortedNames makes the dirents of count NUL-terminated names, sorted. The names are sorted
// as strings (16 bytes each to move), then laid out as dirents (80 bytes each) once.
func sortedNames(data []byte, count int) []dirent {
	buf := nameBufs.Get().(*[]string)
	defer nameBufs.Put(buf)
	names := slices.Grow((*buf)[:0], count)[:count]
	for i := range names {
		end := bytes.IndexByte(data, 0)
		names[i] = unsafe.String(unsafe.SliceData(data), end)
		data = data[end+1:]
	}
	slices.Sort(names)
	out := make([]dirent, count)
	for i, name := range names {
		out[i].name = name
	}
	clear(names) // the pool holds no name
	*buf = names[:0]
	return out
}

// parseDirent appends the names of the linux_dirent64 records of b to data, each with a NUL,
// and returns how many.
func parseDirent(b, data []byte) ([]byte, int) {
	count := 0
	const nameOff = int(unsafe.Offsetof(unix.Dirent{}.Name))
	const reclenOff = int(unsafe.Offsetof(unix.Dirent{}.Reclen))
	for len(b) > nameOff {
		reclen := int(*(*uint16)(unsafe.Pointer(&b[reclenOff])))
		if reclen <= nameOff || reclen > len(b) {
			break
		}
		ino := *(*uint64)(unsafe.Pointer(&b[0]))
		name := b[nameOff:reclen]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		b = b[reclen:]
		if ino == 0 || string(name) == "." || string(name) == ".." {
			continue
		}
		data = append(append(data, name...), 0)
		count++
	}
	return data, count
}

func readlinkat(fd int, name string, size int) (string, error) {
	for n := max(size+1, 128); ; n *= 2 {
		buf := make([]byte, n)
		got, err := unix.Readlinkat(fd, name, buf)
		if err != nil {
			return "", err
		}
		if got < n {
			return string(buf[:got]), nil
		}
	}
}

// unixStat converts as os does for a FileInfo (fillFileStatFromSys), so that a stat from a
// listing equals one from os.File.Stat for the stat cache.
func unixStat(st *unix.Stat_t) fileStat {
	m := fs.FileMode(st.Mode & 0o777)
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFBLK:
		m |= fs.ModeDevice
	case unix.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFDIR:
		m |= fs.ModeDir
	case unix.S_IFIFO:
		m |= fs.ModeNamedPipe
	case unix.S_IFLNK:
		m |= fs.ModeSymlink
	case unix.S_IFSOCK:
		m |= fs.ModeSocket
	}
	if st.Mode&unix.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if st.Mode&unix.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if st.Mode&unix.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return fileStat{mode: m, size: st.Size, mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano(), ino: st.Ino}
}

// mapFile maps a file read-only, its pages mapped at once (MAP_POPULATE): the page cache's
// pages are used in place, where reading the file would copy it into as many fresh pages of
// the heap, each a page fault. The file is only ever replaced by a rename (writeAtomic), so
// the mapped one does not change. An empty file is not mapped.
func mapFile(name string) (*mapping, error) {
	fd, err := unix.Open(name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, &fs.PathError{Op: "fstat", Path: name, Err: err}
	}
	if st.Size == 0 {
		return &mapping{}, nil
	}
	data, err := unix.Mmap(fd, 0, int(st.Size), unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_POPULATE)
	if err != nil {
		return nil, &fs.PathError{Op: "mmap", Path: name, Err: err}
	}
	return &mapping{data: data, unmap: func(b []byte) { _ = unix.Munmap(b) }}, nil
}
