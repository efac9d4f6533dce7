package inputs

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// racyWindow: a file changed less than this before the run started may change again within
// the file system's timestamp granularity without its stat showing it (git's "racy" files),
// so its hash is used in this run but not saved.
const racyWindow = 2 * time.Second

// statRec is what the stat cache knows of one file.
type statRec struct {
	name string // base name
	st   fileStat
	sum  [32]byte
}

func byRecName(a, b statRec) int { return strings.Compare(a.name, b.name) }

// statCache is the loaded cache plus what this run learnt. Records are grouped by folder, so
// that a listing finds its records with one map lookup; dirs is read-only once loaded, so
// lookups take no lock.
type statCache struct {
	root  string
	dirs  map[string]*folder // folder key (see relKey) -> its records
	stale atomic.Bool        // some loaded record no longer matches its file

	mu     sync.Mutex
	fresh  map[string]statRec // file key -> hashed in this run, old enough to trust later
	staled map[string]bool    // file keys of stale records
}

func newStatCache(root string, dirs map[string]*folder) *statCache {
	return &statCache{root: root, dirs: dirs, fresh: map[string]statRec{}, staled: map[string]bool{}}
}

// relKey is the cache key of an absolute path: relative to the root ("." for the root
// itself) when below it, else the path itself.
func relKey(root, abs string) string {
	switch {
	case abs == root:
		return "."
	case strings.HasPrefix(abs, root) && os.IsPathSeparator(abs[len(root)]):
		return abs[len(root)+1:]
	}
	return abs
}

func absKey(root, key string) string {
	if filepath.IsAbs(key) {
		return key
	}
	return filepath.Join(root, key)
}

// folder returns the records of the folder with that key.
func (c *statCache) folder(key string) []statRec {
	if f := c.dirs[key]; f != nil {
		return f.records()
	}
	return nil
}

// findRec returns the record of name in a folder's records.
func findRec(recs []statRec, name string) (statRec, bool) {
	i, ok := slices.BinarySearchFunc(recs, name, func(r statRec, n string) int { return strings.Compare(r.name, n) })
	if !ok {
		return statRec{}, false
	}
	return recs[i], true
}

// lookup returns the cached hash of the file at abs when its stat is st.
func (c *statCache) lookup(abs string, st fileStat) ([32]byte, bool) {
	key := relKey(c.root, abs)
	r, ok := findRec(c.folder(filepath.Dir(key)), filepath.Base(key))
	if ok && r.st == st {
		return r.sum, true
	}
	if ok {
		c.markStale(key)
	}
	return [32]byte{}, false
}

func (c *statCache) markStale(key string) {
	c.stale.Store(true)
	c.mu.Lock()
	c.staled[key] = true
	c.mu.Unlock()
}

func (c *statCache) add(abs string, r statRec) {
	key := relKey(c.root, abs)
	r.name = filepath.Base(key)
	c.mu.Lock()
	c.fresh[key] = r
	c.mu.Unlock()
}

// changed tells whether saving would write anything new. A file deleted since it was cached
// does not count: its record goes at the next save that has something to write.
func (c *statCache) changed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stale.Load() || len(c.fresh) > 0
}

// merged is what the next save writes: the loaded records minus the stale ones and those of
// files the listings of this run show gone, plus the fresh ones.
func (c *statCache) merged(listings *dirCache) map[string][]statRec {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string][]statRec, len(c.dirs))
	for dk, f := range c.dirs {
		recs := f.records()
		ents, listed := listings.peek(absKey(c.root, dk))
		kept := make([]statRec, 0, len(recs))
		for _, r := range recs {
			if !c.staled[filepath.Join(dk, r.name)] && (!listed || isFile(ents, r.name)) {
				kept = append(kept, r)
			}
		}
		out[dk] = kept
	}
	for key, r := range c.fresh {
		dk := filepath.Dir(key)
		out[dk] = append(out[dk], r)
	}
	for dk, recs := range out {
		out[dk] = lastOfEach(recs)
	}
	return out
}

// lastOfEach sorts records by name and keeps, of those with the same name, the last one.
func lastOfEach(recs []statRec) []statRec {
	slices.SortStableFunc(recs, byRecName)
	out := recs[:0]
	for _, r := range recs {
		if n := len(out); n > 0 && out[n-1].name == r.name {
			out[n-1] = r
		} else {
			out = append(out, r)
		}
	}
	return out
}
