package buildkit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tonistiigi/fsutil"
	fstypes "github.com/tonistiigi/fsutil/types"

	"github.com/imagemake/imagemake/internal/inputs"
)

// ErrChanged is the error of a build whose context file changed after imagemake hashed it:
// the builder would have received other bytes than the inputs digest says, so the build
// fails before anything is stored, labelled or pushed.
var ErrChanged = errors.New("changed while building; run again")

// ChangedError names the file of ErrChanged: its path in the context and on disk.
type ChangedError struct {
	Name string // path inside the context
	Src  string // path on disk
	Err  error  // what showed the change; nil when only the content or stat differs
}

func (e *ChangedError) Error() string {
	msg := e.Name + " " + ErrChanged.Error()
	if e.Src != "" {
		msg += " (" + e.Src
		if e.Err != nil {
			msg += ": " + e.Err.Error()
		}
		msg += ")"
	}
	return msg
}

func (e *ChangedError) Is(target error) bool { return target == ErrChanged }
func (e *ChangedError) Unwrap() error        { return e.Err }

// entryTime is the modification time of every folder and symlink sent, and where the times
// of files start (fileTime): 2000-01-01 UTC, the time inputs.WriteTar gives every member.
var entryTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

// entriesFS serves a build context's entries (inputs.Entry, in path order) to BuildKit's file
// sync: each entry under its context name, read from its Src on disk, so includes land where
// `imagemake context` puts them and nothing is copied first.
//
// What the builder receives is what the inputs digest says, or the build fails: a file is
// served with a stat drawn from the hash it was digested with (see stat), and the bytes sent
// of it are hashed while they are read and checked against that hash (see Open). The first
// file found changed is kept (Changed), for the build's error.
type entriesFS struct {
	entries []inputs.Entry
	byName  map[string]inputs.Entry

	mu      sync.Mutex
	changed error
	abort   func() // called on the first change: see abortOnChange
}

var _ fsutil.FS = (*entriesFS)(nil)

// newFS returns an fsutil.FS over entries, which must be in path order (inputs.ComparePaths)
// and digested (inputs.Entry.Hashed).
func newFS(entries []inputs.Entry) *entriesFS {
	byName := make(map[string]inputs.Entry, len(entries))
	for _, e := range entries {
		byName[e.Name] = e
	}
	return &entriesFS{entries: entries, byName: byName}
}

// Changed returns the first file the FS found changed since it was hashed, as a
// *ChangedError; nil when none.
func (f *entriesFS) Changed() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}

// fail keeps err as the FS's change when it is the first, aborts the build, and returns err.
func (f *entriesFS) fail(err error) error {
	f.mu.Lock()
	first := f.changed == nil
	if first {
		f.changed = err
	}
	abort := f.abort
	f.mu.Unlock()
	if first && abort != nil {
		abort()
	}
	return err
}

// Walk calls fn for every entry at or below target ("" or "/" for all), parents first.
// fs.SkipDir from fn skips what a directory holds (for a file: the rest of its directory).
// A file whose hash is not known, or changed while it was hashed, fails the walk.
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
		st, err := stat(e)
		if err != nil {
			return f.fail(err)
		}
		err = fn(filepath.FromSlash(e.Name), &fsutil.DirEntryInfo{Stat: st}, nil)
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

// Open opens the regular file named p (a context path) for the builder, which asks for it
// because what it holds from an earlier build has another stat. What is read is hashed as it
// is read; at its end, bytes other than those the file was digested with fail the read, and
// so the file sync and the build (abortOnChange), before the builder stores anything.
//
// Open itself fails only for a name that is no file of the context: fsutil sends a file it
// cannot open as an empty one, so a file gone or unreadable is an error of its reads.
func (f *entriesFS) Open(p string) (io.ReadCloser, error) {
	e, ok := f.byName[strings.TrimPrefix(filepath.ToSlash(filepath.Clean(p)), "/")]
	if !ok || !e.IsFile() {
		return nil, &os.PathError{Op: "open", Path: p, Err: os.ErrNotExist}
	}
	sum, ok := e.Hashed()
	if !ok {
		return failedReader{f.fail(&ChangedError{Name: e.Name, Src: e.Src})}, nil
	}
	file, err := os.Open(e.Src)
	if err != nil {
		return failedReader{f.fail(&ChangedError{Name: e.Name, Src: e.Src, Err: err})}, nil
	}
	return &checkedReader{fs: f, e: e, file: file, want: sum, h: sha256.New()}, nil
}

// checkedReader reads a context file and fails, in place of its end, when what it read is not
// what the file was digested with (size, then sha256).
type checkedReader struct {
	fs   *entriesFS
	e    inputs.Entry
	file *os.File
	want [32]byte
	h    hash.Hash
	n    int64
}

func (r *checkedReader) Read(p []byte) (int, error) {
	n, err := r.file.Read(p)
	r.h.Write(p[:n])
	r.n += int64(n)
	switch {
	case r.n > r.e.Size:
		return 0, r.fs.fail(&ChangedError{Name: r.e.Name, Src: r.e.Src})
	case err == io.EOF && (r.n != r.e.Size || !bytes.Equal(r.h.Sum(nil), r.want[:])):
		return n, r.fs.fail(&ChangedError{Name: r.e.Name, Src: r.e.Src})
	case err != nil && err != io.EOF:
		return n, r.fs.fail(&ChangedError{Name: r.e.Name, Src: r.e.Src, Err: err})
	}
	return n, err
}

func (r *checkedReader) Close() error { return r.file.Close() }

// failedReader fails its first read with err.
type failedReader struct{ err error }

func (r failedReader) Read([]byte) (int, error) { return 0, r.err }
func (failedReader) Close() error               { return nil }

// stat is what the builder compares with what it received last time for the same local
// source and session shared key: an entry whose path, mode, size and modification time did
// not change is not sent again.
//
// The time is not the disk's. A file is served with fileTime, drawn from the SHA-256 it was
// hashed with; a folder or symlink with entryTime. The stat so says what the bytes are: a
// builder holding bytes under it holds those the digest says (they were checked against that
// hash when they were sent: Open), whatever the disk's times do — a file rewritten within one
// tick of its clock, or given back an older time (cp -p, rsync -t, tar), or a fresh clone of
// the same tree, whose files all have new times and the same bytes. The last is why the shared
// key need not name the checkout (the builder keeps what any clone sent). A file so has the
// same time in every image built from it. A file with no known hash (it changed while
// imagemake read it) fails here.
func stat(e inputs.Entry) (*fstypes.Stat, error) {
	st := &fstypes.Stat{Path: e.Name, Mode: uint32(e.Mode), Size: e.Size, ModTime: entryTime, Linkname: e.Link}
	if e.IsFile() {
		sum, ok := e.Hashed()
		if !ok {
			return nil, &ChangedError{Name: e.Name, Src: e.Src}
		}
		st.ModTime = fileTime(sum)
	}
	return st, nil
}

// fileTime is the modification time a file whose content has SHA-256 sum is sent with: 57 bits
// of the sum as nanoseconds after entryTime, a time between 2000-01-01 and mid-2004 (in the
// past, and after 1980, which zip and so Python wheels need). Two contents of the same size
// share a time once in 2^57: only then would a builder take one for the other.
func fileTime(sum [32]byte) int64 {
	return entryTime + int64(binary.BigEndian.Uint64(sum[:8])>>7)
}

// abortOnChange has the build's local sources call abort on the first file they find changed.
// fsutil's sender, when a file's read fails, neither tells the builder nor ends the session:
// the builder waits for the rest of the file and the sender for the builder's next request.
// Cancelling the solve ends both, before anything is exported.
func abortOnChange(locals map[string]fsutil.FS, abort func()) {
	for _, l := range locals {
		if f, ok := l.(*entriesFS); ok {
			f.mu.Lock()
			f.abort = abort
			f.mu.Unlock()
		}
	}
}

// changedFile returns the first change a build's local sources found (entriesFS.Changed).
func changedFile(locals map[string]fsutil.FS) error {
	for _, l := range locals {
		if f, ok := l.(*entriesFS); ok {
			if err := f.Changed(); err != nil {
				return err
			}
		}
	}
	return nil
}
