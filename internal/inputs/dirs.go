package inputs

import (
	"sort"
	"sync"
	"sync/atomic"
)

// dirent is one listed name with its lstat.
type dirent struct {
	name string
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
	mu      sync.Mutex
	m       map[string]*listing
	listed  atomic.Int64
	statted atomic.Int64
}

func newDirCache() *dirCache {
	return &dirCache{m: map[string]*listing{}}
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
	files := 0
	for _, d := range ents {
		if d.st.mode.IsRegular() {
			files++
		}
	}
	cells := make([]hashCell, files)
	for i := range ents {
		if ents[i].st.mode.IsRegular() {
			ents[i].cell, cells = &cells[0], cells[1:]
		}
	}
}

// has tells whether a listing made during this run holds name as a regular file. known is
// false when dir was not listed.
func (c *dirCache) has(dir, name string) (found, known bool) {
	c.mu.Lock()
	l, ok := c.m[dir]
	c.mu.Unlock()
	if !ok {
		return false, false
	}
	<-l.done
	if l.err != nil {
		return false, false
	}
	i := sort.Search(len(l.ents), func(i int) bool { return l.ents[i].name >= name })
	return i < len(l.ents) && l.ents[i].name == name && l.ents[i].st.mode.IsRegular(), true
}
