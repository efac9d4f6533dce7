//go:build linux

package inputs

import (
	"io/fs"
	"syscall"
)

// sysStat extracts what the stat cache compares beyond size and mtime.
func sysStat(fi fs.FileInfo) (ctime int64, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ctim.Nano(), st.Ino
	}
	return 0, 0
}
