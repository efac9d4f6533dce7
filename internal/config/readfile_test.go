package config

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Load refuses, without blocking or parsing, what cannot be a config file.
func TestLoadRefusesWhatIsNoConfigFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	huge := append([]byte("images:\n"), make([]byte, MaxFileSize)...)
	for i := 8; i < len(huge); i++ {
		huge[i] = '#'
	}
	for path, want := range map[string]string{
		fifo:                     "fifo.yaml: not a regular file (p---------)",
		dir:                      ": not a regular file (d---------)",
		write("huge.yaml", huge): "huge.yaml: 1048584 bytes: a config file is at most 1048576 (1 MiB)",
		write("nul.yaml", []byte("images:\n  a:\n\x00\x01")): "nul.yaml: not a text file: NUL byte on line 3",
		filepath.Join(dir, "missing.yaml"):                   "missing.yaml: cannot read: no such file or directory",
	} {
		_, err := Load(context.Background(), path, nil)
		if err == nil || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("Load(%s): %v, want an error ending in %q", filepath.Base(path), err, want)
		}
	}
}
