package scaffold

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
)

// contextChoice is the build context init gives a Dockerfile, and why.
type contextChoice struct {
	Dir     string         // root-relative folder, "." for the root
	Why     string         // evidence when Dir is not the Dockerfile's folder
	Include []contextExtra // sources found only in a parent folder, merged into the context
	Missing []string       // sources (as written, with lines) found in no folder from the Dockerfile's up to the root
	Unknown []string       // sources whose variables have no value, as written
}

// chooseContext picks, among the Dockerfile's folder and its parents up to the root, the nearest
// folder holding the most of the Dockerfile's context sources: the folder the Dockerfile was
// written for (`docker build -f db/Dockerfile .` when its COPY lines name db/src, bin,
// pyproject.toml).
func chooseContext(fsys fs.FS, dockerfile string, srcs []source) contextChoice {
	var known []source
	c := contextChoice{Dir: path.Dir(dockerfile)}
	for _, s := range srcs {
		if s.Path == "" {
			c.Unknown = appendOnce(c.Unknown, s.Raw)
		} else if s.Path != "." {
			known = append(known, s)
		}
	}
	best, bestScore := c.Dir, -1
	for dir := c.Dir; ; dir = path.Dir(dir) {
		if score := countFound(fsys, dir, known); score > bestScore {
			best, bestScore = dir, score
		}
		if dir == "." {
			break
		}
	}
	if bestScore <= 0 {
		best = c.Dir
	}
	for _, s := range known {
		if exists(fsys, best, s.Path) {
			continue
		}
		if x, ok := fromParent(fsys, best, s); ok {
			c.Include = append(c.Include, x)
			continue
		}
		c.Missing = appendOnce(c.Missing, fmt.Sprintf("%s (line %d)", s.Raw, s.Line))
	}
	if best != c.Dir {
		c.Why = fmt.Sprintf("%s names %s, found from %s, not from %s", dockerfile,
			listSome(sourceNames(known), 4), folderName(best), folderName(c.Dir))
		c.Dir = best
	}
	return c
}

// contextExtra is a path merged into a context (include:), and why.
type contextExtra struct {
	From string // root-relative
	To   string // inside the context
	Base string // the parent folder From was found in
	Line int    // of the instruction that copies it
}

// fromParent finds a source missing from the context dir in one of dir's parents, the nearest
// first: merged into the context at the path the Dockerfile names (include:), it is there as
// `tar -cf - . ../../src/luamods | docker build -` makes it. Patterns are not merged.
func fromParent(fsys fs.FS, dir string, s source) (contextExtra, bool) {
	if dir == "." || strings.ContainsAny(s.Path, "*?[") {
		return contextExtra{}, false
	}
	for anc := path.Dir(dir); ; anc = path.Dir(anc) {
		if exists(fsys, anc, s.Path) {
			return contextExtra{From: path.Join(anc, s.Path), To: s.Path, Base: anc, Line: s.Line}, true
		}
		if anc == "." {
			return contextExtra{}, false
		}
	}
}

// recheck is chooseContext's account of the sources for a context given elsewhere.
func recheck(fsys fs.FS, dockerfile string, srcs []source, dir string) contextChoice {
	c := contextChoice{Dir: dir}
	for _, s := range srcs {
		switch {
		case s.Path == "":
			c.Unknown = appendOnce(c.Unknown, s.Raw)
		case s.Path != "." && !exists(fsys, dir, s.Path):
			c.Missing = appendOnce(c.Missing, fmt.Sprintf("%s (line %d)", s.Raw, s.Line))
		}
	}
	return c
}

func countFound(fsys fs.FS, dir string, srcs []source) int {
	n := 0
	for _, s := range srcs {
		if exists(fsys, dir, s.Path) {
			n++
		}
	}
	return n
}

// exists reports whether a source (a path or a pattern) names something under dir.
func exists(fsys fs.FS, dir, src string) bool {
	p := path.Join(dir, src)
	if strings.ContainsAny(src, "*?[") {
		m, err := fs.Glob(fsys, p)
		return err == nil && len(m) > 0
	}
	_, err := fs.Stat(fsys, p)
	return err == nil
}

func sourceNames(srcs []source) []string {
	var out []string
	for _, s := range srcs {
		out = appendOnce(out, s.Path)
	}
	return out
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// listSome joins at most n items, saying how many more there are.
func listSome(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

// folderName words a root-relative folder: "the root" or "db/".
func folderName(dir string) string {
	if dir == "." {
		return "the root"
	}
	return dir + "/"
}

// submodulesFS reports the folders of git submodules as there when they are not: a clone
// without --recurse-submodules leaves them empty, and a COPY of one copies what is there.
type submodulesFS struct {
	fs.FS
	paths []string // root-relative
}

func (s submodulesFS) Stat(name string) (fs.FileInfo, error) {
	fi, err := fs.Stat(s.FS, name)
	if err != nil && slices.ContainsFunc(s.paths, func(p string) bool { return name == p || strings.HasPrefix(name, p+"/") }) {
		return emptyDir(path.Base(name)), nil
	}
	return fi, err
}

// emptyDir is the fs.FileInfo of a folder that is not there yet.
type emptyDir string

func (d emptyDir) Name() string       { return string(d) }
func (d emptyDir) Size() int64        { return 0 }
func (d emptyDir) Mode() fs.FileMode  { return fs.ModeDir | 0o755 }
func (d emptyDir) ModTime() time.Time { return time.Time{} }
func (d emptyDir) IsDir() bool        { return true }
func (d emptyDir) Sys() any           { return nil }

var submodulePathRE = regexp.MustCompile(`(?m)^\s*path\s*=\s*(\S+)\s*$`)

// submodules are the paths .gitmodules at the root names.
func submodules(fsys fs.FS) []string {
	data, err := fs.ReadFile(fsys, ".gitmodules")
	if err != nil {
		return nil
	}
	var out []string
	for _, m := range submodulePathRE.FindAllSubmatch(data, -1) {
		out = append(out, path.Clean(string(m[1])))
	}
	return out
}
