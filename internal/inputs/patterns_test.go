package inputs

import (
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/moby/patternmatcher"
)

func TestConfigPatterns(t *testing.T) {
	in := []string{"__pycache__", "*.egg-info", "node_modules/", "/build", "docs/*.md", "!keep", " ", "!/top", "./x", "**/y"}
	want := []string{"**/__pycache__", "**/*.egg-info", "**/node_modules", "build", "docs/*.md", "!**/keep", "!top", "**/x", "**/y"}
	if got := ConfigPatterns(in); !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestPrunable(t *testing.T) {
	tests := []struct {
		patterns []string
		dir      string
		want     bool
	}{
		{[]string{"build"}, "build", true},
		{[]string{"build", "!build/keep"}, "build", false},
		{[]string{"build", "!build/keep"}, "other", true},
		{[]string{"build", "!build/sub/*"}, "build/sub", false},
		{[]string{"build", "!build/*/x"}, "build/a", false},
		{[]string{"build", "!**/keep"}, "build", false},
	}
	for _, tt := range tests {
		m, err := newMatcher(patternSet{patterns: tt.patterns})
		must(t, err)
		if got := m.prunable(tt.dir); got != tt.want {
			t.Errorf("%q, %s: prunable %v, want %v", tt.patterns, tt.dir, got, tt.want)
		}
	}
}

// FuzzConfigPattern checks that a translated pattern without a slash matches a name the same
// at every depth, and that the translation never yields a pattern the matcher rejects when
// the original was accepted.
func FuzzConfigPattern(f *testing.F) {
	for _, seed := range [][2]string{
		{"__pycache__", "__pycache__"}, {"*.egg-info", "x.egg-info"}, {"!keep", "keep"},
		{"node_modules/", "node_modules"}, {"a**b", "ab"}, {"[a-c]x", "bx"}, {".", "x"}, {"..", ".."},
		{"\\*", "*"}, {"/", "a"}, {"?", "a"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		if _, err := patternmatcher.New([]string{pattern}); err != nil {
			return
		}
		q := configPattern(pattern)
		pm, err := patternmatcher.New([]string{q})
		if err != nil {
			t.Fatalf("%q became %q, which the matcher rejects: %v", pattern, q, err)
		}
		body := strings.Trim(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(pattern), "!")), "/")
		if q == "" || strings.Contains(body, "/") || strings.HasPrefix(strings.TrimSpace(pattern), "/") ||
			name == "" || strings.ContainsAny(name, "/\\") || name == "." || name == ".." {
			return
		}
		atRoot, err := pm.MatchesOrParentMatches(name)
		if err != nil {
			return
		}
		for _, dir := range []string{"_d", "_d/_e"} {
			if m, _ := pm.MatchesOrParentMatches(dir); m {
				continue // the folder itself is excluded, and so all it holds
			}
			if got, _ := pm.MatchesOrParentMatches(dir + "/" + name); got != atRoot {
				t.Fatalf("%q (as %q): %q matches %v but %q matches %v", pattern, q, name, atRoot, dir+"/"+name, got)
			}
		}
	})
}

// FuzzMatcher checks the matcher against patternmatcher's MatchesUsingParentResults, folder
// by folder down a path as a walk calls it, and with nothing known of the parents.
func FuzzMatcher(f *testing.F) {
	for _, seed := range [][2]string{
		{"**/*.egg-info", "a/b.egg-info/c"}, {"build\n!build/keep", "build/keep/x"}, {"a|b", "a/x"},
		{"**", "x"}, {"a/**", "a/b"}, {"**/a**", "x/ab"}, {`\d`, "1"}, {"[a-", "a"}, {"a{2}", "aa"},
		{"*.md\n!README.md\n**/node_modules", "web/node_modules/README.md"}, {"x\\", "x\\"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, patterns, file string) {
		if file == "" || path.Clean(file) != file || strings.HasPrefix(file, "/") || file == "." ||
			file == ".." || strings.HasPrefix(file, "../") {
			return
		}
		list := strings.Split(patterns, "\n")
		pm, err := patternmatcher.New(list)
		if err != nil {
			return
		}
		m, err := newMatcher(patternSet{patterns: list})
		if err != nil {
			t.Fatalf("patternmatcher accepts %q, newMatcher does not: %v", list, err)
		}
		var theirs patternmatcher.MatchInfo
		var ours matchInfo
		parts := strings.Split(file, "/")
		for i := range parts {
			name := strings.Join(parts[:i+1], "/")
			want, wantInfo, wantErr := pm.MatchesUsingParentResults(name, theirs)
			got, gotInfo, gotErr := m.match(name, ours, true)
			if got != want || (gotErr == nil) != (wantErr == nil) {
				t.Fatalf("%q on %q: got %v, %v; patternmatcher %v, %v", list, name, got, gotErr, want, wantErr)
			}
			theirs, ours = wantInfo, gotInfo
		}
		want, _, wantErr := pm.MatchesUsingParentResults(file, patternmatcher.MatchInfo{})
		got, _, gotErr := m.match(file, nil, false)
		if got != want || (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%q on %q, parents unknown: got %v, %v; patternmatcher %v, %v", list, file, got, gotErr, want, wantErr)
		}
	})
}
