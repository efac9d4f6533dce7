package inputs

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"
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
		w := &walker{s: s, m: m, slots: make(chan struct{}, 2*s.workers)}
		t.entries, t.err = w.walk(src)
	})
	return t.entries, t.err
}

func byName(a, b Entry) int { return strings.Compare(a.Name, b.Name) }

// walker collects the entries of one source, reading folders in parallel: a folder goes to a
// new goroutine when a slot is free, else the walk enters it itself. An excluded folder is
// entered only when a `!` pattern could re-include something below it, and kept only when
// something was.
type walker struct {
	s     *Scanner
	m     *matcher
	slots chan struct{}
	wg    sync.WaitGroup

	mu   sync.Mutex
	out  []Entry // kept
	held []Entry // excluded folders entered: kept when something below them is
	err  error
}

func (w *walker) walk(src source) ([]Entry, error) {
	if src.to == "" {
		w.enter(src.src, "", nil, false)
	} else if err := w.root(src); err != nil {
		return nil, err
	}
	w.wg.Wait()
	if w.err != nil {
		return nil, w.err
	}
	slices.SortFunc(w.out, byName)
	return w.keepHeld(), nil
}

// root starts the walk of an include: its From, followed when a symlink, lands at its To.
func (w *walker) root(src source) error {
	root, err := lstatEntry(src.to, src.src, true)
	if err != nil {
		return err
	}
	excluded, info, err := w.m.match(src.to, nil, root.IsDir())
	switch {
	case err != nil:
		return err
	case !root.IsDir():
		if !excluded && kept(root.Mode) {
			w.out = append(w.out, root)
		}
	case !excluded:
		w.out = append(w.out, root)
		w.enter(root.Src, root.Name, info, false)
	case !w.m.prunable(src.to):
		w.held = append(w.held, root)
		w.enter(root.Src, root.Name, info, true)
	}
	return nil
}

// keepHeld adds to the sorted out the held folders that something kept is below.
func (w *walker) keepHeld() []Entry {
	var add []Entry
	for _, h := range w.held {
		i, _ := slices.BinarySearchFunc(w.out, h.Name+"/", func(e Entry, name string) int { return strings.Compare(e.Name, name) })
		if i < len(w.out) && strings.HasPrefix(w.out[i].Name, h.Name+"/") {
			add = append(add, h)
		}
	}
	return sorted(w.out, add)
}

func (w *walker) enter(abs, name string, info matchInfo, excluded bool) {
	w.wg.Add(1)
	select {
	case w.slots <- struct{}{}:
		go func() {
			defer func() { <-w.slots }()
			w.dir(abs, name, info, excluded)
		}()
	default:
		w.dir(abs, name, info, excluded)
	}
}

// child is one listed name with the pattern verdict on it.
type child struct {
	Entry
	excluded bool
	info     matchInfo
}

func (w *walker) dir(abs, name string, info matchInfo, excluded bool) {
	defer w.wg.Done()
	ents, err := w.s.dirs.get(abs)
	if excluded && errors.Is(err, fs.ErrPermission) {
		return // BuildKit too skips an excluded folder it cannot read
	}
	if err != nil {
		w.fail(fmt.Errorf("reading folder %s: %w", orDot(name), err))
		return
	}
	var kept, held []Entry
	var subs []child
	for _, d := range ents {
		c, enter, err := w.judge(abs, name, d, info)
		if err != nil {
			w.fail(err)
			return
		}
		switch {
		case c.excluded && enter:
			held = append(held, c.Entry)
		case !c.excluded:
			kept = append(kept, c.Entry)
		}
		if enter {
			subs = append(subs, c)
		}
	}
	w.mu.Lock()
	w.out, w.held = append(w.out, kept...), append(w.held, held...)
	w.mu.Unlock()
	for _, c := range subs {
		w.enter(c.Src, c.Name, c.info, c.excluded)
	}
}

// judge matches one listed name against the patterns; enter tells whether to walk it.
func (w *walker) judge(abs, name string, d dirent, info matchInfo) (c child, enter bool, err error) {
	c.Entry = entryOf(joinName(name, d.name), filepath.Join(abs, d.name), d.st, d.link, d.cell)
	if !kept(d.st.mode) {
		c.excluded = true
		return c, false, nil
	}
	isDir := d.st.mode.IsDir()
	if c.excluded, c.info, err = w.m.match(c.Name, info, isDir); err != nil {
		return c, false, fmt.Errorf("matching %s: %w", c.Name, err)
	}
	if isDir && (c.Src == w.s.stateDir || (c.excluded && w.m.prunable(c.Name))) {
		c.excluded = true
		return c, false, nil
	}
	return c, isDir, nil
}

func (w *walker) fail(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
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
