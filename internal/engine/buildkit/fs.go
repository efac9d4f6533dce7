package buildkit

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/tonistiigi/fsutil"
	fstypes "github.com/tonistiigi/fsutil/types"

	"github.com/imagemake/imagemake/internal/inputs"
)

// entryTime is the modification time of a directory made up to hold an include, which has no
// time of its own: the one inputs.WriteTar gives it.
var entryTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

// entriesFS serves a build context's entries (inputs.Entry, in path order) to BuildKit's file
// sync: each entry under its context name, read from its Src on disk, so includes land where
// `imagemake context` puts them and nothing is copied first.
type entriesFS struct {
	entries []inputs.Entry
	byName  map[string]inputs.Entry
}

var _ fsutil.FS = (*entriesFS)(nil)

// newFS returns an fsutil.FS over entries, which must be in path order (inputs.ComparePaths).
func newFS(entries []inputs.Entry) *entriesFS {
	byName := make(map[string]inputs.Entry, len(entries))
	for _, e := range entries {
		byName[e.Name] = e
	}
	return &entriesFS{entries: entries, byName: byName}
}

// Walk calls fn for every entry at or below target ("" or "/" for all), parents first.
// fs.SkipDir from fn skips what a directory holds (for a file: the rest of its directory).
func (f *entriesFS) Walk(ctx context.Context, target string, fn fs.WalkDirFunc) error {
	prefix := strings.Trim(filepath.ToSlash(filepath.Clean("/"+target)), "/")
	skip := "\x00"
	for _, e := range f.entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if prefix != "" && e.Name != prefix && !strings.HasPrefix(e.Name, prefix+"/") {
			continue
		}
		if strings.HasPrefix(e.Name, skip) {
			continue
		}
		err := fn(filepath.FromSlash(e.Name), &fsutil.DirEntryInfo{Stat: stat(e)}, nil)
		switch {
		case err == fs.SkipAll:
			return nil
		case err == fs.SkipDir && e.IsDir():
			skip = e.Name + "/"
		case err == fs.SkipDir:
			if skip = path.Dir(e.Name) + "/"; skip == "./" {
				return nil
			}
		case err != nil:
			return err
		}
	}
	return nil
}

// Open opens the regular file named p (a context path).
func (f *entriesFS) Open(p string) (io.ReadCloser, error) {
	e, ok := f.byName[strings.TrimPrefix(filepath.ToSlash(filepath.Clean(p)), "/")]
	if !ok || !e.IsFile() {
		return nil, &os.PathError{Op: "open", Path: p, Err: os.ErrNotExist}
	}
	file, err := os.Open(e.Src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.Name, err)
	}
	return file, nil
}

// stat is what the builder compares with what it received last time for the same local
// source and session shared key: an entry whose size, mode and modification time did not change
// is not sent again. So the time is the file's own, read from disk as docker build reads it: a
// time of our own could hide a change of the same size.
func stat(e inputs.Entry) *fstypes.Stat {
	mtime := entryTime
	if e.Src != "" {
		if fi, err := os.Lstat(e.Src); err == nil {
			mtime = fi.ModTime().UnixNano()
		}
	}
	return &fstypes.Stat{
		Path:     e.Name,
		Mode:     uint32(e.Mode),
		Size:     e.Size,
		ModTime:  mtime,
		Linkname: e.Link,
	}
}
