// Package benchrepo writes the benchmark repository: two base images (pybase, luabase), services
// built FROM them, three shared source folders each service includes one of, excluded junk
// (__pycache__, node_modules) in some services, and an imagemake.yaml describing it all. Every
// image builds with no network: the bases are FROM scratch with a static busybox.
package benchrepo

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/imagemake/imagemake/internal/config"
)

// Options size the repository.
type Options struct {
	Dir     string // where to write; must be missing or empty
	Images  int    // images in all, the two bases included; default 30
	Files   int    // files in all, about; default 100000
	Busybox string // static busybox copied into the bases; missing: a placeholder is written
	// ModelOnly writes nothing: Generate returns the model of the repository these options
	// write, for a repository written before.
	ModelOnly bool
	// RootContext gives every image the repository root as its context, its Dockerfile by
	// dockerfile: (docker build -f services/svc01/Dockerfile .), naming what it copies:
	// its own folder and its shared folder, instead of a folder context with include:.
	RootContext bool
}

// Repo is what Generate wrote.
type Repo struct {
	Project *config.Project   // the model of the imagemake.yaml written
	Base    map[string]string // service -> the base image it is built FROM
	Files   int
	Bytes   int64
	Busybox bool // false when a placeholder stands in for busybox: the images will not run
}

// shared are the shared folders; the services take them in turn.
var shared = []struct{ dir, base, ext string }{
	{"src/shared/pylib", "pybase", ".py"},
	{"src/shared/luamods", "luabase", ".lua"},
	{"src/shared/proto", "pybase", ".proto"},
}

// excludes are the global excludes of PRODUCT.md's example.
var excludes = []string{"__pycache__", "*.egg-info", "node_modules", ".mypy_cache", ".pytest_cache"}

// Generate writes the repository.
func Generate(o Options) (*Repo, error) {
	if err := defaults(&o); err != nil {
		return nil, err
	}
	if err := empty(o.Dir); err != nil && !o.ModelOnly {
		return nil, err
	}
	root, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	g := &gen{root: root, rng: rand.New(rand.NewPCG(1, 2)), dry: o.ModelOnly, rootContext: o.RootContext}
	r := &Repo{Base: map[string]string{}}
	r.Project = &config.Project{Root: root, File: filepath.Join(root, config.FileName), Repo: "acme", Tag: "dev",
		Exclude: excludes}
	if r.Busybox, err = g.bases(o, r); err != nil {
		return nil, err
	}
	if err := g.sharedFolders(o.Files * 15 / 100); err != nil {
		return nil, err
	}
	if err := g.services(o, r); err != nil {
		return nil, err
	}
	slices.SortFunc(r.Project.Images, func(a, b *config.Image) int { return strings.Compare(a.Name, b.Name) })
	r.Project.Groups = map[string][]string{"services": serviceNames(r.Project)}
	if err := g.config(r.Project); err != nil {
		return nil, err
	}
	r.Files, r.Bytes = g.files, g.bytes
	return r, nil
}

func defaults(o *Options) error {
	if o.Images == 0 {
		o.Images = 30
	}
	if o.Files == 0 {
		o.Files = 100000
	}
	if o.Images < 3 || o.Files < 10*o.Images {
		return fmt.Errorf("need at least 3 images and 10 files per image")
	}
	return nil
}

// empty checks that dir is missing or empty.
func empty(dir string) error {
	des, err := os.ReadDir(dir)
	if err == nil && len(des) > 0 {
		return fmt.Errorf("%s is not empty", dir)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

type gen struct {
	root        string
	rng         *rand.Rand
	dry         bool
	rootContext bool
	files       int
	bytes       int64
}

func (g *gen) write(name string, data []byte, mode fs.FileMode) error {
	if g.dry {
		g.files++
		return nil
	}
	file := filepath.Join(g.root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	g.files++
	g.bytes += int64(len(data))
	return os.WriteFile(file, data, mode)
}

// tree writes n source files below dir, 20 to a folder, 20 folders to a package.
func (g *gen) tree(dir, ext string, n int) error {
	if g.dry {
		g.files += n
		return nil
	}
	for i := range n {
		name := fmt.Sprintf("%s/pkg%02d/mod%02d/file%02d%s", dir, i/400, i/20%20, i%20, ext)
		if err := g.write(name, g.content(name), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// content is a few hundred bytes to a few KB of source-like text.
func (g *gen) content(name string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "-- %s\n", name)
	for lines := 4 + g.rng.IntN(60); lines > 0; lines-- {
		fmt.Fprintf(&b, "value_%d = %d\n", g.rng.IntN(1000), g.rng.Uint32())
	}
	return []byte(b.String())
}

func (g *gen) sharedFolders(files int) error {
	for _, s := range shared {
		if err := g.tree(s.dir, s.ext, files/len(shared)); err != nil {
			return err
		}
	}
	return nil
}

func (g *gen) bases(o Options, r *Repo) (bool, error) {
	bb, err := os.ReadFile(o.Busybox)
	found := err == nil
	if !found {
		bb = []byte("#!/bin/sh\n# placeholder: no busybox was found\n")
	}
	for _, name := range []string{"pybase", "luabase"} {
		dir := "images/" + name
		df := "FROM scratch\nCOPY busybox /bin/busybox\nCOPY lib/ /usr/lib/" + name + "/\n"
		if g.rootContext {
			df = "FROM scratch\nCOPY " + dir + "/busybox /bin/busybox\nCOPY " + dir + "/lib/ /usr/lib/" + name + "/\n"
		}
		if err := g.write(dir+"/Dockerfile", []byte(df), 0o644); err != nil {
			return false, err
		}
		if err := g.write(dir+"/busybox", bb, 0o755); err != nil {
			return false, err
		}
		if err := g.tree(dir+"/lib", ".txt", 40); err != nil {
			return false, err
		}
		r.Project.Images = append(r.Project.Images, g.image(name, dir, ""))
	}
	return found, nil
}

func (g *gen) image(name, dir, include string) *config.Image {
	img := &config.Image{Name: name, Context: dir, Dockerfile: "Dockerfile", Network: "none", Ref: "acme/" + name + ":dev"}
	if g.rootContext {
		img.Context, img.Dockerfile = ".", dir+"/Dockerfile"
		return img
	}
	if include != "" {
		img.Include = []config.Include{{From: include, To: include}}
	}
	return img
}

func (g *gen) services(o Options, r *Repo) error {
	n := o.Images - 2
	left := o.Files - g.files
	for i := range n {
		name := fmt.Sprintf("svc%02d", i+1)
		s := shared[i%len(shared)]
		dir := "services/" + name
		copies := "COPY . /app\n"
		if g.rootContext {
			copies = fmt.Sprintf("COPY %s/ /app/\nCOPY %s /app/%s\n", dir, s.dir, s.dir)
		}
		df := fmt.Sprintf("ARG DOCKER_REPO\nARG DOCKER_TAG\nFROM ${DOCKER_REPO}/%s:${DOCKER_TAG}\n%sRUN [\"/bin/busybox\", \"true\"]\n", s.base, copies)
		if err := g.write(dir+"/Dockerfile", []byte(df), 0o644); err != nil {
			return err
		}
		files := left / (n - i)
		left -= files
		if err := g.serviceFiles(dir, s.ext, i, files-1); err != nil {
			return err
		}
		r.Base[name] = s.base
		r.Project.Images = append(r.Project.Images, g.image(name, dir, s.dir))
	}
	return nil
}

// serviceFiles writes a service's sources, and junk the excludes drop in every other one.
func (g *gen) serviceFiles(dir, ext string, i, files int) error {
	junk := 0
	if i%2 == 0 {
		junk = files / 20
	}
	if err := g.tree(dir+"/app", ext, files-junk); err != nil {
		return err
	}
	junkDir := path.Join(dir, "app/pkg00/__pycache__")
	if i%4 == 2 {
		junkDir = path.Join(dir, "node_modules/dep")
	}
	return g.tree(junkDir, ".cache", junk)
}

func (g *gen) config(p *config.Project) error {
	if g.dry {
		return nil
	}
	var b strings.Builder
	quoted := make([]string, len(excludes))
	for i, e := range excludes {
		quoted[i] = strconv.Quote(e)
	}
	b.WriteString("version: 1\nrepo: ${DOCKER_REPO:-acme}\ntag: ${DOCKER_TAG:-dev}\n")
	b.WriteString("exclude: [" + strings.Join(quoted, ", ") + "]\nimages:\n")
	for _, img := range p.Images {
		fmt.Fprintf(&b, "  %s:\n    context: %s\n", img.Name, img.Context)
		if img.Dockerfile != "Dockerfile" {
			fmt.Fprintf(&b, "    dockerfile: %s\n", img.Dockerfile)
		}
		if len(img.Include) > 0 {
			fmt.Fprintf(&b, "    include:\n      - %s\n", img.Include[0].From)
		}
		b.WriteString("    network: none\n")
	}
	b.WriteString("groups:\n  services: [" + strings.Join(p.Groups["services"], ", ") + "]\n")
	if err := os.WriteFile(filepath.Join(g.root, config.FileName), []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(g.root, ".gitignore"), []byte("/.imagemake/\n"), 0o644)
}

func serviceNames(p *config.Project) []string {
	var names []string
	for _, img := range p.Images {
		if strings.HasPrefix(img.Name, "svc") {
			names = append(names, img.Name)
		}
	}
	return names
}
