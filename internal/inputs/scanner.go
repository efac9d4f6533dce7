// Package inputs computes, for each image, exactly what its build sees and a digest of it: the
// file set of the build context (excludes, .dockerignore, includes), a stat cache that keeps
// unchanged files from being read again, the inputs digest and manifest, the human reasons
// why a digest changed, and the deterministic tar sent to the engine.
//
// A run makes one Scanner, calls Context then Manifest for each image in dependency order
// (a manifest covers the digests of the images it builds on), streams contexts with
// WriteTar, and ends with Save. State keeps the manifests of earlier runs for Explain.
//
// A no-op run costs about what `git status` does: one getdents per folder and one lstat per
// name (relative to the folder's descriptor), folders read in parallel and each once however
// many images include them; a file whose size, mtime, ctime, inode and mode match the stat
// cache is never opened. As git does for "racy" index entries, a hash is not saved for a file
// changed less than 2 seconds before the run started (its next change could leave the stat
// as it is); the next run hashes it again.
package inputs

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/dockerfile"
)

// StateDir is the folder, at the project root, holding the stat cache and the manifests.
// It is never part of a build context.
const StateDir = ".imagemake"

// Scanner computes contexts and manifests for one run. It memoizes directory listings, walks
// and file hashes: a folder several images include is listed once and each file is read at
// most once per run. It is safe for concurrent use.
type Scanner struct {
	root     string
	project  *config.Project
	stateDir string
	start    time.Time // files changed after start-racyWindow are not saved in the cache
	workers  int

	dirs    *dirCache
	cache   *statCache
	digests *digestCache

	mu     sync.Mutex
	trees  map[string]*tree
	hashes map[string]*hashCell
	reads  map[string]*readsCell       // by image name
	parsed map[string]*dockerfile.Info // by image name, parsed by the project load

	warnings            []string
	hashed, hits        atomic.Int64
	bytesHashed, reused atomic.Int64
}

// Stats counts the work of a run, for tests and benchmarks.
type Stats struct {
	Listed      int64 // directories read
	Statted     int64 // directory entries lstat'ed
	Hashed      int64 // files whose content was read to hash it
	BytesHashed int64
	CacheHits   int64 // files whose hash came from the stat cache, unread
	Reused      int64 // hash requests answered by a hash made earlier in the run
}

// NewScanner opens the stat cache of the project (.imagemake/statcache at p.Root). A missing
// or foreign cache (written for another root or by another version) is ignored; a damaged
// one (corrupt, truncated, a folder, unreadable) too, with a warning in Warnings, and Save
// replaces it.
func NewScanner(p *config.Project, opts ...Option) (*Scanner, error) {
	root, err := filepath.Abs(p.Root)
	if err != nil {
		return nil, err
	}
	s := &Scanner{
		root:     root,
		project:  p,
		stateDir: filepath.Join(root, StateDir),
		start:    time.Now(),
		workers:  min(max(runtime.GOMAXPROCS(0), 2), 8),
		trees:    map[string]*tree{},
		hashes:   map[string]*hashCell{},
		reads:    map[string]*readsCell{},
	}
	recs, digests, err := loadCache(s.cacheFile(), root)
	var damaged *damagedError
	switch {
	case errors.Is(err, errCorrupt):
		s.warnings = append(s.warnings, damageWarning(root, s.cacheFile(), errors.New("corrupt: every file is read again")))
	case errors.As(err, &damaged):
		s.warnings = append(s.warnings, damageWarning(root, damaged.file, fmt.Errorf("%w: every file is read again", damaged.err)))
	case err != nil:
		return nil, fmt.Errorf("reading the stat cache: %w", err)
	}
	s.cache = newStatCache(root, recs)
	s.digests = &digestCache{recs: digests}
	s.dirs = newDirCache(s.cache)
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Option changes how a Scanner works.
type Option func(*Scanner)

// WithDockerfiles gives the Scanner the Dockerfiles the project load already parsed (by image
// name, project.Model.Dockerfiles), so that a run reads and parses each Dockerfile once; an
// image without one here is parsed on first need.
func WithDockerfiles(parsed map[string]*dockerfile.Info) Option {
	return func(s *Scanner) { s.parsed = parsed }
}

func (s *Scanner) cacheFile() string { return filepath.Join(s.stateDir, cacheFile) }

// Warnings are one-line notices about the run, e.g. a discarded corrupt stat cache.
func (s *Scanner) Warnings() []string { return append([]string(nil), s.warnings...) }

// Stats returns the counts of the run so far.
func (s *Scanner) Stats() Stats {
	return Stats{
		Listed:      s.dirs.listed.Load(),
		Statted:     s.dirs.statted.Load(),
		Hashed:      s.hashed.Load(),
		BytesHashed: s.bytesHashed.Load(),
		CacheHits:   s.hits.Load(),
		Reused:      s.reused.Load(),
	}
}

// Save writes the stat cache when the run learnt something: a new hash, or a cached stat
// found stale. It replaces the file atomically (temporary file and rename). Records of files
// this run's listings show gone are dropped then.
//
// It keeps the digests of the images too (see partsFingerprint), and is written as well when an
// image had no digest kept.
func (s *Scanner) Save() error {
	digests, added := s.digests.snapshot()
	if !s.cache.changed() && !added {
		return nil
	}
	data := encodeCache(s.root, s.cache.merged(s.dirs), digests)
	if err := writeStateFile(s.stateDir, s.cacheFile(), data); err != nil {
		return fmt.Errorf("saving the stat cache: %w", err)
	}
	return nil
}
