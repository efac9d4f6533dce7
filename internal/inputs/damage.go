package inputs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// State files (.imagemake/statcache, the manifests) are a convenience: a damaged one — a
// folder in its place, a file in place of a folder above it, unreadable, truncated, garbage —
// never fails a run. It is taken as absent, with one warning naming it, and rewritten when
// the run writes that state again.

// damagedError is a state file that is there but cannot be used, and why.
type damagedError struct {
	file string
	err  error
}

func (e *damagedError) Error() string { return e.file + ": " + e.err.Error() }

// readStateFile reads file, below the folder stateDir. A file that is not there is
// fs.ErrNotExist; one that is there but cannot be read as a regular file, or a non-folder
// in place of a folder above it, is a *damagedError. A FIFO is not waited on.
func readStateFile(stateDir, file string) ([]byte, error) {
	f, err := os.OpenFile(file, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, err
	case errors.Is(err, syscall.ENOTDIR):
		if above := nonFolderAbove(stateDir, file); above != "" {
			return nil, &damagedError{above, errors.New("it is not a folder")}
		}
		return nil, fs.ErrNotExist
	case err != nil:
		return nil, &damagedError{file, cause(err)}
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return nil, &damagedError{file, cause(err)}
	case fi.IsDir():
		return nil, &damagedError{file, errors.New("it is a folder")}
	case !fi.Mode().IsRegular():
		return nil, &damagedError{file, fmt.Errorf("it is not a regular file (%s)", fi.Mode().Type())}
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, &damagedError{file, cause(err)}
	}
	return data, nil
}

// cause is err without the path an *fs.PathError repeats.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// nonFolderAbove returns the first path between stateDir (excluded) and file (excluded)
// that is there but no folder; "" when there is none.
func nonFolderAbove(stateDir, file string) string {
	for _, p := range between(stateDir, file) {
		fi, err := os.Lstat(p)
		if err != nil {
			return ""
		}
		if !fi.IsDir() {
			return p
		}
	}
	return ""
}

// between lists the folders below stateDir and above file, top down.
func between(stateDir, file string) []string {
	rel, err := filepath.Rel(stateDir, filepath.Dir(file))
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return nil
	}
	var out []string
	p := stateDir
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		p = filepath.Join(p, part)
		out = append(out, p)
	}
	return out
}

// writeStateFile replaces file, below the folder stateDir, atomically (writeAtomic). When
// something is in the way — a folder in its place, a non-folder in place of a folder above
// it, all of them inside stateDir — it is removed and the write tried once more.
func writeStateFile(stateDir, file string, data []byte) error {
	err := writeAtomic(file, data)
	if err == nil || !clearWay(stateDir, file) {
		return err
	}
	return writeAtomic(file, data)
}

// clearWay removes what stands in the way of writing file below stateDir, and tells whether
// it removed anything.
func clearWay(stateDir, file string) bool {
	cleared := false
	for _, p := range between(stateDir, file) {
		fi, err := os.Lstat(p)
		if err != nil {
			break
		}
		if !fi.IsDir() {
			cleared = os.Remove(p) == nil || cleared
			break
		}
	}
	if fi, err := os.Lstat(file); err == nil && fi.IsDir() {
		cleared = os.RemoveAll(file) == nil || cleared
	}
	return cleared
}

// damageWarning is the one line said about a damaged state file of the project at root.
func damageWarning(root, file string, why error) string {
	name := file
	if r, err := filepath.Rel(root, file); err == nil && !strings.HasPrefix(r, "..") {
		name = filepath.ToSlash(r)
	}
	return fmt.Sprintf("state file %s is damaged (%v) and was ignored: this run rewrites it where it can; "+
		"`imagemake clean` removes the project's state", QuotePath(name), why)
}
