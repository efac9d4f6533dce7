package inputs

import (
	"fmt"
	"path"
	"strings"

	"github.com/moby/patternmatcher"
)

// ConfigPatterns turns exclude patterns of imagemake.yaml into Docker ignore patterns. They
// read as the Makefile's `find` exclusions did: a pattern without a slash (`__pycache__`,
// `*.egg-info`) matches at any depth and becomes `**/pattern`; one with a slash is relative to
// the context root, a leading slash only anchoring it. `!` re-includes, as in .dockerignore.
func ConfigPatterns(patterns []string) []string {
	out := make([]string, 0, len(patterns))
	for _, p := range patterns {
		if q := configPattern(p); q != "" {
			out = append(out, q)
		}
	}
	return out
}

func configPattern(p string) string {
	p = strings.TrimSpace(p)
	neg := strings.HasPrefix(p, "!")
	if neg {
		p = strings.TrimSpace(p[1:])
	}
	anchored := strings.HasPrefix(p, "/")
	p = strings.Trim(p, "/")
	if p == "" {
		return ""
	}
	p = path.Clean(p)
	if p == "." {
		return ""
	}
	if !anchored && !strings.Contains(p, "/") {
		p = "**/" + p
	}
	if neg {
		p = "!" + p
	}
	return p
}

// matcher decides which paths of a context are excluded. It is safe for concurrent use.
type matcher struct {
	pats  []pattern
	key   string   // the patterns: walks with equal keys see equal results
	reinc []string // literal prefixes of the `!` patterns, when all are literal
	globs bool     // some `!` pattern has a glob before its end: excluded dirs can't be pruned
}

// patternSet is one source of patterns, named for errors.
type patternSet struct {
	from     string
	patterns []string
}

// newMatcher combines the pattern sets in order: a later pattern wins over an earlier one.
func newMatcher(sets ...patternSet) (*matcher, error) {
	var all []string
	for _, s := range sets {
		if _, err := patternmatcher.New(s.patterns); err != nil {
			return nil, fmt.Errorf("%s: %w", s.from, err)
		}
		all = append(all, s.patterns...)
	}
	pm, err := patternmatcher.New(all)
	if err != nil {
		return nil, err
	}
	m := &matcher{pats: compilePatterns(pm), key: strings.Join(all, "\x00")}
	for _, p := range m.pats {
		if !p.exclusion {
			continue
		}
		lit := withoutTrailingGlob(p.text)
		if strings.ContainsAny(lit, `*?[]\^`) {
			m.globs = true
		}
		m.reinc = append(m.reinc, lit+"/")
	}
	return m, nil
}

// match tells whether name is excluded, given what the call on its parent folder returned
// (nil for the top of a walk). The returned info is for a folder's children, nil for a file.
func (m *matcher) match(name string, parent matchInfo, isDir bool) (bool, matchInfo, error) {
	if len(m.pats) == 0 {
		return false, nil, nil
	}
	return matches(m.pats, name, parent, isDir)
}

// prunable tells whether nothing below an excluded directory could be re-included, so that
// the walk need not enter it. This is BuildKit's rule (fsutil's filterFS).
func (m *matcher) prunable(dir string) bool {
	if m.globs {
		return false
	}
	dir += "/"
	for _, p := range m.reinc {
		if strings.HasPrefix(p, dir) {
			return false
		}
	}
	return true
}

func withoutTrailingGlob(p string) string {
	p = strings.TrimSuffix(p, "/**")
	return strings.TrimSuffix(p, "/*")
}
