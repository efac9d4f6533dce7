package inputs

import (
	"path/filepath"
	"regexp"
	"strings"
	"text/scanner"
	"unicode/utf8"

	"github.com/moby/patternmatcher"
)

// This file decides matches exactly as patternmatcher.MatchesUsingParentResults does (it
// ports the regexp translation of patternmatcher's Pattern.compile, Apache-2.0, Docker),
// only faster: no allocation for files, and a regexp is tried only on paths ending with the
// literal tail of its pattern. patternmatcher still parses and validates the patterns, and
// FuzzMatcher compares the two.

type matchKind int

const (
	exactMatch matchKind = iota
	prefixMatch
	suffixMatch
	regexpMatch
)

// pattern is one compiled pattern.
type pattern struct {
	text      string // cleaned, without its "!"
	exclusion bool
	kind      matchKind
	re        *regexp.Regexp
	tail      string // regexpMatch: a matching path ends with it
	bad       bool   // does not compile: matching it is an error, as in patternmatcher
}

// matchInfo says which patterns matched a folder or one of its parents; nil when unknown.
type matchInfo []bool

func compilePatterns(pm *patternmatcher.PatternMatcher) []pattern {
	out := make([]pattern, 0, len(pm.Patterns()))
	for _, p := range pm.Patterns() {
		out = append(out, compilePattern(p.String(), p.Exclusion()))
	}
	return out
}

func compilePattern(text string, exclusion bool) pattern {
	p := pattern{text: text, exclusion: exclusion}
	expr, kind := translate(text)
	p.kind = kind
	if kind == regexpMatch {
		re, err := regexp.Compile(expr)
		p.re, p.bad = re, err != nil
		p.tail = literalTail(text)
	}
	return p
}

// translate is patternmatcher's Pattern.compile with "/" as the separator.
func translate(pattern string) (string, matchKind) {
	regStr := "^"
	kind := exactMatch
	var scan scanner.Scanner
	scan.Init(strings.NewReader(pattern))
	scan.Error = func(*scanner.Scanner, string) {}
	for i := 0; scan.Peek() != scanner.EOF; i++ {
		ch := scan.Next()
		switch {
		case ch == '*' && scan.Peek() == '*':
			scan.Next()
			if scan.Peek() == '/' {
				scan.Next()
			}
			if scan.Peek() == scanner.EOF {
				if kind == exactMatch {
					kind = prefixMatch
				} else {
					regStr += ".*"
					kind = regexpMatch
				}
			} else {
				regStr += "(.*/)?"
				kind = regexpMatch
			}
			if i == 0 {
				kind = suffixMatch
			}
		case ch == '*':
			regStr += "[^/]*"
			kind = regexpMatch
		case ch == '?':
			regStr += "[^/]"
			kind = regexpMatch
		case strings.ContainsRune(".+()$", ch): // patternmatcher means to escape |{} too, but does not
			regStr += `\` + string(ch)
		case ch == '\\':
			if scan.Peek() != scanner.EOF {
				regStr += `\` + string(scan.Next())
				kind = regexpMatch
			} else {
				regStr += `\`
			}
		case ch == '[' || ch == ']':
			regStr += string(ch)
			kind = regexpMatch
		default:
			regStr += string(ch)
		}
	}
	return regStr + "$", kind
}

// literalTail is the end of a pattern that a matching path must end with: the characters
// after its last glob or escape, when they are plain text to the regexp too.
func literalTail(pattern string) string {
	// An alternation ends only its last branch with "$"; an escape may take more than one
	// character (`\x41`, `\101`, `\Q…`).
	if strings.ContainsAny(pattern, `|\`) {
		return ""
	}
	last := strings.LastIndexAny(pattern, `*?[]^{}`)
	tail := pattern[last+1:]
	if strings.HasSuffix(pattern[:last+1], "**") {
		tail = strings.TrimPrefix(tail, "/") // "**/" is (.*/)?, which may match nothing
	}
	if !utf8.ValidString(tail) || strings.ContainsAny(tail, "\x00\ufeff") {
		return ""
	}
	return tail
}

func (p *pattern) match(path string) (bool, error) {
	switch p.kind {
	case exactMatch:
		return path == p.text, nil
	case prefixMatch:
		return strings.HasPrefix(path, p.text[:len(p.text)-2]), nil
	case suffixMatch:
		suffix := p.text[2:]
		return strings.HasSuffix(path, suffix) || (suffix[0] == '/' && path == suffix[1:]), nil
	}
	if p.bad {
		return false, filepath.ErrBadPattern
	}
	if !strings.HasSuffix(path, p.tail) {
		return false, nil
	}
	return p.re.MatchString(path), nil
}

// matchParents is patternmatcher's fallback when nothing is known of the parents: does the
// pattern match one of the folders above path?
func (p *pattern) matchParents(path string) bool {
	for i := 0; i < len(path); i++ {
		if path[i] == '/' {
			if ok, _ := p.match(path[:i]); ok {
				return true
			}
		}
	}
	return false
}

// matches decides path, given what its parent's call returned (nil: unknown). info is
// computed only when wantInfo, for folders.
func matches(pats []pattern, path string, parent matchInfo, wantInfo bool) (bool, matchInfo, error) {
	var info matchInfo
	if wantInfo {
		info = make(matchInfo, len(pats))
	}
	matched := false
	for i := range pats {
		p := &pats[i]
		m := parent != nil && parent[i]
		if !m {
			if p.exclusion != matched {
				continue
			}
			var err error
			if m, err = p.match(path); err != nil {
				return false, info, err
			}
			if !m && parent == nil {
				m = p.matchParents(path)
			}
		}
		if wantInfo {
			info[i] = m
		}
		if m {
			matched = !p.exclusion
		}
	}
	return matched, info, nil
}
