package inputs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/imagemake/imagemake/internal/config"
)

// DockerfileDir is the folder under which an image's entries hold its Dockerfile when the
// Dockerfile lies outside the context (`docker build -f ../x.Dockerfile dir`), with the
// Dockerfile's own ignore file beside it when there is one. Those entries are DockerfileOnly:
// the builder sends them to BuildKit in the "dockerfile" local only, as Docker sends such a
// Dockerfile apart from the context, so `COPY . .` never copies it.
const DockerfileDir = ".imagemake-dockerfile"

// BuildDockerfile is the name the builder gives BuildKit for the Dockerfile df (an image's
// dockerfile, relative to its context, "" for Dockerfile): df cleaned when it is inside the
// context, DockerfileDir/<its base name> when it is outside. The entries (Context) hold it
// under that name.
func BuildDockerfile(df string) string {
	if df == "" {
		df = "Dockerfile"
	}
	df = path.Clean(filepath.ToSlash(df))
	if escapes(df) {
		return DockerfileDir + "/" + path.Base(df)
	}
	return df
}

// InDockerfileDir tells whether the entry name lies in DockerfileDir (or is it).
func InDockerfileDir(name string) bool {
	return name == DockerfileDir || strings.HasPrefix(name, DockerfileDir+"/")
}

func escapes(clean string) bool {
	return clean == ".." || strings.HasPrefix(clean, "../")
}

// dockerfilePlace is where an image's Dockerfile is: its name in the entries and its path on
// disk. Its own ignore file (<Dockerfile>.dockerignore, beside it) has the same name and
// path with that suffix.
type dockerfilePlace struct {
	name    string // in the entries: BuildDockerfile of the image's dockerfile
	src     string // absolute path on disk
	rel     string // path from the project root, for messages
	outside bool   // outside the context: under DockerfileDir
}

// dockerfileOf returns where img's Dockerfile is. It must be inside the project root.
func (s *Scanner) dockerfileOf(img *config.Image) (dockerfilePlace, error) {
	df := img.Dockerfile
	if df == "" {
		df = "Dockerfile"
	}
	if path.IsAbs(filepath.ToSlash(df)) || filepath.IsAbs(df) {
		return dockerfilePlace{}, fmt.Errorf("dockerfile %s is an absolute path; it is relative to the context %s", img.Dockerfile, img.Context)
	}
	rel := path.Clean(path.Join(filepath.ToSlash(img.Context), filepath.ToSlash(df)))
	if escapes(rel) || path.IsAbs(rel) {
		return dockerfilePlace{}, fmt.Errorf("dockerfile %s (from the context %s) is outside the project root", img.Dockerfile, img.Context)
	}
	name := BuildDockerfile(df)
	return dockerfilePlace{name: name, src: s.abs(rel), rel: rel, outside: name != path.Clean(filepath.ToSlash(df))}, nil
}

// ignoreFile returns the name in the entries and the path on disk of the ignore file a build
// reads: the Dockerfile's own when there is one, else the context's .dockerignore.
func (p dockerfilePlace) ignoreFile(ctxDir string) (name, src string) {
	if _, err := os.Lstat(p.src + ".dockerignore"); err == nil {
		return p.name + ".dockerignore", p.src + ".dockerignore"
	}
	return ".dockerignore", filepath.Join(ctxDir, ".dockerignore")
}

// outsideEntries returns, for a Dockerfile outside the context, the entries that hold it:
// DockerfileDir (made up, mode 0755), the Dockerfile and its own ignore file when there is
// one, read from their paths on disk. None for a Dockerfile inside the context.
func (p dockerfilePlace) outsideEntries() ([]Entry, error) {
	if !p.outside {
		return nil, nil
	}
	e, err := lstatEntry(p.name, p.src, true)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("dockerfile %s not found", p.rel)
	}
	if err != nil {
		return nil, err
	}
	if !e.IsFile() {
		return nil, fmt.Errorf("dockerfile %s is not a file", p.rel)
	}
	out := []Entry{{Name: DockerfileDir, Mode: fs.ModeDir | 0o755}, e}
	ign, err := lstatEntry(p.name+".dockerignore", p.src+".dockerignore", true)
	switch {
	case err == nil && ign.IsFile():
		out = append(out, ign)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	for i := range out {
		out[i].DockerfileOnly = true
	}
	return out, nil
}
