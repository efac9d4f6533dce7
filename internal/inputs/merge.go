package inputs

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// merge joins sorted trees into one sorted list; for a name several trees hold, the last tree
// wins, and a directory may only meet a directory.
func merge(trees [][]Entry) ([]Entry, error) {
	out := slices.Clone(trees[0])
	for _, t := range trees[1:] {
		var err error
		if out, err = merge2(out, t); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// merge2 merges two sorted lists, b winning for a name both hold.
func merge2(a, b []Entry) ([]Entry, error) {
	out := make([]Entry, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch c := strings.Compare(a[i].Name, b[j].Name); {
		case c < 0:
			out = append(out, a[i])
			i++
		case c > 0:
			out = append(out, b[j])
			j++
		case a[i].IsDir() != b[j].IsDir():
			return nil, conflict(a[i], b[j])
		default:
			out = append(out, b[j])
			i, j = i+1, j+1
		}
	}
	return append(append(out, a[i:]...), b[j:]...), nil
}

func conflict(a, b Entry) error {
	return fmt.Errorf("%s is a %s in %s but a %s in %s", a.Name, kind(a), a.Src, kind(b), b.Src)
}

func kind(e Entry) string {
	switch {
	case e.IsDir():
		return "folder"
	case e.IsLink():
		return "symlink"
	}
	return "file"
}

// find returns the index of name in sorted entries, or -1.
func find(entries []Entry, name string) int {
	i := sort.Search(len(entries), func(i int) bool { return entries[i].Name >= name })
	if i < len(entries) && entries[i].Name == name {
		return i
	}
	return -1
}

// includeParents adds the folders above each include's To that nothing else brought: as on
// disk in the context when the context has that folder (excluded), else made up.
func (s *Scanner) includeParents(entries []Entry, srcs []source, trees [][]Entry, ctxDir string) ([]Entry, error) {
	var add []Entry
	for i, t := range trees {
		if len(t) == 0 {
			continue
		}
		more, err := parents(entries, add, srcs[i].to, ctxDir)
		if err != nil {
			return nil, fmt.Errorf("include %s: %w", s.rel(srcs[i].src), err)
		}
		add = append(add, more...)
	}
	return sorted(entries, add), nil
}

// parents returns the folders above name missing from entries and add.
func parents(entries, add []Entry, name, ctxDir string) ([]Entry, error) {
	var out []Entry
	for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
		if i := find(entries, dir); i >= 0 {
			if !entries[i].IsDir() {
				return nil, fmt.Errorf("%s lands below %s, which is a %s in the context", name, dir, kind(entries[i]))
			}
			continue
		}
		if slices.ContainsFunc(add, func(e Entry) bool { return e.Name == dir }) {
			continue
		}
		e, err := lstatEntry(dir, filepath.Join(ctxDir, filepath.FromSlash(dir)), false)
		if err != nil || !e.IsDir() {
			e = Entry{Name: dir, Mode: fs.ModeDir | 0o755}
		}
		out = append(out, e)
	}
	return out, nil
}

// sorted adds to sorted entries the ones of add, whose names they lack.
func sorted(entries, add []Entry) []Entry {
	if len(add) == 0 {
		return entries
	}
	slices.SortFunc(add, byName)
	out, _ := merge2(entries, add)
	return out
}

// withDockerfile keeps the Dockerfile even when a pattern excludes it, as Docker does.
func withDockerfile(entries []Entry, ctxDir, df string) ([]Entry, error) {
	if i := find(entries, df); i >= 0 {
		if entries[i].IsDir() {
			return nil, fmt.Errorf("dockerfile %s is a folder", df)
		}
		return entries, nil
	}
	e, err := lstatEntry(df, filepath.Join(ctxDir, filepath.FromSlash(df)), false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("dockerfile %s not found in the context", df)
	}
	if err != nil {
		return nil, err
	}
	add, err := parents(entries, nil, df, ctxDir)
	if err != nil {
		return nil, err
	}
	return sorted(entries, append(add, e)), nil
}
