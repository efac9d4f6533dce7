package inputs

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/dockerfile"
)

// A Scanner kept from one run to the next (imagemake watch) plans each run from what it holds
// in memory: the listings of the folders, with the hash of each file, and the walks made of
// them. Between runs, and never during one, the watcher tells it what changed on disk
// (Forget); only those folders are listed again and only their changed files read. A
// listing that several images share is still one listing.

// Forget drops what the scanner knows of the changed paths (absolute; files or folders,
// created, written, removed or renamed), so that the next run sees them as they are now: the
// folder holding each path is listed again at once, a file whose stat is unchanged keeping
// its hash; the walks under or above a path are made again (from the listings in memory); a
// removed folder's listings are dropped. It must not be called while a run uses the scanner.
func (s *Scanner) Forget(paths []string) {
	s.start = liveNow() // files changed from now on are "racy" for the stat cache, not before
	s.warnings = nil
	dirs := map[string]bool{}
	for _, p := range paths {
		p = filepath.Clean(p)
		dirs[filepath.Dir(p)] = true
		s.dropUnder(p)
	}
	for dir := range dirs {
		if s.dirs.has(dir) {
			s.dirs.relist(dir, s.start)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, t := range s.trees {
		if touches(paths, t.src) {
			delete(s.trees, key) // a walk elsewhere read none of the folders listed again
		}
	}
}

// Renew readies the scanner for a project loaded again (its config, a Dockerfile or a Compose
// file changed): p and the Dockerfiles parsed with it replace the old ones, and every walk and
// parse is made again, from the listings and hashes kept in memory.
func (s *Scanner) Renew(p *config.Project, parsed map[string]*dockerfile.Info) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.project, s.parsed = p, parsed
	s.trees = map[string]*tree{}
	s.reads = map[string]*readsCell{}
	s.warnings = nil
	s.start = liveNow()
}

// liveNow is the clock of Forget and Renew; tests set it ahead to trust files they just wrote.
var liveNow = time.Now

// Folders are the folders a run listed (absolute, sorted): what a watcher watches, since a
// change anywhere else (an excluded folder, a folder of no context) changes no image.
func (s *Scanner) Folders() []string {
	s.dirs.mu.Lock()
	defer s.dirs.mu.Unlock()
	out := make([]string, 0, len(s.dirs.m))
	for dir, l := range s.dirs.m {
		select {
		case <-l.done:
			if l.err == nil {
				out = append(out, dir)
			}
		default:
		}
	}
	slices.Sort(out)
	return out
}

// Sources are the paths the walks start from (absolute, sorted): the context folders, the
// includes and the paths a Dockerfile reads. A watcher watches the folders holding them too,
// for an include of a single file or a context folder created or removed.
func (s *Scanner) Sources() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	for _, t := range s.trees {
		seen[t.src] = true
	}
	out := make([]string, 0, len(seen))
	for src := range seen {
		out = append(out, src)
	}
	slices.Sort(out)
	return out
}

// Matters tells whether a change to the absolute path p can change an image the last run
// planned: p is, or was, a kept entry of some walk; or it is new (its folder's listing lacks
// it) in a listed folder or at a walk's start; or it lies above a walk's start. A path the
// walks excluded (.dockerignore, exclude:) that the listing holds does not matter, nor does
// one in a folder no walk entered.
func (s *Scanner) Matters(p string) bool {
	p = filepath.Clean(p)
	if p == s.stateDir || strings.HasPrefix(p, s.stateDir+string(filepath.Separator)) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.trees {
		if p == t.src || isUnder(t.src, p) {
			return true
		}
		if slices.ContainsFunc(t.entries, func(e Entry) bool { return e.Src == p }) {
			return true
		}
	}
	ents, listed := s.dirs.peek(filepath.Dir(p))
	return listed && !hasName(ents, filepath.Base(p))
}

// touches tells whether a change to one of paths can change the walk from src: a path at,
// under or above it.
func touches(paths []string, src string) bool {
	for _, p := range paths {
		p = filepath.Clean(p)
		if p == src || isUnder(p, src) || isUnder(src, p) {
			return true
		}
	}
	return false
}

// isUnder tells whether p lies below the folder dir.
func isUnder(p, dir string) bool {
	return len(p) > len(dir) && strings.HasPrefix(p, dir) && os.IsPathSeparator(p[len(dir)])
}

func hasName(ents []dirent, name string) bool {
	_, ok := slices.BinarySearchFunc(ents, name, func(d dirent, n string) int { return strings.Compare(d.name, n) })
	return ok
}

// dropUnder drops the listings of p and of every folder below it, and the hashes of files no
// listing holds (an include of one file) at or below p.
func (s *Scanner) dropUnder(p string) {
	s.dirs.mu.Lock()
	for dir := range s.dirs.m {
		if dir == p || isUnder(dir, p) {
			delete(s.dirs.m, dir)
		}
	}
	s.dirs.mu.Unlock()
	s.mu.Lock()
	for src := range s.hashes {
		if src == p || isUnder(src, p) {
			delete(s.hashes, src)
		}
	}
	s.mu.Unlock()
}

func (c *dirCache) has(dir string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.m[dir]
	return ok
}

// relist lists dir again in place of its listing. A file whose stat is the one it had keeps
// its hash (the cell of the old listing, when it was filled), unless it changed within the
// racy window before now: its next change could leave the stat as it is.
func (c *dirCache) relist(dir string, now time.Time) {
	c.mu.Lock()
	old := c.m[dir]
	l := &listing{done: make(chan struct{})}
	c.m[dir] = l
	c.mu.Unlock()
	c.read(dir, l)
	if old == nil || old.err != nil || l.err != nil {
		return
	}
	racy := now.Add(-racyWindow).UnixNano()
	for i := range l.ents {
		d := &l.ents[i]
		if d.cell == nil || d.cell.prefilled {
			continue
		}
		if sum, ok := filledSum(old.ents, d, racy); ok {
			d.cell.sum, d.cell.cached, d.cell.prefilled = sum, true, true
		}
	}
}

// filledSum is the hash the old listing holds for d, when d's stat is the one it had then and
// the hash was made.
func filledSum(old []dirent, d *dirent, racy int64) ([32]byte, bool) {
	i, ok := slices.BinarySearchFunc(old, d.name, func(o dirent, n string) int { return strings.Compare(o.name, n) })
	if !ok {
		return [32]byte{}, false
	}
	o := &old[i]
	if o.cell == nil || o.st != d.st || max(d.st.ctime, d.st.mtime) >= racy {
		return [32]byte{}, false
	}
	if o.cell.prefilled {
		return o.cell.sum, true
	}
	cl := o.cell.claim.Load()
	if cl == nil {
		return [32]byte{}, false
	}
	select {
	case <-cl.done:
		return o.cell.sum, cl.err == nil
	default:
		return [32]byte{}, false
	}
}

// Settle takes back, as the scanner's stat cache, what the last run saved in the stat cache
// file (Save), so that the next run's Save writes only when that run learnt something: a
// kept scanner's learnt hashes and stale records would otherwise make every later run write
// the whole cache again. Call it after a run that saved, between runs.
func (s *Scanner) Settle() error {
	if _, added := s.digests.snapshot(); !added && !s.cache.changed() {
		return nil
	}
	recs, digests, err := loadCache(s.cacheFile(), s.root)
	if err != nil {
		return fmt.Errorf("reading the stat cache: %w", err)
	}
	s.cache = newStatCache(s.root, recs)
	s.dirs.cache = s.cache
	s.digests = &digestCache{recs: digests}
	return nil
}
