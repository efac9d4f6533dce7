package inputs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math/bits"
	"sync"
	"sync/atomic"
	"unsafe"
)

// source is a folder or file of the disk that lands in a context.
type source struct {
	src string // absolute path; an include's is followed when it is a symlink
	to  string // its name in the context; "" for the context folder itself
	// read: src is a path of the context a Dockerfile reads (see readSources), taken as
	// it is in the context: a symlink stays one, a missing path is nothing.
	read bool
}

// tree is the memoized result of walking one source with one set of patterns.
type tree struct {
	src     string // the source's path on disk (watch forgets the walks a change touches)
	once    sync.Once
	entries []Entry // in path order
	err     error

	sum treeSum // made on first need
}

// walked returns the walk of a source with patterns m (its kept entries, in path order), made
// once per run: images whose patterns and source are the same (a shared folder included at
// the same place) share one walk.
func (s *Scanner) walked(m *matcher, src source) *tree {
	key := m.key + "\x00" + src.src + "\x00" + src.to
	if src.read {
		key += "\x00read"
	}
	s.mu.Lock()
	t, ok := s.trees[key]
	if !ok {
		t = &tree{src: src.src}
		s.trees[key] = t
	}
	s.mu.Unlock()
	t.once.Do(func() {
		w := &walker{s: s, m: m, slots: make(chan struct{}, 2*s.workers)}
		t.entries, t.err = w.walk(src)
	})
	return t
}

// ComparePaths orders slash-separated paths component by component, which is byte order
// with "/" sorting before every other byte: a folder comes right before what it holds
// ("a", "a/x", "a-b"). Contexts, tars and digests list entries in this order.
func ComparePaths(a, b string) int {
	n := min(len(a), len(b))
	i := commonPrefix(a, b, n)
	switch {
	case i == n:
		return len(a) - len(b)
	case a[i] == '/':
		return -1
	case b[i] == '/':
		return 1
	}
	return int(a[i]) - int(b[i])
}

// commonPrefix is the length of the longest common prefix of a and b, n the shorter length;
// it compares eight bytes at a time: names in a context share long prefixes.
func commonPrefix(a, b string, n int) int {
	i := 0
	if n >= 8 {
		pa := unsafe.Slice(unsafe.StringData(a), n)
		pb := unsafe.Slice(unsafe.StringData(b), n)
		for ; i+8 <= n; i += 8 {
			if x := binary.LittleEndian.Uint64(pa[i:]) ^ binary.LittleEndian.Uint64(pb[i:]); x != 0 {
				return i + bits.TrailingZeros64(x)/8
			}
		}
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

func byName(a, b Entry) int { return ComparePaths(a.Name, b.Name) }

// walker collects the entries of one source, reading folders in parallel: a folder goes to a
// new goroutine when a slot is free, else the walk enters it itself. Each folder's result is
// a node; the nodes, flattened depth first, give the entries in path order with no sort. An
// excluded folder is entered only when a `!` pattern could re-include something below it,
// and kept only when something was.
type walker struct {
	s     *Scanner
	m     *matcher
	slots chan struct{}
	wg    sync.WaitGroup

	count atomic.Int64 // entries added to nodes

	mu  sync.Mutex
	err error
}

// node is the kept content of one folder, in listing order; subs are the folders of it the
// walk entered, in the same order. A folder's node holds items, made entries when flattened
// (an item is smaller than an entry, and nodes are dropped once flattened); the top node of
// an include holds its one entry as is.
type node struct {
	items   []item
	entries []Entry
	subs    []subNode
}

// item is a listed name that the walk keeps, name its name in the context: d is its
// listing's, which holds its path on disk.
type item struct {
	name string
	d    *dirent
}

func (n *node) len() int { return len(n.items) + len(n.entries) }

// appendEntries appends the entries of n from i to j.
func (n *node) appendEntries(out []Entry, i, j int) []Entry {
	if n.items == nil {
		return append(out, n.entries[i:j]...)
	}
	for _, it := range n.items[i:j] {
		out = append(out, entryOf(it.name, it.d.path, it.d.st, it.d.link, it.d.cell))
	}
	return out
}

// subNode is the node of entries[i] of its parent; held tells that the folder is an
// excluded one, kept only when something below it is.
type subNode struct {
	i    int
	held bool
	n    *node
}

func (w *walker) walk(src source) ([]Entry, error) {
	top := &node{}
	if src.to == "" {
		w.enter(top, src.src, "", nil, false)
	} else if err := w.root(top, src); err != nil {
		return nil, err
	}
	w.wg.Wait()
	if w.err != nil {
		return nil, w.err
	}
	return top.flatten(make([]Entry, 0, w.count.Load()+1)), nil
}

// root starts the walk of an include: its From, followed when a symlink, lands at its To.
// top gets the one entry.
func (w *walker) root(top *node, src source) error {
	root, err := lstatEntry(src.to, src.src, !src.read)
	if src.read && errors.Is(err, fs.ErrNotExist) {
		return nil // the build will say the path is missing
	}
	if err != nil {
		return err
	}
	excluded, info, err := w.m.match(src.to, nil, root.IsDir())
	switch {
	case err != nil:
		return err
	case !root.IsDir():
		if !excluded && kept(root.Mode) {
			top.add(root, nil, false)
		}
	case !excluded || !w.m.prunable(src.to):
		sub := &node{}
		top.add(root, sub, excluded)
		w.enter(sub, root.Src, root.Name, info, excluded)
	}
	return nil
}

func (n *node) add(e Entry, sub *node, held bool) {
	if sub != nil {
		n.subs = append(n.subs, subNode{i: n.len(), held: held, n: sub})
	}
	n.entries = append(n.entries, e)
}

func (n *node) addItem(it item, sub *node, held bool) {
	if sub != nil {
		n.subs = append(n.subs, subNode{i: n.len(), held: held, n: sub})
	}
	n.items = append(n.items, it)
}

// flatten appends the entries depth first, leaving out held folders that hold nothing kept.
func (n *node) flatten(out []Entry) []Entry {
	next := 0
	for _, sub := range n.subs {
		out = n.appendEntries(out, next, sub.i+1)
		next = sub.i + 1
		mark := len(out) - 1
		out = sub.n.flatten(out)
		if sub.held && len(out) == mark+1 {
			out = out[:mark]
		}
	}
	return n.appendEntries(out, next, n.len())
}

func (w *walker) enter(n *node, abs, name string, info matchInfo, excluded bool) {
	w.wg.Add(1)
	select {
	case w.slots <- struct{}{}:
		go func() {
			defer func() { <-w.slots }()
			w.dir(n, abs, name, info, excluded)
		}()
	default:
		w.dir(n, abs, name, info, excluded)
	}
}

// dir fills n with what is kept of the folder abs, named name in the context, and enters its
// sub-folders.
func (w *walker) dir(n *node, abs, name string, info matchInfo, excluded bool) {
	defer w.wg.Done()
	ents, err := w.s.dirs.get(abs)
	if excluded && errors.Is(err, fs.ErrPermission) {
		return // BuildKit too skips an excluded folder it cannot read
	}
	if err != nil {
		w.fail(fmt.Errorf("reading folder %s: %w", QuotePath(orDot(name)), quoteErrPath(err)))
		return
	}
	type visit struct {
		sub       *node
		src, name string
		info      matchInfo
		excluded  bool
	}
	var visits []visit
	n.items = make([]item, 0, len(ents))
	for i := range ents {
		d := &ents[i]
		c, enter, err := w.judge(name, d, info)
		if err != nil {
			w.fail(err)
			return
		}
		if c.excluded && !enter {
			continue
		}
		var sub *node
		if enter {
			sub = &node{}
			visits = append(visits, visit{sub, d.path, c.Name, c.info, c.excluded})
		}
		n.addItem(item{name: c.Name, d: d}, sub, c.excluded)
	}
	w.count.Add(int64(len(n.items)))
	for _, v := range visits {
		w.enter(v.sub, v.src, v.name, v.info, v.excluded)
	}
}

// child is one listed name with the pattern verdict on it.
type child struct {
	Entry
	excluded bool
	info     matchInfo
}

// judge matches one listed name of the folder named name against the patterns; enter tells
// whether to walk it.
func (w *walker) judge(name string, d *dirent, info matchInfo) (c child, enter bool, err error) {
	c.Entry = entryOf(childName(d.path, name, d.name), d.path, d.st, d.link, d.cell)
	if !kept(d.st.mode) {
		c.excluded = true
		return c, false, nil
	}
	isDir := d.st.mode.IsDir()
	if c.excluded, c.info, err = w.m.match(c.Name, info, isDir); err != nil {
		return c, false, fmt.Errorf("matching %s: %w", QuotePath(c.Name), err)
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

// childName is the in-context name of a listed file: dir/name, taken from the end of its
// path on disk when it is there (it mostly is), which spares an allocation.
func childName(src, dir, name string) string {
	n := len(name)
	if dir != "" {
		n += len(dir) + 1
	}
	if len(src) >= n {
		tail := src[len(src)-n:]
		if dir == "" || (tail[:len(dir)] == dir && tail[len(dir)] == '/') {
			return tail
		}
	}
	return joinName(dir, name)
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
