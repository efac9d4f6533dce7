package inputs

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/imagemake/imagemake/internal/config"
)

// A build secret is read by the build through its BuildKit session, never as context: a
// secrets: file that lies inside a build context (the context folder, an include, a named
// context folder) is left out of that context, so that it is neither sent, nor hashed into
// the inputs digest (the secret's id still counts), nor copied by COPY . .

// secretFile is a file secret of an image found inside one of its build contexts.
type secretFile struct {
	id   string
	src  string // as written in the config: relative to the project root, or absolute
	name string // its path inside the context
}

// secretsIn returns the file secrets of img that lie inside one of srcs, with their names
// there. A secret is inside a source when its path is, as written or with symlinks resolved.
func (s *Scanner) secretsIn(img *config.Image, srcs []source) []secretFile {
	var out []secretFile
	for _, sec := range img.Secrets {
		if sec.Src == "" {
			continue
		}
		abs := s.abs(sec.Src)
		for _, src := range srcs {
			if name, ok := nameInside(src, abs); ok {
				out = append(out, secretFile{id: sec.ID, src: sec.Src, name: name})
			}
		}
	}
	return out
}

// nameInside returns the name file has inside the source src, when it lies in it.
func nameInside(src source, file string) (string, bool) {
	rel, err := filepath.Rel(src.src, file)
	ok := err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
	if !ok {
		if rel, ok = config.Inside(src.src, file); ok && (rel == "." || rel == "") {
			ok = false
		}
	}
	if !ok {
		return "", false
	}
	return joinName(src.to, filepath.ToSlash(rel)), true
}

// withoutSecrets returns l without the entries that are secrets (by name); l itself when it
// holds none.
func withoutSecrets(l *EntryList, secrets []secretFile) *EntryList {
	if len(secrets) == 0 {
		return l
	}
	entries := l.Entries()
	kept := slices.DeleteFunc(slices.Clone(entries), func(e Entry) bool { return isSecret(e, secrets) })
	if len(kept) == len(entries) {
		return l
	}
	return ownList(kept)
}

// dropSecrets removes the secrets from entries, in place.
func dropSecrets(entries []Entry, secrets []secretFile) []Entry {
	if len(secrets) == 0 {
		return entries
	}
	return slices.DeleteFunc(entries, func(e Entry) bool { return isSecret(e, secrets) })
}

func isSecret(e Entry, secrets []secretFile) bool {
	return !e.IsDir() && slices.ContainsFunc(secrets, func(sec secretFile) bool { return sec.name == e.Name })
}

// secretWarnings are the warnings for the file secrets of img that its context would hold:
// one line per secret, naming the file, the image and the id.
func (s *Scanner) secretWarnings(img *config.Image) []string {
	if len(img.Secrets) == 0 {
		return nil
	}
	ctxDir := s.abs(img.Context)
	df, err := s.dockerfileOf(img)
	if err != nil {
		return nil
	}
	m, err := s.contextMatcher(img, ctxDir, &df)
	if err != nil {
		return nil
	}
	var out []string
	for _, sec := range s.secretsIn(img, s.sources(img, ctxDir)) {
		if m.excludes(sec.name) {
			continue // the context leaves it out already
		}
		out = append(out, fmt.Sprintf("image %q: secret %q (%s) lies inside its build context: "+
			"it is left out of the context and of the inputs digest, and reaches the build only as a secret",
			img.Name, sec.id, QuotePath(filepath.ToSlash(sec.src))))
	}
	for _, name := range slices.Sorted(maps.Keys(img.Contexts)) {
		rel := img.Contexts[name]
		if !isFolderContext(rel) {
			continue
		}
		for _, sec := range s.secretsIn(img, []source{{src: s.abs(rel)}}) {
			out = append(out, fmt.Sprintf("image %q: secret %q (%s) lies inside its named context %q: "+
				"it is left out of that context and of the inputs digest, and reaches the build only as a secret",
				img.Name, sec.id, QuotePath(filepath.ToSlash(sec.src)), name))
		}
	}
	return out
}

// excludes tells whether the patterns leave name out of the context: name or a folder above
// it is excluded, and nothing re-includes it.
func (m *matcher) excludes(name string) bool {
	var info matchInfo
	dir := ""
	parts := strings.Split(name, "/")
	for i, part := range parts {
		dir = joinName(dir, part)
		last := i == len(parts)-1
		excluded, next, err := m.match(dir, info, !last)
		if err != nil {
			return false
		}
		if excluded && (last || m.prunable(dir)) {
			return true
		}
		info = next
	}
	return false
}
