package inputs

import (
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
)

// hashCell is the content hash of one file for the run. The listing that finds a file makes
// its cell, so that every image holding the file shares it; the first caller to claim it
// fills it from the stat cache or has the file read.
//
// A run makes one a file, most of them prefilled: what a claim needs is made by the first
// claim (cellClaim), leaving the cell small. The entry's value (see Manifest) is written
// only when a manifest's files are listed: a no-op run needs none.
type hashCell struct {
	sum   [32]byte
	claim atomic.Pointer[cellClaim]
	// moved tells that the file's stat changed while it was read, or differs from the entry's
	// size: sum matches no stat. The builder checks the bytes it sends against sum.
	moved bool
	used  atomic.Bool // some manifest asked for it: later asks count as reused
	// prefilled: the listing filled the cell (its value) from the stat cache before
	// publishing it, so that no claim is needed.
	prefilled bool
	cached    bool // the hash came from the stat cache
}

// cellClaim is the claim of a cell that was not prefilled.
type cellClaim struct {
	once sync.Once
	done chan struct{} // made by the claim; closed once value or err is set
	err  error
}

// claimOf returns the claim of c, making it if no goroutine did.
func (c *hashCell) claimOf() *cellClaim {
	if cl := c.claim.Load(); cl != nil {
		return cl
	}
	cl := &cellClaim{}
	if c.claim.CompareAndSwap(nil, cl) {
		return cl
	}
	return c.claim.Load()
}

// closed is the done channel of cells filled when claimed.
var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

type hashJob struct {
	e    Entry
	st   fileStat
	cell *hashCell
	cl   *cellClaim // the cell's
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// values returns the manifest value of each entry (see cells).
func (s *Scanner) values(entries []Entry) ([]string, error) {
	values := make([]string, len(entries))
	err := s.eachCell(entries, func(i int, c *hashCell) { values[i] = valueOf(entries[i], c) })
	if err != nil {
		return nil, err
	}
	return values, nil
}

// cells returns the filled hash cell of each entry, nil but for files. Files whose stat
// matches the stat cache are not read; the others are read by a few workers, once per run
// however many images hold them.
func (s *Scanner) cells(entries []Entry) ([]*hashCell, error) {
	cells := make([]*hashCell, len(entries))
	err := s.eachCell(entries, func(i int, c *hashCell) { cells[i] = c })
	if err != nil {
		return nil, err
	}
	return cells, nil
}

// eachCell calls set with the index and filled hash cell of each entry (nil but for files),
// in order, once the hashes of the files are known (see cells).
func (s *Scanner) eachCell(entries []Entry, set func(i int, c *hashCell)) error {
	// The cells of files without one of their own (e.cell), by index: an entry's cell is
	// e.cell but for those.
	var own map[int]*hashCell
	var todo []hashJob
	var reused, hits int64
	for i := range entries {
		e := &entries[i]
		if !e.IsFile() {
			continue
		}
		c := e.cell
		if c == nil {
			c = s.cellOf(*e)
			if own == nil {
				own = map[int]*hashCell{}
			}
			own[i] = c
		}
		if job, mine := s.claim(c, *e); mine {
			todo = append(todo, job)
		}
		if c.used.Load() || !c.used.CompareAndSwap(false, true) {
			reused++
		} else if c.cached {
			hits++
		}
	}
	s.reused.Add(reused)
	s.hits.Add(hits)
	s.hashAll(todo)
	for i := range entries {
		e := &entries[i]
		var c *hashCell
		if e.IsFile() {
			if c = e.cell; c == nil {
				c = own[i]
			}
			if !c.prefilled {
				cl := c.claim.Load() // made by s.claim above
				<-cl.done
				if cl.err != nil {
					return fmt.Errorf("%s: %w", QuotePath(e.Name), quoteErrPath(cl.err))
				}
			}
		}
		set(i, c)
	}
	return nil
}

// cellOf returns the hash cell of a file: its listing's, or for a file no listing found (an
// include's From, an entry made by hand) one per path.
func (s *Scanner) cellOf(e Entry) *hashCell {
	if e.cell != nil {
		return e.cell
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.hashes[e.Src]
	if !ok {
		c = &hashCell{}
		s.hashes[e.Src] = c
	}
	return c
}

// claim fills a new cell from the stat cache when the file's stat matches it; mine tells
// the caller to have the file read. The listing claims the cells of the files it finds in
// the cache: this stat is for the others, changed or new.
func (s *Scanner) claim(c *hashCell, e Entry) (job hashJob, mine bool) {
	if c.prefilled {
		return job, false
	}
	cl := c.claimOf()
	cl.once.Do(func() {
		fi, err := os.Stat(e.Src)
		if err != nil {
			cl.err, cl.done = err, closed
			return
		}
		st := statOf(fi)
		if sum, ok := s.cache.lookup(e.Src, st); ok {
			c.sum, cl.done, c.cached = sum, closed, true
			c.moved = st.size != e.Size
			return
		}
		cl.done, mine = make(chan struct{}), true
		job = hashJob{e: e, st: st, cell: c, cl: cl}
	})
	return job, mine
}

// valueOf is e's value in the manifest, c its filled hash cell (nil but for files).
func valueOf(e Entry, c *hashCell) string {
	if c == nil {
		if e.IsDir() {
			return dirValue(e.Mode)
		}
		return e.value(nil)
	}
	return e.value(&c.sum)
}

// dirValues holds the value of a directory per permission and special bits (12 bits):
// contexts hold many directories and few modes.
var dirValues [1 << 12]atomic.Pointer[string]

// dirValue is the value of a directory of mode m, made once per mode.
func dirValue(m fs.FileMode) string {
	u := unixMode(m)
	if v := dirValues[u].Load(); v != nil {
		return *v
	}
	v := Entry{Mode: m&keptMode | fs.ModeDir}.value(nil)
	dirValues[u].Store(&v)
	return v
}

func (s *Scanner) hashAll(todo []hashJob) {
	jobs := make(chan hashJob)
	var wg sync.WaitGroup
	for range min(s.workers, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				s.hash(j)
			}
		}()
	}
	for _, j := range todo {
		jobs <- j
	}
	close(jobs)
	wg.Wait()
}

func (s *Scanner) hash(j hashJob) {
	defer close(j.cl.done)
	sum, after, err := hashFile(j.e.Src)
	if err != nil {
		j.cl.err = err
		return
	}
	s.hashed.Add(1)
	s.bytesHashed.Add(after.size)
	j.cell.sum = sum
	j.cell.moved = after != j.st || after.size != j.e.Size
	if after == j.st && !s.racy(after) {
		s.cache.add(j.e.Src, statRec{st: after, sum: sum})
	}
}

// racy tells whether a file changed so recently that a change to come could leave its stat
// as it is now (timestamps have a granularity); git calls such index entries racy. The
// change time is used where there is one: unlike mtime, no program can set it back.
func (s *Scanner) racy(st fileStat) bool {
	t := st.ctime
	if t == 0 {
		t = st.mtime
	}
	return t >= s.start.Add(-racyWindow).UnixNano()
}

// hashFile returns the sha256 of a file and its stat once read, to check it did not change
// while being read.
func hashFile(src string) ([32]byte, fileStat, error) {
	var sum [32]byte
	f, err := os.Open(src)
	if err != nil {
		return sum, fileStat{}, err
	}
	defer f.Close()
	h := sha256.New()
	buf := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(buf)
	// Hide f's WriteTo, which would copy through a buffer of its own making.
	if _, err := io.CopyBuffer(h, struct{ io.Reader }{f}, *buf); err != nil {
		return sum, fileStat{}, err
	}
	fi, err := f.Stat()
	if err != nil {
		return sum, fileStat{}, err
	}
	h.Sum(sum[:0])
	return sum, statOf(fi), nil
}
