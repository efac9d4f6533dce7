package inputs

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestWriteTar(t *testing.T) {
	root := t.TempDir()
	long := strings.Repeat("d", 80) + "/" + strings.Repeat("f", 80)
	mkTree(t, root, "Dockerfile=FROM scratch\nCOPY . /\n", "bin/tool=#!/bin/sh\n", "empty/", "l -> bin/tool", long+"=x")
	must(t, os.Chmod(filepath.Join(root, "bin/tool"), 0o755|fs.ModeSetuid))
	entries := contextOf(t, newTestScanner(t, testProject(root)), image("app", "."))

	var one, two bytes.Buffer
	must(t, WriteTar(&one, entries))
	// Same tree elsewhere, listed in another order: same bytes.
	other := t.TempDir()
	copyTree(t, root, other)
	entries2 := contextOf(t, newTestScanner(t, testProject(other)), image("app", "."))
	slices.Reverse(entries2)
	must(t, WriteTar(&two, entries2))
	if !bytes.Equal(one.Bytes(), two.Bytes()) {
		t.Fatalf("two archives of the same tree differ")
	}

	want := []string{
		"Dockerfile 0644 reg 22", "bin/ 0755 dir 0", "bin/tool 4755 reg 10", strings.Repeat("d", 80) + "/ 0755 dir 0",
		long + " 0644 reg 1", "empty/ 0755 dir 0", "l 0777 sym 0 -> bin/tool",
	}
	if got := members(t, &one); !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// members reads an archive back as "name mode type size [-> link]" and checks the fixed fields.
func members(t *testing.T, r io.Reader) []string {
	t.Helper()
	var out []string
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		must(t, err)
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || !h.ModTime.Equal(tarTime) {
			t.Errorf("%s: owner %d:%d %q:%q, time %v", h.Name, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime)
		}
		if h.Format&tar.FormatPAX != 0 {
			t.Errorf("%s: PAX header", h.Name)
		}
		kind := map[byte]string{tar.TypeReg: "reg", tar.TypeDir: "dir", tar.TypeSymlink: "sym"}[h.Typeflag]
		m := fmt.Sprintf("%s %04o %s %d", h.Name, h.Mode, kind, h.Size)
		if h.Linkname != "" {
			m += " -> " + h.Linkname
		}
		data, err := io.ReadAll(tr)
		must(t, err)
		if int64(len(data)) != h.Size {
			t.Errorf("%s: %d bytes, header says %d", h.Name, len(data), h.Size)
		}
		out = append(out, m)
	}
}

func TestWriteTarFileChanged(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "Dockerfile", "grows=abc")
	entries := contextOf(t, newTestScanner(t, testProject(root)), image("app", "."))
	write(root, "grows", "abcdef")
	err := WriteTar(io.Discard, entries)
	if !errors.Is(err, errChanged) || !strings.Contains(err.Error(), "grows") {
		t.Fatalf("error %v, want one saying grows changed", err)
	}
}
