package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

type kind int

const (
	anyKind kind = iota
	dirKind
	fileKind
)

// relPath checks a path written in the config without touching the disk and returns it
// cleaned and slash-separated ("." for the root).
func (d *decoder) relPath(field, p string) (string, bool) {
	if p == "" {
		d.errField(field, "empty path")
		return "", false
	}
	if path.IsAbs(p) || filepath.IsAbs(p) {
		d.errField(field, "%q is an absolute path; paths are relative to the folder of %s", p, FileName)
		return "", false
	}
	c := path.Clean(filepath.ToSlash(p))
	if escapes(c) {
		d.errField(field, "%q is outside the project root", p)
		return "", false
	}
	return c, true
}

// exists checks that the project-relative path rel exists as want without leaving the project
// root through a symlink, and returns its real absolute path.
func (d *decoder) exists(field, noun, rel string, want kind) (string, bool) {
	real, err := filepath.EvalSymlinks(filepath.Join(d.root, filepath.FromSlash(rel)))
	if err != nil {
		d.errField(field, "%s %q %s", noun, rel, statMessage(err))
		return "", false
	}
	if !within(d.realRoot(), real) {
		d.errField(field, "%s %q leads outside the project root through a symlink", noun, rel)
		return "", false
	}
	fi, err := os.Stat(real)
	switch {
	case err != nil:
		d.errField(field, "%s %q %s", noun, rel, statMessage(err))
	case want == dirKind && !fi.IsDir():
		d.errField(field, "%s %q is not a folder", noun, rel)
	case want == fileKind && !fi.Mode().IsRegular():
		d.errField(field, "%s %q is not a file", noun, rel)
	default:
		return real, true
	}
	return "", false
}

// projectPath is relPath followed by exists.
func (d *decoder) projectPath(field, noun, p string, want kind) (string, bool) {
	rel, ok := d.relPath(field, p)
	if !ok {
		return "", false
	}
	_, ok = d.exists(field, noun, rel, want)
	return rel, ok
}

func statMessage(err error) string {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return "does not exist"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return "cannot be read: " + err.Error()
}

func (d *decoder) realRoot() string {
	if d.resolvedRoot == "" {
		d.resolvedRoot = d.root
		if r, err := filepath.EvalSymlinks(d.root); err == nil {
			d.resolvedRoot = r
		}
	}
	return d.resolvedRoot
}

// within reports whether p is dir or under it; both are absolute and cleaned.
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && !filepath.IsAbs(rel) && !escapes(filepath.ToSlash(rel))
}

// Inside returns p relative to root, slash-separated, when p is root or below it, following
// symlinks on both sides (for the importers of Compose and bake files, whose paths must stay in
// the project as the config's own do).
func Inside(root, p string) (string, bool) {
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	if !within(root, p) {
		return "", false
	}
	r, _ := filepath.Rel(root, p)
	return filepath.ToSlash(r), true
}

// FromRoot is p relative to root, slash-separated, with ../ when it is outside: how messages
// show paths, the same on every machine.
func FromRoot(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil {
		return filepath.ToSlash(r)
	}
	return p
}

// ProjectFolder returns the folder abs relative to root (see Inside), or an error saying, with
// the path as seen from root, that it is outside the project or not a folder: what the
// importers of Compose and bake files say of a context.
func ProjectFolder(root, abs string) (string, error) {
	r, ok := Inside(root, abs)
	if !ok {
		return "", fmt.Errorf("%s is outside the project root", FromRoot(root, abs))
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return "", fmt.Errorf("%s (from the project root) is not a folder", r)
	}
	return r, nil
}

// escapes reports whether a cleaned slash path climbs above its starting point.
func escapes(clean string) bool {
	return clean == ".." || strings.HasPrefix(clean, "../")
}
