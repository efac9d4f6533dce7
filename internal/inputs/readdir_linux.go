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
// component instead of the whole path, and no FileInfo made. The paths of a folder's names
// share one buffer, each followed by a NUL so that fstatat takes the name (its tail) as it is:
// two allocations a folder instead of three a name.
func readDir(dir string) ([]dirent, int, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, 0, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd)
	out, err := readNames(fd, dir)
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
			return nil, listed, &fs.PathError{Op: "lstat", Path: d.path, Err: err}
		}
		d.st = unixStat(&st)
		if d.st.mode&fs.ModeSymlink != 0 {
			if d.link, err = readlinkat(fd, d.name, int(st.Size)); err != nil {
				return nil, listed, &fs.PathError{Op: "readlink", Path: d.path, Err: err}
			}
		}
		kept = append(kept, d)
	}
	return kept, listed, nil
}

var direntBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// readNames returns the names of an open folder but "." and "..", sorted, as dirents with no
// stat yet. Their paths are strings of one buffer, dir + "/" + name, each followed in it by a
// NUL (see lstatAt); a name is the tail of its path.
func readNames(fd int, dir string) ([]dirent, error) {
	buf := direntBufs.Get().(*[]byte)
	defer direntBufs.Put(buf)
	var data []byte // the paths, each NUL-terminated
	count := 0
	for {
		n, err := unix.ReadDirent(fd, *buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return sortedNames(data, count, len(dir)+1), err
		}
		var added int
		data, added = parseDirent((*buf)[:n], dir, data)
		count += added
	}
}

var nameBufs = sync.Pool{New: func() any { return new([]string) }}

// sortedNames makes the dirents of count NUL-terminated paths, sorted by name, each name the
// path less its first prefix bytes. The names are sorted as strings (16 bytes each to move),
// then laid out as dirents once.
func sortedNames(data []byte, count, prefix int) []dirent {
	buf := nameBufs.Get().(*[]string)
	defer nameBufs.Put(buf)
	names := slices.Grow((*buf)[:0], count)[:count]
	for i := range names {
		end := bytes.IndexByte(data, 0)
		names[i] = unsafe.String(&data[prefix], end-prefix)
		data = data[end+1:]
	}
	slices.Sort(names)
	out := make([]dirent, count)
	for i, name := range names {
		// The name's path starts prefix bytes before it, in the same buffer.
		start := (*byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(name)), -prefix))
		out[i].name, out[i].path = name, unsafe.String(start, prefix+len(name))
	}
	clear(names) // the pool holds no name
	*buf = names[:0]
	return out
}

// parseDirent appends the paths (dir + "/" + name) of the names of the linux_dirent64 records
// of b to data, each with a NUL, and returns how many. It grows data once, to what they take.
func parseDirent(b []byte, dir string, data []byte) ([]byte, int) {
	size, count := 0, 0
	eachDirent(b, func(name []byte) { size, count = size+len(dir)+1+len(name)+1, count+1 })
	data = slices.Grow(data, size)
	eachDirent(b, func(name []byte) {
		data = append(append(append(append(data, dir...), '/'), name...), 0)
	})
	return data, count
}

// eachDirent calls fn with the name of each linux_dirent64 record of b but "." and "..".
func eachDirent(b []byte, fn func(name []byte)) {
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
		fn(name)
	}
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
