//go:build linux

package inputs

import (
	"errors"
	"io/fs"
	"os"
	"slices"

	"golang.org/x/sys/unix"
)

// readDir lists a folder with the lstat of each name. It stats names relative to the
// folder's descriptor (fstatat): the kernel resolves one component instead of the whole path,
// and no FileInfo is made.
func readDir(dir string) ([]dirent, int, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, 0, &fs.PathError{Op: "readdirent", Path: dir, Err: err}
	}
	slices.Sort(names)
	fd := int(f.Fd())
	out := make([]dirent, 0, len(names))
	var st unix.Stat_t
	for _, name := range names {
		err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
		if errors.Is(err, unix.ENOENT) {
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
