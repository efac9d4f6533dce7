package scaffold

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/imagemake/imagemake/internal/dockerfile"
)

// Ignore is an ignore file that should exclude .git: the images listed read the whole
// repository root (COPY . or a source that cannot be told before the build), so without it
// every commit changes what they are built from.
type Ignore struct {
	File   string   // root-relative: .dockerignore, or db/Dockerfile.dockerignore when the Dockerfile has its own
	Exists bool     // the file is there (the line is appended) or not (it is created)
	Images []string // the images whose context it filters
	Why    []string // for each image, what reads the whole context: "line 4: COPY ."
}

// ignoreProposals finds the root-context images whose ignore file (the Dockerfile's own, else
// .dockerignore, as BuildKit picks it) does not exclude .git, whether or not .git is there yet
// (a tree copied without it is cloned with it).
func (g *gen) ignoreProposals() []Ignore {
	var out []Ignore
	for _, img := range g.images {
		if img.Context != "." || img.Broken != "" {
			continue
		}
		whole := readsWhole(img)
		if whole == "" {
			continue // only the paths its COPY lines name count: .git is not among them
		}
		file, exists := ignoreFile(g.fsys, img.path)
		if excludesGit(g.fsys, file, exists) {
			continue
		}
		i := slices.IndexFunc(out, func(ig Ignore) bool { return ig.File == file })
		if i < 0 {
			out = append(out, Ignore{File: file, Exists: exists})
			i = len(out) - 1
		}
		out[i].Images = append(out[i].Images, img.Name)
		out[i].Why = append(out[i].Why, whole)
	}
	return out
}

// readsWhole says what makes a build of the image read its whole context, or "".
func readsWhole(img *Image) string {
	info, err := dockerfile.ParseOptions(img.src, dockerfile.Options{Args: buildArgs(img.args), Target: img.Target})
	if err != nil {
		return ""
	}
	if _, whole := info.ContextPaths(); whole != nil {
		return whole.String()
	}
	return ""
}

// ignoreFile is the ignore file BuildKit reads for a Dockerfile built with the root as context.
func ignoreFile(fsys fs.FS, dockerfile string) (string, bool) {
	own := dockerfile + ".dockerignore"
	if _, err := fs.Stat(fsys, own); err == nil {
		return own, true
	}
	_, err := fs.Stat(fsys, ".dockerignore")
	return ".dockerignore", err == nil
}

func excludesGit(fsys fs.FS, file string, exists bool) bool {
	if !exists {
		return false
	}
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return false
	}
	pats, err := ignorefile.ReadAll(bytes.NewReader(data))
	if err != nil {
		return false
	}
	pm, err := patternmatcher.New(pats)
	if err != nil {
		return false
	}
	m, err := pm.MatchesOrParentMatches(".git")
	return err == nil && m
}

// AddGitLine appends the line ".git" to the ignore file under root, creating it if needed.
func (ig Ignore) AddGitLine(root string) error {
	p := filepath.Join(root, filepath.FromSlash(ig.File))
	data, err := os.ReadFile(p)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
		data = append(data, '\n')
	}
	data = append(data, ".git\n"...)
	return os.WriteFile(p, data, 0o644)
}
