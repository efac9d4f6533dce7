package inputs

import (
	"maps"
	"slices"
	"strings"
)

// Change is one difference between two manifests: What differs (file, folder, Dockerfile,
// build arg, base image, dependency, target, platform, network, labels, named context), its
// Name and How it changed (added, removed, changed, mode changed, rebuilt, or "old to new" for
// settings).
type Change struct {
	What string `json:"what"`
	Name string `json:"name,omitempty"`
	How  string `json:"how"`
}

func (c Change) String() string {
	if c.Name == "" {
		return c.What + " " + c.How
	}
	return c.What + " " + QuotePath(c.Name) + " " + c.How
}

// Diff is every difference between old and cur, in full: each file added, removed or changed
// (named by source, like ExplainAt), each build arg, each project image built on. Build arg
// values are left out: they may hold what their owner would not print. It returns nothing when
// old or cur is nil or their digests are equal.
func Diff(old, cur *Manifest, source func(name string) string) []Change {
	if old == nil || cur == nil || old.Digest == cur.Digest {
		return nil
	}
	var out []Change
	if old.Dockerfile != cur.Dockerfile {
		out = append(out, Change{"Dockerfile path", "", "changed: " + old.Dockerfile + " to " + cur.Dockerfile})
	}
	out = append(out, keyChanges("base image", old.Upstream, cur.Upstream, "rebuilt")...)
	out = append(out, baseChanges(old.Bases, cur.Bases)...)
	out = append(out, fileChanges(old.Files(), cur.Files(), source)...)
	out = append(out, keyChanges("build arg", old.Args, cur.Args, "changed")...)
	for _, s := range [][3]string{{"target", old.Target, cur.Target}, {"platform", old.Platform, cur.Platform},
		{"network", old.Network, cur.Network}} {
		if s[1] != s[2] {
			out = append(out, Change{s[0], "", "changed: " + orDefault(s[1]) + " to " + orDefault(s[2])})
		}
	}
	out = append(out, keyChanges("label", old.Labels, cur.Labels, "changed")...)
	out = append(out, keyChanges("named context", old.Contexts, cur.Contexts, "changed")...)
	return append(out, keyChanges("secret", idSet(old.Secrets), idSet(cur.Secrets), "changed")...)
}

// baseChanges lists the external bases that moved upstream (--pull), then those removed, then
// those added.
func baseChanges(old, cur []string) []Change {
	out, old, cur := upstreamMoves(old, cur) // pinned.go: bases --pull found moved
	for _, b := range old {
		if !slices.Contains(cur, b) {
			out = append(out, Change{"FROM", b, "removed"})
		}
	}
	for _, b := range cur {
		if !slices.Contains(old, b) {
			out = append(out, Change{"FROM", b, "added"})
		}
	}
	return out
}

// idSet turns secret ids into keyChanges' input (ids only: a secret's content is no input).
func idSet(ids []string) map[string]string {
	set := make(map[string]string, len(ids))
	for _, id := range ids {
		set[id] = ""
	}
	return set
}

// keyChanges lists the keys added, removed or whose value changed (worded changed).
func keyChanges(what string, old, cur map[string]string, changed string) []Change {
	if maps.Equal(old, cur) {
		return nil
	}
	var out []Change
	for _, k := range unionKeys(old, cur) {
		o, inOld := old[k]
		c, inCur := cur[k]
		switch {
		case !inOld:
			out = append(out, Change{what, k, "added"})
		case !inCur:
			out = append(out, Change{what, k, "removed"})
		case o != c:
			out = append(out, Change{what, k, changed})
		}
	}
	return out
}

func fileChanges(old, cur Files, source func(string) string) []Change {
	var out []Change
	eachFile(old, cur, func(name, o, c string, inOld, inCur bool) {
		if o == c {
			return
		}
		what := "file"
		if entryIsDir(o, c, inCur) {
			what = "folder"
		}
		out = append(out, Change{what, source(name), fileHow(o, c, inOld, inCur)})
	})
	return out
}

// entryIsDir is true when the entry that differs is a folder (its current value, or its old one when
// it was removed).
func entryIsDir(o, c string, inCur bool) bool {
	return strings.HasPrefix(c, "d") || (!inCur && strings.HasPrefix(o, "d"))
}

// fileHow words how one entry differs: added, removed, mode changed (same type and content)
// or changed.
func fileHow(o, c string, inOld, inCur bool) string {
	switch {
	case !inOld:
		return "added"
	case !inCur:
		return "removed"
	case sameButMode(o, c):
		return "mode changed"
	}
	return "changed"
}

// sameButMode is true for two entry values ("f 0644 12 <hash>") differing only in their mode.
func sameButMode(o, c string) bool {
	return len(o) >= 6 && len(c) >= 6 && o[0] == c[0] && o[6:] == c[6:]
}
