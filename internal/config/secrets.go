package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/goccy/go-yaml/ast"
)

// secretIDRE is what a secret's id may be: it is written in RUN --mount=type=secret,id=ID.
var secretIDRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// Secret is a BuildKit secret of an image's build (RUN --mount=type=secret,id=ID): the content
// of the file Src or of the environment variable Env. Only its ID is part of the inputs digest.
type Secret struct {
	ID  string
	Src string // the file, absolute or relative to Project.Root; "" when Env is set
	Env string // name of the environment variable; "" when Src is set
}

// secrets decodes a list of {id, src} and {id, env} maps. Every item gets an entry, so
// indexes match field paths even when an item is broken.
func (d *decoder) secrets(dst *[]Secret) fieldFunc {
	return func(n ast.Node, field string) {
		d.list(n, field, func(item ast.Node, field string) {
			var s Secret
			d.fields(item, field, map[string]fieldFunc{"id": d.str(&s.ID), "src": d.str(&s.Src), "env": d.str(&s.Env)})
			*dst = append(*dst, s)
			if d.bad[field] {
				return
			}
			_, src := d.pos[field+".src"]
			_, env := d.pos[field+".env"]
			switch {
			case !d.has(field + ".id"):
				d.errNode(item, field, `missing "id"`)
			case src == env:
				d.errNode(item, field, `needs exactly one of "src" (a file) and "env" (an environment variable)`)
			}
		})
	}
}

func (d *decoder) has(field string) bool {
	_, ok := d.pos[field]
	return ok
}

// checkSecrets checks each secret's id and source. A file may be outside the project root
// (secrets rarely live in the repository): it is read at build time and never goes into a
// context. A relative src is relative to the folder of imagemake.yaml.
func (d *decoder) checkSecrets(img *Image, f string) {
	seen := map[string]string{}
	for i := range img.Secrets {
		s, fi := &img.Secrets[i], fmt.Sprintf("%s.secrets[%d]", f, i)
		if d.bad[fi] || d.bad[fi+".id"] || d.bad[fi+".src"] || d.bad[fi+".env"] {
			continue
		}
		switch prev, dup := seen[s.ID]; {
		case !secretIDRE.MatchString(s.ID):
			d.errField(fi+".id", "invalid secret id %q: use letters, digits, _ . and -", s.ID)
		case dup:
			d.errField(fi+".id", "secret %q is already given by %s", s.ID, prev)
		}
		seen[s.ID] = fi
		if s.Env != "" || d.has(fi+".env") {
			d.checkSecretEnv(s, fi+".env")
		} else {
			d.checkSecretFile(s, fi+".src")
		}
	}
}

func (d *decoder) checkSecretEnv(s *Secret, field string) {
	if _, set := d.env[s.Env]; !set {
		d.errField(field, "secret %q: environment variable %q is not set", s.ID, s.Env)
	}
}

func (d *decoder) checkSecretFile(s *Secret, field string) {
	if s.Src == "" {
		d.errField(field, "empty path")
		return
	}
	abs := s.Src
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(d.root, filepath.FromSlash(abs))
	}
	fi, err := os.Stat(abs)
	switch {
	case err != nil:
		d.errField(field, "secret file %q %s", s.Src, statMessage(err))
	case !fi.Mode().IsRegular():
		d.errField(field, "secret file %q is not a file", s.Src)
	}
}
