package inputs

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
)

// Explain returns why cur's digest differs from old's, most telling first: the Dockerfile's
// path, the images built on, the files (the Dockerfile first), build args, target, platform,
// network, labels, named contexts. For example
//
//	base image pybase rebuilt
//	file changed: src/luamods/http.lua
//	3 files added under src/pylib
//	build arg PYVER changed
//
// It returns nothing when old is nil (the caller knows why: "never built") or the digests
// are equal. Files are named by their path inside the build context.
func Explain(old, cur *Manifest) []string {
	return ExplainAt(old, cur, func(name string) string { return name })
}

// ExplainAt is Explain naming each file with source(name) instead of its path in the context,
// so a reason can name the file a person edits (services/api/main.py, conf/nginx/x.conf).
func ExplainAt(old, cur *Manifest, source func(name string) string) []string {
	if old == nil || cur == nil || old.Digest == cur.Digest {
		return nil
	}
	var r []string
	if old.Version != cur.Version {
		r = append(r, fmt.Sprintf("inputs format changed (version %d to %d)", old.Version, cur.Version))
	}
	if old.Dockerfile != cur.Dockerfile {
		r = append(r, fmt.Sprintf("Dockerfile path changed: %s to %s", old.Dockerfile, cur.Dockerfile))
	}
	r = append(r, upstreamReasons(old.Upstream, cur.Upstream)...)
	r = append(r, baseReasons(old.Bases, cur.Bases)...)
	r = append(r, fileReasons(old.Files(), cur.Files(), cur.Dockerfile, source)...)
	r = append(r, mapReasons("build arg", old.Args, cur.Args)...)
	r = append(r, scalar("target", old.Target, cur.Target)...)
	r = append(r, scalar("platform", old.Platform, cur.Platform)...)
	r = append(r, scalar("network", old.Network, cur.Network)...)
	if !maps.Equal(old.Labels, cur.Labels) {
		r = append(r, "labels changed")
	}
	r = append(r, mapReasons("named context", old.Contexts, cur.Contexts)...)
	if !slices.Equal(old.Secrets, cur.Secrets) {
		r = append(r, fmt.Sprintf("secrets changed (%s to %s)", idList(old.Secrets), idList(cur.Secrets)))
	}
	if len(r) == 0 {
		r = append(r, "inputs changed")
	}
	return r
}

func idList(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

// upstreamReasons words the changes of the project images built on: a digest that changed is
// a base image rebuilt, a name that came or went a dependency added or removed.
func upstreamReasons(old, cur map[string]string) []string {
	var r []string
	for _, c := range keyChanges("dependency", old, cur, "") {
		if c.How == "" {
			c = Change{"base image", c.Name, "rebuilt"}
		}
		r = append(r, c.String())
	}
	return r
}

// baseReasons words the changes of the external bases: one for another is a FROM changed
// ("FROM python:3.11 changed to python:3.12"), else each one added or removed.
func baseReasons(old, cur []string) []string {
	changes := baseChanges(old, cur)
	if len(changes) == 2 && changes[0].How == "removed" && changes[1].How == "added" {
		return []string{fmt.Sprintf("FROM %s changed to %s", changes[0].Name, changes[1].Name)}
	}
	var r []string
	for _, c := range changes {
		r = append(r, c.String())
	}
	return r
}

func mapReasons(what string, old, cur map[string]string) []string {
	var r []string
	for _, c := range keyChanges(what, old, cur, "changed") {
		r = append(r, c.String())
	}
	return r
}

func scalar(what, old, cur string) []string {
	if old == cur {
		return nil
	}
	return []string{fmt.Sprintf("%s changed (%s to %s)", what, orDefault(old), orDefault(cur))}
}

func orDefault(s string) string {
	if s == "" {
		return "default"
	}
	return s
}

func unionKeys(a, b map[string]string) []string {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// eachFile calls visit for each name of old or cur, in path order, with its values.
func eachFile(old, cur Files, visit func(name, o, c string, inOld, inCur bool)) {
	i, j := 0, 0
	for i < len(old) || j < len(cur) {
		cmp := -1
		switch {
		case i == len(old):
			cmp = 1
		case j < len(cur):
			cmp = ComparePaths(old[i].Name, cur[j].Name)
		}
		switch {
		case cmp < 0:
			visit(old[i].Name, old[i].Value, "", true, false)
			i++
		case cmp > 0:
			visit(cur[j].Name, "", cur[j].Value, false, true)
			j++
		default:
			visit(old[i].Name, old[i].Value, cur[j].Value, true, true)
			i, j = i+1, j+1
		}
	}
}

// fileDiff sorts the names whose entries differ by how they differ.
type fileDiff struct {
	changed, added, removed, mode []string
	dirs                          map[string]bool
}

func fileReasons(old, cur Files, dockerfile string, source func(string) string) []string {
	d := fileDiff{dirs: map[string]bool{}}
	dfChanged := false
	eachFile(old, cur, func(ctxName, o, c string, inOld, inCur bool) {
		if o == c {
			return
		}
		name := source(ctxName)
		d.dirs[name] = entryIsDir(o, c, inCur)
		switch how := fileHow(o, c, inOld, inCur); {
		case ctxName == dockerfile && inOld && inCur:
			dfChanged = true
		case how == "added":
			d.added = append(d.added, name)
		case how == "removed":
			d.removed = append(d.removed, name)
		case how == "mode changed":
			d.mode = append(d.mode, name)
		default:
			d.changed = append(d.changed, name)
		}
	})
	var r []string
	if dfChanged {
		r = append(r, "Dockerfile changed: "+QuotePath(source(dockerfile)))
	}
	for _, g := range []struct {
		names []string
		verb  string
	}{{d.changed, "changed"}, {d.added, "added"}, {d.removed, "removed"}} {
		if len(g.names) > 0 {
			r = append(r, d.group(g.names, g.verb))
		}
	}
	if len(d.mode) > 0 {
		r = append(r, d.group(d.mode, "mode"))
	}
	return r
}

// group words one kind of difference, e.g. "file changed: a/b.lua", "3 files added under a",
// "mode changed on 2 files: x, y". Folders are counted only when nothing else differs. A
// name that would not print as itself is quoted (QuotePath).
func (d fileDiff) group(names []string, verb string) string {
	noun := "file"
	if files := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return d.dirs[n] }); len(files) > 0 {
		names = files
	} else {
		noun = "folder"
	}
	if len(names) == 1 && verb == "mode" {
		return "mode changed: " + QuotePath(names[0])
	}
	if len(names) == 1 {
		return noun + " " + verb + ": " + QuotePath(names[0])
	}
	count := fmt.Sprintf("%d %ss", len(names), noun)
	where := ": " + QuotePath(names[0]) + ", " + QuotePath(names[1])
	if dir := commonDir(names); dir != "" {
		where = " under " + QuotePath(dir)
	} else if len(names) > 2 {
		where += fmt.Sprintf(" and %d more", len(names)-2)
	}
	if verb == "mode" {
		return "mode changed on " + count + where
	}
	return count + " " + verb + where
}

// commonDir is the deepest folder holding all names, "" for the context root.
func commonDir(names []string) string {
	dir := path.Dir(names[0])
	for _, n := range names[1:] {
		for dir != "." && !strings.HasPrefix(n, dir+"/") {
			dir = path.Dir(dir)
		}
	}
	if dir == "." {
		return ""
	}
	return dir
}

// shownReasons is how many reasons Summary words in full.
const shownReasons = 3

// Summary makes one line of reasons, the first ones in full: "a; b; c (and 2 more)";
// "inputs changed" for none.
func Summary(reasons []string) string {
	if len(reasons) == 0 {
		return "inputs changed"
	}
	if len(reasons) <= shownReasons {
		return strings.Join(reasons, "; ")
	}
	return fmt.Sprintf("%s (and %d more)", strings.Join(reasons[:shownReasons], "; "), len(reasons)-shownReasons)
}

// ExplainSince is the one-line reason of an image built nowhere near, against old, the
// inputs of the image pushed at commit (found in the registry): what changed, with where it
// changed from, such as
//
//	file changed: src/luamods/http.lua (since a1b2c3d4e5f6)
//
// or, with the same inputs, that the image of commit has them. Files are named with source,
// as ExplainAt names them.
func ExplainSince(old, cur *Manifest, source func(name string) string, commit string) string {
	if old.Digest == cur.Digest {
		return "the image pushed at " + commit + " has the same inputs"
	}
	return Summary(ExplainAt(old, cur, source)) + " (since " + commit + ")"
}
