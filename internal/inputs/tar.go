package inputs

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"
)

// tarTime is the modification time of every member WriteTar writes: 2000-01-01 UTC, not the
// Unix epoch, because tools in images reject earlier times (zip, so Python wheels, cannot
// store times before 1980).
var tarTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// WriteTar streams entries as a tar archive, the same bytes for the same entries and
// content: members in path order (ComparePaths: a folder right before what it holds),
// folders named with a trailing slash, mode as Docker keeps it (permission bits with setuid,
// setgid and sticky), uid and gid 0, no user or group names, 2000-01-01 UTC as every time
// (see tarTime), GNU format throughout (long names as GNU long-name records, never PAX).
// Hard links are written as separate files. A file whose size changed since it was listed
// is an error naming it: the digest would not describe what the build got.
func WriteTar(w io.Writer, entries []Entry) error {
	if !slices.IsSortedFunc(entries, byName) {
		entries = slices.Clone(entries)
		slices.SortFunc(entries, byName)
	}
	tw := tar.NewWriter(w)
	buf := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(buf)
	for _, e := range entries {
		if err := writeMember(tw, e, *buf); err != nil {
			return err
		}
	}
	return tw.Close()
}

func writeMember(tw *tar.Writer, e Entry, buf []byte) error {
	hdr := &tar.Header{
		Name:    e.Name,
		Mode:    unixMode(e.Mode),
		ModTime: tarTime,
		Format:  tar.FormatGNU,
	}
	switch {
	case e.IsDir():
		hdr.Typeflag, hdr.Name = tar.TypeDir, e.Name+"/"
	case e.IsLink():
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, e.Link
	case e.IsFile():
		hdr.Typeflag, hdr.Size = tar.TypeReg, e.Size
	default:
		return fmt.Errorf("%s: cannot archive mode %s", QuotePath(e.Name), e.Mode)
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("%s: %w", QuotePath(e.Name), quoteErrPath(err))
	}
	if !e.IsFile() {
		return nil
	}
	return copyFile(tw, e, buf)
}

var errChanged = errors.New("changed while being sent")

func copyFile(tw *tar.Writer, e Entry, buf []byte) error {
	f, err := os.Open(e.Src)
	if err != nil {
		return fmt.Errorf("%s: %w", QuotePath(e.Name), quoteErrPath(err))
	}
	defer f.Close()
	n, err := io.CopyBuffer(tw, io.LimitReader(f, e.Size), buf)
	if err != nil {
		return fmt.Errorf("%s: %w", QuotePath(e.Name), quoteErrPath(err))
	}
	if more, _ := f.Read(buf[:1]); n != e.Size || more > 0 {
		return fmt.Errorf("%s (%s): %w", QuotePath(e.Name), QuotePath(e.Src), errChanged)
	}
	return nil
}
