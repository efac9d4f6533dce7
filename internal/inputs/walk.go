package inputs

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/moby/patternmatcher"
)

// source is a folder or file of the disk that lands in a context.
type source struct {
	src string // absolute path; an include's is followed when it is a symlink
	to  string // its name in the context; "" for the context folder itself
}

// tree is the memoized result of walking one source with one set of patterns.
type tree struct {
	once    sync.Once
	entries []Entry // sorted by name
	err     error
}

// tree returns the kept entries of a source, sorted by name. Images whose patterns and
// source are the same (a shared folder included at the same place) share one walk.
func (s *Scanner) tree(m *matcher, src source) ([]Entry, error) {
	key := m.key + "\x00" + src.src + "\x00" + src.to
	s.mu.Lock()
	t, ok := s.trees[key]
	if !ok {
		t = &tree{}
		s.trees[key] = t
	}
	s.mu.Unlock()
	t.once.Do(func() {
		w := &walker{s: s, m: m}
		t.err = w.source(src)
		slices.SortFunc(w.out, byName)
		t.entries = w.out
	})
	return t.entries, t.err
}

func byName(a, b Entry) int { return strings.Compare(a.Name, b.Name) }

// walker collects the entries of one source. An excluded directory is entered only when a
// `!` pattern could re-include something below it, and kept only when something was.
type walker struct {
	s   *Scanner
	m   *matcher
	out []Entry
}

func (w *walker) source(src source) error {
	if src.to == "" {
		return w.dir(src.src, "", patternmatcher.MatchInfo{})
	}
	root, err := lstatEntry(src.to, src.src, true)
	if err != nil {
		return err
	}
	excluded, info, err := w.m.match(src.to, patternmatcher.MatchInfo{})
	if err != nil || !root.IsDir() {
		if err == nil && !excluded && kept(root.Mode) {
			w.out = append(w.out, root)
		}
		return err
	}
	if excluded && w.m.prunable(src.to) {
		return nil
	}
	return w.keepDir(root, excluded, info)
}

// keepDir adds a directory and what is kept below it; an excluded one stays only as the
// parent of something re-included.
func (w *walker) keepDir(d Entry, excluded bool, info patternmatcher.MatchInfo) error {
	mark := len(w.out)
	w.out = append(w.out, d)
	err := w.dir(d.Src, d.Name, info)
	if excluded && len(w.out) == mark+1 {
		w.out = w.out[:mark]
	}
	if excluded && errors.Is(err, fs.ErrPermission) {
		return nil // BuildKit too skips an excluded folder it cannot read
	}
	return err
}

// child is one listed name with the pattern verdict on it.
type child struct {
	dirent
	name     string
	excluded bool
	info     patternmatcher.MatchInfo
}

func (w *walker) dir(abs, name string, info patternmatcher.MatchInfo) error {
	ents, err := w.s.dirs.get(abs)
	if err != nil {
		return fmt.Errorf("reading folder %s: %w", orDot(name), err)
	}
	children, err := w.judge(abs, name, ents, info)
	if err != nil {
		return err
	}
	for _, c := range children {
		src := filepath.Join(abs, c.dirent.name)
		e := entryOf(c.name, src, c.st, c.link)
		if e.IsDir() {
			if err := w.keepDir(e, c.excluded, c.info); err != nil {
				return err
			}
		} else if !c.excluded {
			w.out = append(w.out, e)
		}
	}
	return nil
}

// judge matches the listed names against the patterns, drops what is neither kept nor to be
// entered, and starts listing the folders to enter.
func (w *walker) judge(abs, name string, ents []dirent, info patternmatcher.MatchInfo) ([]child, error) {
	children := make([]child, 0, len(ents))
	for _, d := range ents {
		if !kept(d.st.mode) {
			continue
		}
		c := child{dirent: d, name: joinName(name, d.name)}
		var err error
		if c.excluded, c.info, err = w.m.match(c.name, info); err != nil {
			return nil, fmt.Errorf("matching %s: %w", c.name, err)
		}
		if d.st.mode.IsDir() {
			sub := filepath.Join(abs, d.name)
			if sub == w.s.stateDir || (c.excluded && w.m.prunable(c.name)) {
				continue
			}
			w.s.dirs.prefetch(sub)
		} else if c.excluded {
			continue
		}
		children = append(children, c)
	}
	return children, nil
}

func joinName(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

func orDot(name string) string {
	if name == "" {
		return "."
	}
	return name
}
