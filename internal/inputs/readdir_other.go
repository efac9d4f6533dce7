//go:build !linux

package inputs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// readDir lists a folder with the lstat of each name.
func readDir(dir string) ([]dirent, int, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, err
	}
	out := make([]dirent, 0, len(des))
	for _, de := range des {
		fi, err := de.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since the listing
		}
		if err != nil {
			return nil, len(des), err
		}
		path := dir + string(filepath.Separator) + de.Name()
		d := dirent{name: path[len(path)-len(de.Name()):], path: path, st: statOf(fi)}
		if fi.Mode()&fs.ModeSymlink != 0 {
			if d.link, err = os.Readlink(d.path); err != nil {
				return nil, len(des), err
			}
		}
		out = append(out, d)
	}
	return out, len(des), nil
}
