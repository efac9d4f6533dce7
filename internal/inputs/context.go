package inputs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/moby/patternmatcher/ignorefile"

	"github.com/imagemake/imagemake/internal/config"
)

// Context returns what the build of img sees, in path order (ComparePaths): every directory,
// regular file and symlink under img.Context, plus each include, minus the excluded ones.
//
//   - An include lands at its To; a folder's tree merges there with what is already in the
//     context, an include winning over the context (and a later include over an earlier one)
//     for a file both hold. A directory and a non-directory on the same name is an error.
//     Folders above To that the context lacks are made up (mode 0755).
//   - The include's From is followed when it is a symlink (so a symlink to a shared folder
//     brings the folder); nothing below it is: symlinks stay symlinks.
//   - Exclusions, later ones winning: the context's ignore file (<Dockerfile>.dockerignore
//     next to the Dockerfile when there is one, else .dockerignore, with Docker's semantics),
//     then the project's excludes, then the image's (see ConfigPatterns). All apply to the
//     in-context names, includes too. An excluded folder is kept only as the parent of
//     something a `!` pattern re-includes.
//   - The Dockerfile is always kept; the ignore file only when no pattern excludes it.
//   - The project's .imagemake folder is never part of a context, nor the file of a
//     secret (img.Secrets) that lies in it or in an include. Sockets, devices and fifos
//     are skipped.
//   - When the Dockerfile names every path its build reads (see Reads), only those paths
//     are kept, as BuildKit's Dockerfile frontend pulls only them: what they match or
//     hold, the targets of symlinks on their way, the folders above them, the Dockerfile
//     and the ignore file.
func (s *Scanner) Context(img *config.Image) ([]Entry, error) {
	l, err := s.context(img)
	if err != nil {
		return nil, err
	}
	return l.Entries(), nil
}

// context is Context with the parts the entries are made of.
func (s *Scanner) context(img *config.Image) (_ *EntryList, err error) {
	defer asInputError(&err)
	ctxDir := s.abs(img.Context)
	df, err := s.dockerfileOf(img)
	if err != nil {
		return nil, err
	}
	m, err := s.contextMatcher(img, ctxDir, &df)
	if err != nil {
		return nil, err
	}
	var l *EntryList
	if srcs, ok := s.readSources(img, ctxDir); ok {
		l, err = s.readContext(m, srcs, ctxDir, df)
	} else {
		l, err = s.wholeContext(img, m, ctxDir, df)
	}
	if err != nil || len(img.Secrets) == 0 {
		return l, err
	}
	return withoutSecrets(l, s.secretsIn(img, s.sources(img, ctxDir))), nil
}

// wholeContext walks the whole context of img, includes merged, and keeps what the build
// reads (see narrow) when its Dockerfile says it.
func (s *Scanner) wholeContext(img *config.Image, m *matcher, ctxDir string, df dockerfilePlace) (*EntryList, error) {
	srcs := s.sources(img, ctxDir)
	walks, err := s.walkAll(m, srcs)
	if err != nil {
		return nil, err
	}
	trees := make([][]Entry, len(walks))
	for i, t := range walks {
		trees[i] = t.entries
	}
	add, err := s.extras(trees, srcs, ctxDir, df)
	if err != nil {
		return nil, err
	}
	all, err := mergeWalks(append(trees, add), walks)
	if err != nil {
		return nil, err
	}
	reads := s.Reads(img)
	if reads.Whole != "" {
		return all, nil
	}
	ignore, _ := df.ignoreFile(ctxDir)
	kept, err := narrow(all.Entries(), reads.Paths, df.name, ignore)
	if err != nil {
		return nil, err
	}
	return ownList(kept), nil
}

// NamedContext returns the entries of a BuildKit named context of img that is a folder,
// filtered by its own .dockerignore (as BuildKit does) and the project's and image's excludes.
func (s *Scanner) NamedContext(img *config.Image, name string) ([]Entry, error) {
	rel, ok := img.Contexts[name]
	if !ok || !isFolderContext(rel) {
		return nil, fmt.Errorf("named context %q of image %q is not a folder", name, img.Name)
	}
	dir := s.abs(rel)
	m, err := s.contextMatcher(img, dir, nil)
	if err != nil {
		return nil, err
	}
	walks, err := s.walkAll(m, []source{{src: dir}})
	if err != nil {
		return nil, fmt.Errorf("named context %q: %w", name, err)
	}
	if secrets := s.secretsIn(img, []source{{src: dir}}); len(secrets) > 0 {
		return dropSecrets(slices.Clone(walks[0].entries), secrets), nil
	}
	return slices.Clip(walks[0].entries), nil
}

func isFolderContext(v string) bool {
	return !strings.HasPrefix(v, "image:") && !strings.Contains(v, "://")
}

func (s *Scanner) abs(rel string) string {
	if filepath.IsAbs(rel) {
		return filepath.Clean(rel)
	}
	return filepath.Join(s.root, filepath.FromSlash(rel))
}

func (s *Scanner) sources(img *config.Image, ctxDir string) []source {
	out := []source{{src: ctxDir}}
	for _, inc := range img.Include {
		to := inc.To
		if to == "" {
			to = inc.From
		}
		to = strings.Trim(path.Clean(filepath.ToSlash(to)), "/")
		out = append(out, source{src: s.abs(inc.From), to: to})
	}
	return out
}

func (s *Scanner) walkAll(m *matcher, sources []source) ([]*tree, error) {
	out := make([]*tree, len(sources))
	for i, src := range sources {
		if src.to == "" {
			if err := isDir(src.src); err != nil {
				return nil, fmt.Errorf("context %s: %w", s.rel(src.src), err)
			}
		}
		t := s.walked(m, src)
		if t.err != nil && src.to != "" {
			return nil, fmt.Errorf("include %s: %w", s.rel(src.src), t.err)
		}
		if t.err != nil {
			return nil, fmt.Errorf("context %s: %w", s.rel(src.src), t.err)
		}
		out[i] = t
	}
	return out, nil
}

func isDir(dir string) error {
	fi, err := os.Stat(dir)
	if err == nil && !fi.IsDir() {
		err = errors.New("not a folder")
	}
	return err
}

// rel is abs as messages name it: from the project root when inside it, quoted when it would
// not print as itself (QuotePath).
func (s *Scanner) rel(abs string) string {
	if r, err := filepath.Rel(s.root, abs); err == nil && !strings.HasPrefix(r, "..") {
		return QuotePath(filepath.ToSlash(r))
	}
	return QuotePath(abs)
}

// contextMatcher combines the ignore file of dir with the project's and the image's excludes.
// df is the image's Dockerfile, nil for a named context.
func (s *Scanner) contextMatcher(img *config.Image, dir string, df *dockerfilePlace) (*matcher, error) {
	paths := []string{filepath.Join(dir, ".dockerignore")}
	if df != nil {
		paths = []string{df.src + ".dockerignore", paths[0]}
	}
	ignore, err := readIgnore(paths)
	if err != nil {
		return nil, err
	}
	return newMatcher(ignore,
		patternSet{from: "exclude in " + config.FileName, patterns: ConfigPatterns(s.project.Exclude)},
		patternSet{from: fmt.Sprintf("exclude of image %q", img.Name), patterns: ConfigPatterns(img.Exclude)})
}

// readIgnore reads the first of paths that is there: the Dockerfile-specific ignore file
// (beside the Dockerfile, inside the context or not) when there is one, else .dockerignore.
func readIgnore(paths []string) (patternSet, error) {
	for _, name := range paths {
		data, err := readRegular(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return patternSet{}, err
		}
		pats, err := ignorefile.ReadAll(bytes.NewReader(data))
		if err != nil {
			return patternSet{}, fmt.Errorf("%s: %w", name, err)
		}
		return patternSet{from: name, patterns: pats}, nil
	}
	return patternSet{}, nil
}

// Prefetch starts walking the contexts of images in the background, one image after another
// (each walk reads folders in parallel), so that their Context calls find the work done or
// under way while the caller hashes and digests the images before: call it once with every
// image a run will scan, before the first Context. Errors are left for Context to report.
//
// It reads each image's Dockerfile first, and adds a warning for an image whose context is
// the whole repository, .git included (see gitWarning), and one for each file secret its
// context would hold, which Context leaves out (see secretWarnings).
func (s *Scanner) Prefetch(images []*config.Image) {
	for _, img := range images {
		if w := s.gitWarning(img); w != "" {
			s.warnings = append(s.warnings, w)
		}
		s.warnings = append(s.warnings, s.secretWarnings(img)...)
	}
	go func() {
		for _, img := range images {
			df, err := s.dockerfileOf(img)
			if err != nil {
				continue
			}
			ctxDir := s.abs(img.Context)
			m, err := s.contextMatcher(img, ctxDir, &df)
			if err != nil {
				continue
			}
			srcs, ok := s.readSources(img, ctxDir)
			if !ok {
				srcs = s.sources(img, ctxDir)
			}
			for _, src := range srcs {
				s.walked(m, src)
			}
		}
	}()
}

// readRegular reads a file that must be a regular one. A FIFO is refused without waiting for
// a writer (os.ReadFile would wait forever, and no signal would end the wait).
func readRegular(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%s)", path, fi.Mode().Type())
	}
	return io.ReadAll(f)
}

// gitWarning is the warning for an image whose whole context counts and holds the
// repository's .git, not ignored: every commit changes its inputs. "" otherwise.
func (s *Scanner) gitWarning(img *config.Image) string {
	reads := s.Reads(img)
	if reads.Whole == "" {
		return ""
	}
	ctxDir := s.abs(img.Context)
	name, ok := gitDirIn(ctxDir, s.root)
	if !ok {
		return ""
	}
	df, err := s.dockerfileOf(img)
	if err != nil {
		return ""
	}
	m, err := s.contextMatcher(img, ctxDir, &df)
	if err != nil {
		return ""
	}
	var info matchInfo
	dir := ""
	for _, part := range strings.Split(name, "/") {
		dir = joinName(dir, part)
		excluded, next, err := m.match(dir, info, true)
		if err != nil || (excluded && m.prunable(dir)) {
			return ""
		}
		info = next
	}
	_, ignore := df.ignoreFile(ctxDir)
	return fmt.Sprintf("image %q: the whole repository root is its context and %s is not ignored (%s): "+
		"every commit rebuilds it; add %s to %s", img.Name, name, reads.Whole, name, s.rel(ignore))
}

// gitDirIn returns the name inside the context folder ctx of the .git of the repository
// holding root, when ctx holds it.
func gitDirIn(ctx, root string) (string, bool) {
	for dir := root; ; dir = filepath.Dir(dir) {
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
			rel, err := filepath.Rel(ctx, filepath.Join(dir, ".git"))
			if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
				return "", false
			}
			return filepath.ToSlash(rel), true
		}
		if parent := filepath.Dir(dir); parent == dir {
			return "", false
		}
	}
}
