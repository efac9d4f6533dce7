package inputs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
)

// dirent is one listed name with its lstat.
type dirent struct {
	name string
	st   fileStat
	link string // symlink target
}

type listing struct {
	done chan struct{}
	ents []dirent // sorted by name
	err  error
}

// dirCache memoizes directory listings for a run: a folder that several images include is
// listed and stat'ed once. prefetch lists folders in the background, a few at a time, so that
// a walk finds the listings of the folders it is about to enter ready.
type dirCache struct {
	mu      sync.Mutex
	m       map[string]*listing
	slots   chan struct{}
	listed  atomic.Int64
	statted atomic.Int64
}

func newDirCache(workers int) *dirCache {
	return &dirCache{m: map[string]*listing{}, slots: make(chan struct{}, workers)}
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

// prefetch starts reading dir in the background when a slot is free; otherwise the walk
// reads it itself when it gets there.
func (c *dirCache) prefetch(dir string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[dir]; ok {
		return
	}
	select {
	case c.slots <- struct{}{}:
	default:
		return
	}
	l := &listing{done: make(chan struct{})}
	c.m[dir] = l
	go func() {
		c.read(dir, l)
		<-c.slots
	}()
}

func (c *dirCache) read(dir string, l *listing) {
	defer close(l.done)
	c.listed.Add(1)
	des, err := os.ReadDir(dir)
	if err != nil {
		l.err = err
		return
	}
	l.ents = make([]dirent, 0, len(des))
	for _, de := range des {
		d, err := c.stat(dir, de)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since the listing
		}
		if err != nil {
			l.err = err
			return
		}
		l.ents = append(l.ents, d)
	}
}

func (c *dirCache) stat(dir string, de fs.DirEntry) (dirent, error) {
	c.statted.Add(1)
	fi, err := de.Info()
	if err != nil {
		return dirent{}, err
	}
	d := dirent{name: de.Name(), st: statOf(fi)}
	if fi.Mode()&fs.ModeSymlink != 0 {
		d.link, err = os.Readlink(filepath.Join(dir, d.name))
	}
	return d, err
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
