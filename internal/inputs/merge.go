package inputs

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
)

// mergeRun is a piece of a merged list (see mergeRuns): lists[list][from:from+n], or when
// list is -1 the one entry e that several lists held (the last list's).
type mergeRun struct {
	list, from, n int
	e             Entry
}

func (r mergeRun) appendTo(out []Entry, lists [][]Entry) []Entry {
	if r.list < 0 {
		return append(out, r.e)
	}
	return append(out, lists[r.list][r.from:r.from+r.n]...)
}

// mergeRuns merges lists sorted in path order, in runs, and returns them in order with the
// merged length; it copies no entry. For a name several lists hold, the last list wins, and a
// directory may only meet a directory. A run of one list that sorts before every other
// list's next entry is taken at once, so that an include, which mostly lands in a place of
// its own, costs a binary search.
func mergeRuns(lists [][]Entry) ([]mergeRun, int, error) {
	orig := lists
	lists = slices.Clone(lists) // its heads move
	var runs []mergeRun
	total := 0
	for {
		first, tied := smallestHead(lists)
		switch {
		case first < 0:
			return runs, total, nil
		case len(tied) > 0:
			e, err := lastOf(lists, first, tied)
			if err != nil {
				return nil, 0, err
			}
			runs = append(runs, mergeRun{list: -1, n: 1, e: e})
			total++
		default:
			n := runBefore(lists, first)
			runs = append(runs, mergeRun{list: first, from: len(orig[first]) - len(lists[first]), n: n})
			lists[first] = lists[first][n:]
			total += n
		}
	}
}

// smallestHead returns the list whose first entry sorts first (-1 when all are empty), and
// the later lists whose first entry has the same name.
func smallestHead(lists [][]Entry) (first int, tied []int) {
	first = -1
	for i, l := range lists {
		if len(l) == 0 {
			continue
		}
		if first < 0 {
			first = i
			continue
		}
		switch c := ComparePaths(l[0].Name, lists[first][0].Name); {
		case c == 0:
			tied = append(tied, i)
		case c < 0:
			first, tied = i, nil
		}
	}
	return first, tied
}

// lastOf takes the heads of first and tied off their lists and returns the last one.
func lastOf(lists [][]Entry, first int, tied []int) (Entry, error) {
	e := lists[first][0]
	lists[first] = lists[first][1:]
	for _, i := range tied {
		if lists[i][0].IsDir() != e.IsDir() {
			return Entry{}, conflict(e, lists[i][0])
		}
		e, lists[i] = lists[i][0], lists[i][1:]
	}
	return e, nil
}

// runBefore counts the entries of lists[first] that sort before every other list's head.
func runBefore(lists [][]Entry, first int) int {
	limit := ""
	for i, l := range lists {
		if i != first && len(l) > 0 && (limit == "" || ComparePaths(l[0].Name, limit) < 0) {
			limit = l[0].Name
		}
	}
	if limit == "" {
		return len(lists[first])
	}
	n, _ := slices.BinarySearchFunc(lists[first], limit, func(e Entry, name string) int { return ComparePaths(e.Name, name) })
	return max(n, 1)
}

func conflict(a, b Entry) error {
	return fmt.Errorf("%s is a %s in %s but a %s in %s", QuotePath(a.Name), kind(a), QuotePath(a.Src), kind(b), QuotePath(b.Src))
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

// lookup returns the entry of name that the merge keeps (the last list's), if any list has it.
func lookup(lists [][]Entry, name string) (Entry, bool) {
	for i := len(lists) - 1; i >= 0; i-- {
		j, ok := slices.BinarySearchFunc(lists[i], name, func(e Entry, name string) int { return ComparePaths(e.Name, name) })
		if ok {
			return lists[i][j], true
		}
	}
	return Entry{}, false
}

// extras returns, sorted, what the walks leave out that the context needs: the folders above
// each include's To, and the Dockerfile with its folders when the patterns exclude it or it
// lies outside the context.
func (s *Scanner) extras(trees [][]Entry, srcs []source, ctxDir string, df dockerfilePlace) ([]Entry, error) {
	var add []Entry
	for i, src := range srcs {
		if src.to == "" || len(trees[i]) == 0 {
			continue
		}
		more, err := parents(trees, add, src.to, ctxDir)
		if err != nil {
			return nil, fmt.Errorf("include %s: %w", s.rel(src.src), err)
		}
		add = append(add, more...)
	}
	more, err := dockerfileEntries(trees, add, ctxDir, df)
	if err != nil {
		return nil, err
	}
	add = append(add, more...)
	slices.SortFunc(add, byName)
	return add, nil
}

// parents returns the folders above name that neither the trees nor add hold: as on disk in
// the context when it has that folder (excluded), else made up with mode 0755.
func parents(trees [][]Entry, add []Entry, name, ctxDir string) ([]Entry, error) {
	var out []Entry
	for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
		if e, ok := lookup(trees, dir); ok {
			if !e.IsDir() {
				return nil, fmt.Errorf("%s lands below %s, which is a %s in the context", QuotePath(name), QuotePath(dir), kind(e))
			}
			continue
		}
		if slices.ContainsFunc(add, func(e Entry) bool { return e.Name == dir }) ||
			slices.ContainsFunc(out, func(e Entry) bool { return e.Name == dir }) {
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

// dockerfileEntries returns the Dockerfile and its folders when no tree holds it: Docker sends it
// even when a pattern excludes it. One outside the context comes under DockerfileDir, with its
// own ignore file (see dockerfilePlace.outsideEntries).
func dockerfileEntries(trees [][]Entry, add []Entry, ctxDir string, df dockerfilePlace) ([]Entry, error) {
	if df.outside {
		if _, ok := lookup(append(trees, add), DockerfileDir); ok {
			return nil, fmt.Errorf("the context holds %s, the name imagemake gives the Dockerfile %s outside it", DockerfileDir, df.rel)
		}
		return df.outsideEntries()
	}
	if e, ok := lookup(trees, df.name); ok {
		if e.IsDir() {
			return nil, fmt.Errorf("dockerfile %s is a folder", df.name)
		}
		return nil, nil
	}
	e, err := lstatEntry(df.name, df.src, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("dockerfile %s not found in the context", df.name)
	}
	if err != nil {
		return nil, err
	}
	out, err := parents(trees, add, df.name, ctxDir)
	out = append(out, e)
	for i := range out {
		out[i].DockerfileOnly = true
	}
	return out, err
}
