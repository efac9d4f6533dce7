package inputs

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sync"
)

// hashCell is the content hash of one file for the run; done closes when sum or err is set.
type hashCell struct {
	done chan struct{}
	sum  string // sha256 hex
	err  error
}

type hashJob struct {
	e    Entry
	cell *hashCell
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// sums returns the content hash (hex) of each regular file of entries, "" for the others.
// Files whose stat matches the stat cache are not read; the others are read by a few
// workers; a file several calls ask for is hashed once.
func (s *Scanner) sums(entries []Entry) ([]string, error) {
	cells := make([]*hashCell, len(entries))
	var todo []hashJob
	for i, e := range entries {
		if !e.IsFile() {
			continue
		}
		c, mine := s.cell(e.Src)
		cells[i] = c
		if !mine {
			s.reused.Add(1)
			continue
		}
		if job, ok := s.fromCache(e, c); !ok {
			todo = append(todo, job)
		}
	}
	s.hashAll(todo)
	out := make([]string, len(entries))
	for i, c := range cells {
		if c == nil {
			continue
		}
		<-c.done
		if c.err != nil {
			return nil, fmt.Errorf("%s: %w", entries[i].Name, c.err)
		}
		out[i] = c.sum
	}
	return out, nil
}

// cell returns the run's hash cell of a file; mine is true for the caller that must fill it.
func (s *Scanner) cell(src string) (c *hashCell, mine bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.hashes[src]; ok {
		return c, false
	}
	c = &hashCell{done: make(chan struct{})}
	s.hashes[src] = c
	return c, true
}

// fromCache fills the cell from the stat cache when the file's stat matches; otherwise it
// returns the job that hashes the file.
func (s *Scanner) fromCache(e Entry, c *hashCell) (hashJob, bool) {
	if e.st == (fileStat{}) {
		fi, err := os.Stat(e.Src)
		if err != nil {
			c.err = err
			close(c.done)
			return hashJob{}, true
		}
		e.st = statOf(fi)
	}
	if sum, ok := s.cache.lookup(cacheKey(s.root, e.Src), e.st); ok {
		s.hits.Add(1)
		c.sum = hex.EncodeToString(sum[:])
		close(c.done)
		return hashJob{}, true
	}
	return hashJob{e: e, cell: c}, false
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
	defer close(j.cell.done)
	sum, after, err := hashFile(j.e.Src)
	if err != nil {
		j.cell.err = err
		return
	}
	s.hashed.Add(1)
	s.bytesHashed.Add(after.size)
	j.cell.sum = hex.EncodeToString(sum[:])
	if after == j.e.st && !s.racy(after) {
		s.cache.add(cacheKey(s.root, j.e.Src), statRec{st: after, sum: sum})
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
	if _, err := io.CopyBuffer(h, f, *buf); err != nil {
		return sum, fileStat{}, err
	}
	fi, err := f.Stat()
	if err != nil {
		return sum, fileStat{}, err
	}
	h.Sum(sum[:0])
	return sum, statOf(fi), nil
}
