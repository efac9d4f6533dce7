package inputs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/moby/patternmatcher"
	"github.com/tonistiigi/fsutil"
	fstypes "github.com/tonistiigi/fsutil/types"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/dockerfile"
	"github.com/imagemake/imagemake/internal/project"
)

// Reads is what the build of an image reads of its context, as its Dockerfile says.
type Reads struct {
	// Paths are the paths of the context COPY, ADD and RUN --mount=type=bind read, as
	// BuildKit's Dockerfile frontend asks for them (patterns kept). Nil when Whole is set.
	Paths []string
	// Whole says why the whole context counts ("line 4: COPY . /app"); "" when only Paths,
	// the Dockerfile and the ignore file do.
	Whole string
}

type readsCell struct {
	once  sync.Once
	info  *dockerfile.Info
	err   error
	reads Reads
}

// cell returns the memo of img's Dockerfile, parsed once.
func (s *Scanner) cell(img *config.Image) *readsCell {
	s.mu.Lock()
	c, ok := s.reads[img.Name]
	if !ok {
		c = &readsCell{}
		s.reads[img.Name] = c
	}
	s.mu.Unlock()
	c.once.Do(func() {
		if info := s.parsed[img.Name]; info != nil {
			c.info = info
		} else {
			c.info, c.err = project.ParseDockerfile(s.project, img)
		}
		c.reads = s.readsOf(img, c.info, c.err)
	})
	return c
}

// Reads returns what img's build reads of its context (see dockerfile.Info.ContextPaths). A
// Dockerfile that cannot be read or parsed makes the whole context count: loading the
// project reports it.
func (s *Scanner) Reads(img *config.Image) Reads {
	return s.cell(img).reads
}

func (s *Scanner) readsOf(img *config.Image, info *dockerfile.Info, err error) Reads {
	if err != nil {
		return Reads{Whole: "the Dockerfile does not parse: " + err.Error()}
	}
	paths, whole := info.ContextPaths()
	if whole != nil {
		return Reads{Whole: whole.String()}
	}
	if why := s.onbuildBase(img, info); why != "" {
		return Reads{Whole: why}
	}
	return Reads{Paths: paths}
}

// onbuildBase says which project image img is built FROM whose ONBUILD triggers run in img's
// build, reading its context in ways its own Dockerfile does not show; "" when none does.
// (An external base's triggers cannot be known before the build.)
func (s *Scanner) onbuildBase(img *config.Image, info *dockerfile.Info) string {
	for _, r := range info.TargetRefs() {
		if r.Kind != dockerfile.KindFrom {
			continue
		}
		base := s.ownerOf(r.Ref)
		if base == nil || base.Name == img.Name {
			continue
		}
		if c := s.cell(base); c.err == nil && c.info.OnbuildReadsContext() {
			return fmt.Sprintf("line %d: FROM %s: the ONBUILD triggers of image %q run here", r.Line, r.Ref, base.Name)
		}
	}
	return ""
}

// ownerOf returns the project image whose ref or tag ref names, or nil.
func (s *Scanner) ownerOf(ref string) *config.Image {
	norm, err := dockerfile.Normalize(ref)
	if err != nil {
		return nil
	}
	for _, img := range s.project.Images {
		for _, r := range img.Refs() {
			if n, err := dockerfile.Normalize(r); err == nil && n == norm {
				return img
			}
		}
	}
	return nil
}

// narrow keeps of entries (a whole context, in path order) what a build reading paths gets
// from BuildKit: every entry a path matches or lies below (moby/patternmatcher, as fsutil's
// filter does), with the targets of the symlinks on the way (fsutil.FollowLinks, as
// llb.FollowPaths asks), and the folders above each kept entry as they are in the context.
// The Dockerfile and the ignore file are kept too: the engine reads them from the context.
func narrow(entries []Entry, paths []string, keep ...string) ([]Entry, error) {
	includes, err := fsutil.FollowLinks(entriesFS(entries), paths)
	if err != nil {
		return nil, fmt.Errorf("following the symlinks of %s: %w", strings.Join(paths, ", "), err)
	}
	if includes == nil && len(paths) > 0 {
		return entries, nil // a symlink led to the root: everything
	}
	if isPlain(includes) {
		return narrowPlain(entries, includes, keep), nil
	}
	return narrowMatched(entries, includes, keep)
}

// narrowMatched is narrow for any patterns: each entry is matched.
func narrowMatched(entries []Entry, includes, keep []string) ([]Entry, error) {
	match, err := includeMatcher(includes)
	if err != nil {
		return nil, err
	}
	kept := make([]bool, len(entries))
	for i, e := range entries {
		if ok, err := match(e.Name); err != nil {
			return nil, err
		} else if ok || slices.Contains(keep, e.Name) {
			kept[i] = true
		}
	}
	var out []Entry
	var dirs []int // stack of the folders above the current entry, by index
	for i, e := range entries {
		for len(dirs) > 0 && !strings.HasPrefix(e.Name, entries[dirs[len(dirs)-1]].Name+"/") {
			dirs = dirs[:len(dirs)-1]
		}
		if kept[i] {
			for _, d := range dirs {
				if !kept[d] {
					kept[d] = true
					out = append(out, entries[d])
				}
			}
			out = append(out, e)
		}
		if e.IsDir() {
			dirs = append(dirs, i)
		}
	}
	return out, nil
}

// span is entries[start:end].
type span struct{ start, end int }

// narrowPlain is narrow for paths without patterns: each path's entries are one run of the
// list (a folder comes right before what it holds), found by binary search, and so are its
// folders, so the cost is that of what is kept, not of the whole context.
func narrowPlain(entries []Entry, includes, keep []string) []Entry {
	var spans []span
	find := func(name string) (int, bool) {
		return slices.BinarySearchFunc(entries, name, func(e Entry, name string) int { return ComparePaths(e.Name, name) })
	}
	above := func(name string) {
		for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
			if i, ok := find(dir); ok {
				spans = append(spans, span{i, i + 1})
			}
		}
	}
	for _, p := range includes {
		i, ok := find(p)
		if !ok {
			continue
		}
		j := i + 1
		for j < len(entries) && strings.HasPrefix(entries[j].Name, p) && entries[j].Name[len(p)] == '/' {
			j++
		}
		spans = append(spans, span{i, j})
		above(p)
	}
	for _, name := range keep {
		if i, ok := find(name); ok {
			spans = append(spans, span{i, i + 1})
			above(name)
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	var out []Entry
	next := 0 // entries before it are in out
	for _, sp := range spans {
		sp.start = max(sp.start, next)
		if sp.start < sp.end {
			out = append(out, entries[sp.start:sp.end]...)
			next = sp.end
		}
	}
	return out
}

func isPlain(includes []string) bool {
	return !slices.ContainsFunc(includes, func(p string) bool {
		return strings.ContainsAny(p, `*?[]^\`) || strings.HasPrefix(p, "!")
	})
}

// includeMatcher tells whether an entry is sent for the include patterns: it or a folder
// above it matches one.
func includeMatcher(includes []string) (func(name string) (bool, error), error) {
	pm, err := patternmatcher.New(includes)
	if err != nil {
		return nil, fmt.Errorf("context paths %s: %w", strings.Join(includes, ", "), err)
	}
	return func(name string) (bool, error) { return pm.MatchesOrParentMatches(name) }, nil
}

// entriesFS serves entries to fsutil.FollowLinks, which only walks.
type entriesFS []Entry

func (f entriesFS) Walk(ctx context.Context, target string, fn fs.WalkDirFunc) error {
	prefix := strings.Trim(path.Clean("/"+filepath.ToSlash(target)), "/")
	start := 0
	if prefix != "" {
		start, _ = slices.BinarySearchFunc(f, prefix, func(e Entry, name string) int { return ComparePaths(e.Name, name) })
	}
	skip := "\x00"
	for _, e := range f[start:] {
		if prefix != "" && e.Name != prefix && !strings.HasPrefix(e.Name, prefix+"/") {
			return nil
		}
		if strings.HasPrefix(e.Name, skip) {
			continue
		}
		st := &fstypes.Stat{Path: e.Name, Mode: uint32(e.Mode), Size: e.Size, Linkname: e.Link}
		switch err := fn(filepath.FromSlash(e.Name), &fsutil.DirEntryInfo{Stat: st}, nil); {
		case err == fs.SkipDir && e.IsDir():
			skip = e.Name + "/"
		case err == fs.SkipDir || err == fs.SkipAll:
			return nil
		case err != nil:
			return err
		}
	}
	return nil
}

func (f entriesFS) Open(p string) (io.ReadCloser, error) {
	return nil, &os.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
}

// readSources returns the paths img's build reads as sources to walk on their own, when that
// gives what narrowing the whole context would: the Dockerfile names plain paths (no glob),
// the image has no include: (whose folders land among the context's), and no path goes
// through a symlink or a file. The symlinks on the way are resolved on disk, as BuildKit
// does (fsutil.FollowLinks). A folder read by several images is walked once for all of them
// when their patterns are the same, and what no image reads is never listed.
func (s *Scanner) readSources(img *config.Image, ctxDir string) ([]source, bool) {
	reads := s.Reads(img)
	if reads.Whole != "" || len(img.Include) > 0 || !isPlain(reads.Paths) {
		return nil, false
	}
	disk, err := fsutil.NewFS(ctxDir)
	if err != nil {
		return nil, false
	}
	includes, err := fsutil.FollowLinks(disk, reads.Paths)
	if err != nil || (includes == nil && len(reads.Paths) > 0) || !isPlain(includes) {
		return nil, false
	}
	var out []source
	for _, p := range includes {
		abs := filepath.Join(ctxDir, filepath.FromSlash(p))
		if abs == s.stateDir || strings.HasPrefix(abs, s.stateDir+string(filepath.Separator)) {
			continue // never part of a context
		}
		if !realFolders(ctxDir, path.Dir(p)) {
			return nil, false
		}
		out = append(out, source{src: abs, to: p, read: true})
	}
	return out, true
}

// realFolders tells whether dir and every folder above it, inside ctxDir, is a folder on
// disk, not a symlink: only then is the path below it what the context holds there.
func realFolders(ctxDir, dir string) bool {
	for ; dir != "."; dir = path.Dir(dir) {
		fi, err := os.Lstat(filepath.Join(ctxDir, filepath.FromSlash(dir)))
		if errors.Is(err, fs.ErrNotExist) {
			continue // nothing below it either: the path is missing
		}
		if err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

// readContext is the context of read sources: each one's tree, the folders above those that
// keep something (as they are on disk), the Dockerfile and the ignore file unless a pattern
// excludes it, in path order.
func (s *Scanner) readContext(m *matcher, srcs []source, ctxDir string, df dockerfilePlace) (*EntryList, error) {
	trees := make([][]Entry, 0, len(srcs)+1)
	walks := make([]*tree, 0, len(srcs))
	extra := map[string]Entry{}
	// aboveFor adds the folders above name; dockerfileOnly marks those the Dockerfile alone
	// needs (see Entry.DockerfileOnly).
	aboveFor := func(name string, dockerfileOnly bool) error {
		for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
			if _, ok := extra[dir]; ok {
				continue
			}
			e, err := lstatEntry(dir, filepath.Join(ctxDir, filepath.FromSlash(dir)), false)
			if err != nil {
				return err
			}
			e.DockerfileOnly = dockerfileOnly
			extra[dir] = e
		}
		return nil
	}
	above := func(name string) error { return aboveFor(name, false) }
	for _, src := range srcs {
		t := s.walked(m, src)
		if t.err != nil {
			return nil, fmt.Errorf("context %s: %w", src.to, t.err)
		}
		if len(t.entries) > 0 {
			trees, walks = append(trees, t.entries), append(walks, t)
			if err := above(src.to); err != nil {
				return nil, err
			}
		}
	}
	if df.outside {
		out, err := df.outsideEntries()
		if err != nil {
			return nil, err
		}
		for _, e := range out {
			extra[e.Name] = e
		}
	} else if _, ok := lookup(trees, df.name); !ok {
		e, err := lstatEntry(df.name, df.src, false)
		if err != nil {
			return nil, fmt.Errorf("dockerfile %s: %w", df.name, err)
		}
		e.DockerfileOnly = true
		extra[df.name] = e
		if err := aboveFor(df.name, true); err != nil {
			return nil, err
		}
	}
	if err := s.addIgnoreFile(m, ctxDir, df, trees, extra, above); err != nil {
		return nil, err
	}
	add := make([]Entry, 0, len(extra))
	for name, e := range extra {
		if _, ok := lookup(trees, name); !ok {
			add = append(add, e)
		}
	}
	slices.SortFunc(add, byName)
	return mergeWalks(append(trees, add), walks)
}

// addIgnoreFile adds the ignore file the build reads, as the whole context would hold it:
// when it is there and no pattern excludes it.
func (s *Scanner) addIgnoreFile(m *matcher, ctxDir string, df dockerfilePlace, trees [][]Entry, extra map[string]Entry, above func(string) error) error {
	name, src := df.ignoreFile(ctxDir)
	if _, ok := lookup(trees, name); ok {
		return nil
	}
	if _, ok := extra[name]; ok {
		return nil // the Dockerfile's own, beside it outside the context
	}
	e, err := lstatEntry(name, src, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if excluded, _, err := m.match(name, nil, e.IsDir()); err != nil || excluded || !kept(e.Mode) {
		return err
	}
	extra[name] = e
	return above(name)
}
