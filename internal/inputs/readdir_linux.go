//go:build linux

package inputs

import (
	"io/fs"
	"slices"
	"sync"

	"golang.org/x/sys/unix"
)

// readDir lists a folder with the lstat of each name. It goes to the kernel directly: no
// *os.File (whose poller registration and blocking-mode switch cost syscalls of their own),
// names stat'ed relative to the folder's descriptor (fstatat), so that the kernel resolves one
// component instead of the whole path, and no FileInfo made.
func readDir(dir string) ([]dirent, int, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, 0, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd)
	names, err := readNames(fd)
	if err != nil {
		return nil, 0, &fs.PathError{Op: "readdirent", Path: dir, Err: err}
	}
	slices.Sort(names)
	out := make([]dirent, 0, len(names))
	var st unix.Stat_t
	for _, name := range names {
		err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err == unix.ENOENT {
			continue // removed since the listing
		}
		if err != nil {
			return nil, len(names), &fs.PathError{Op: "lstat", Path: dir + "/" + name, Err: err}
		}
		d := dirent{name: name, st: unixStat(&st)}
		if d.st.mode&fs.ModeSymlink != 0 {
			if d.link, err = readlinkat(fd, name, int(st.Size)); err != nil {
				return nil, len(names), &fs.PathError{Op: "readlink", Path: dir + "/" + name, Err: err}
			}
		}
		out = append(out, d)
	}
	return out, len(names), nil
}

var direntBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// readNames returns the names of an open folder but "." and "..".
func readNames(fd int) ([]string, error) {
	buf := direntBufs.Get().(*[]byte)
	defer direntBufs.Put(buf)
	var names []string
	for {
		n, err := unix.ReadDirent(fd, *buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return names, err
		}
		_, _, names = unix.ParseDirent((*buf)[:n], -1, names)
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
