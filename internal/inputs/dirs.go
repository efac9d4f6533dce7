package inputs

import (
	"sort"
	"sync"
	"sync/atomic"
)

// dirent is one listed name with its lstat.
type dirent struct {
	name string // a tail of path
	path string // absolute: the folder's path, a separator, name
	st   fileStat
	link string    // symlink target
	cell *hashCell // regular files
}

type listing struct {
	done chan struct{}
	ents []dirent // sorted by name
	err  error
}

// dirCache memoizes directory listings for a run: a folder that several images include is
// listed and stat'ed once.
type dirCache struct {
	cache   *statCache
	mu      sync.Mutex
	m       map[string]*listing
	listed  atomic.Int64
	statted atomic.Int64
}

func newDirCache(cache *statCache) *dirCache {
	return &dirCache{cache: cache, m: map[string]*listing{}}
}

// get returns the listing of an absolute directory, reading it unless some goroutine did.
func (c *dirCache) get(dir string) ([]dirent, error) {
	c.mu.Lock()
	l, ok := c.m[dir]
	if !ok {
		l = &listing{done: make(chan struct{})}
		c.m[dir] = l
	}
	c.mu.Unlock()
	if !ok {
		c.read(dir, l)
	}
	<-l.done
	return l.ents, l.err
}

func (c *dirCache) read(dir string, l *listing) {
	defer close(l.done)
	c.listed.Add(1)
	ents, statted, err := readDir(dir)
	c.statted.Add(int64(statted))
	l.ents, l.err = ents, err
	c.cells(dir, ents)
}

// cells gives each regular file its hash cell, filled from the stat cache when the file's
// stat matches its record: walks run in parallel, so the lookups do too.
func (c *dirCache) cells(dir string, ents []dirent) {
	files := 0
	for _, d := range ents {
		if d.st.mode.IsRegular() {
			files++
		}
	}
	cells := make([]hashCell, files)
	for i := range ents {
		if ents[i].st.mode.IsRegular() {
			// Write the cell before anything reads it: a fresh page read first maps the zero
			// page, and the write after costs a TLB flush on every CPU.
			ents[i].cell, cells = &cells[0], cells[1:]
			ents[i].cell.cached = false
		}
	}
	if f := c.cache.dirs[relKey(c.cache.root, dir)]; f != nil {
		c.prefill(dir, ents, f)
	}
}

// prefill fills (their sum) and claims the cells of the files whose stat matches their
// record, joining the sorted listing with the sorted records. It runs before the listing is
// published: the cells need no claim nor lock afterwards (hashCell.prefilled).
func (c *dirCache) prefill(dir string, ents []dirent, f *folder) {
	i := 0
	f.each(func(name []byte, st *fileStat, sum *[32]byte) {
		for i < len(ents) && ents[i].name < string(name) {
			i++
		}
		if i == len(ents) || ents[i].name != string(name) || ents[i].cell == nil {
			return
		}
		d := &ents[i]
		if d.st != *st {
			c.cache.markStale(relKey(c.cache.root, d.path))
			return
		}
		d.cell.cached = true
		d.cell.sum = *sum
		d.cell.prefilled = true
	})
}

// peek returns the listing of dir made during this run, if any.
func (c *dirCache) peek(dir string) ([]dirent, bool) {
	c.mu.Lock()
	l, ok := c.m[dir]
	c.mu.Unlock()
	if !ok {
		return nil, false
	}
	<-l.done
	return l.ents, l.err == nil
}

// isFile tells whether a listing holds name as a regular file.
func isFile(ents []dirent, name string) bool {
	i := sort.Search(len(ents), func(i int) bool { return ents[i].name >= name })
	return i < len(ents) && ents[i].name == name && ents[i].st.mode.IsRegular()
}
