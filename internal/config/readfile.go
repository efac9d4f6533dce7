package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// MaxFileSize is the largest config file Load reads. Real configs are kilobytes (a hundred
// images take about 30 KiB); a larger file is a mistake, and parsing one of many megabytes
// takes minutes and, beyond that, more stack than a goroutine may have.
const MaxFileSize = 1 << 20

// readFile reads the config file, refusing what is not a small text file: a FIFO or device
// (which would block or never end), anything over MaxFileSize, or a file holding a NUL byte,
// which YAML does not allow and a text editor does not write.
func readFile(path string) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO for reading waits for a writer otherwise.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return nil, fmt.Errorf("cannot read: %w", err)
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	case fi.Size() > MaxFileSize:
		return nil, fmt.Errorf("%d bytes: a config file is at most %d (1 MiB)", fi.Size(), MaxFileSize)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("cannot read: %w", err)
	case len(data) > MaxFileSize:
		return nil, fmt.Errorf("more than %d bytes: a config file is at most 1 MiB", MaxFileSize)
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, fmt.Errorf("not a text file: NUL byte on line %d", bytes.Count(data[:i], []byte("\n"))+1)
	}
	return data, nil
}
