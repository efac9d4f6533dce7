// Package scaffold writes a starting imagemake.yaml for an existing tree. It finds the
// Dockerfiles, Compose files and bake files, imports the Compose and bake files that build
// images, and makes one image per remaining Dockerfile (and per stage only --target builds),
// choosing for each what the tree says: the context that holds its COPY sources, the refs other
// Dockerfiles, Compose image: keys and bake tags name it by (so those FROM and COPY --from lines
// become dependencies when the config is loaded), and repo/tag from the same evidence. Every
// guess is written with its evidence as a comment; what it cannot decide is a "# check:".
package scaffold

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
)

// Found is what Scan finds under a root.
type Found struct {
	Root        string   // sanitised name of the root folder, the default repo
	Dockerfiles []string // slash paths relative to the root, sorted
	Compose     []string // slash paths relative to the root, sorted
	Bake        []string // slash paths relative to the root, sorted
	Makefiles   []string // slash paths relative to the root, sorted: their docker build commands are evidence
}

// skipDirs are folders never scanned, besides hidden ones: dependencies, and test inputs
// (testdata, as the go tool ignores it), whose Dockerfiles are fixtures, not images to build.
var skipDirs = map[string]bool{"vendor": true, "node_modules": true, "testdata": true}

// notDockerfile are suffixes of files named like a Dockerfile that are not one.
var notDockerfile = []string{".dockerignore", ".md", ".txt", ".bak", ".orig", ".swp", ".rej", "~"}

var (
	composeRE = regexp.MustCompile(`^(docker-)?compose([.-][^/]*)?\.ya?ml$`)
	bakeRE    = regexp.MustCompile(`^docker-bake(\.[^/]+)?\.(hcl|json)$`)
)

// IsDockerfile reports whether a file name is a Dockerfile's: Dockerfile, NAME.Dockerfile or
// Dockerfile.NAME.
func IsDockerfile(name string) bool {
	for _, s := range notDockerfile {
		if strings.HasSuffix(name, s) {
			return false
		}
	}
	return name == "Dockerfile" ||
		(strings.HasSuffix(name, ".Dockerfile") && len(name) > len(".Dockerfile")) ||
		(strings.HasPrefix(name, "Dockerfile.") && len(name) > len("Dockerfile."))
}

// IsCompose reports whether a file name is a Compose file's: docker-compose*.yml/yaml or
// compose*.yml/yaml.
func IsCompose(name string) bool { return composeRE.MatchString(name) }

// IsBake reports whether a file name is a bake file's, as buildx looks them up:
// docker-bake.hcl, docker-bake.json, docker-bake.override.hcl, docker-bake.NAME.json...
func IsBake(name string) bool { return bakeRE.MatchString(name) }

// Scan walks fsys (the tree below the root folder rootName) and returns the Dockerfiles,
// Compose files and bake files, skipping .git, vendor, node_modules, testdata, .imagemake and
// every hidden folder.
// Only regular files count: a symlinked Dockerfile may lead outside its context.
func Scan(fsys fs.FS, rootName string) (*Found, error) {
	f := &Found{Root: Sanitize(rootName)}
	if f.Root == "" {
		f.Root = "acme"
	}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != "." && (strings.HasPrefix(name, ".") || skipDirs[name]) {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		switch {
		case IsDockerfile(name):
			f.Dockerfiles = append(f.Dockerfiles, p)
		case IsCompose(name):
			f.Compose = append(f.Compose, p)
		case IsBake(name):
			f.Bake = append(f.Bake, p)
		case IsMakefile(name):
			f.Makefiles = append(f.Makefiles, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(f.Dockerfiles)
	slices.Sort(f.Compose)
	slices.Sort(f.Bake)
	slices.Sort(f.Makefiles)
	return f, nil
}

var (
	invalidRun = regexp.MustCompile(`[^a-z0-9]+`)
	nameRE     = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
)

// Sanitize turns a folder or file name into a valid image name (a docker repository path
// component): lowercase, runs of other characters become "-", none at either end. It may
// return "".
func Sanitize(s string) string {
	s = invalidRun.ReplaceAllString(strings.ToLower(s), "-")
	s = strings.Trim(s, "-")
	if !nameRE.MatchString(s) {
		return ""
	}
	return s
}

// dockerfileSuffix is what tells a Dockerfile apart from the plain "Dockerfile": "prod" for
// Dockerfile.prod and prod.Dockerfile, "" for Dockerfile.
func dockerfileSuffix(file string) string {
	base := path.Base(file)
	if base == "Dockerfile" {
		return ""
	}
	if s, ok := strings.CutPrefix(base, "Dockerfile."); ok {
		return s
	}
	return strings.TrimSuffix(base, ".Dockerfile")
}

// holderDirs are folders that only hold Dockerfiles: docker/api.Dockerfile is named api.
var holderDirs = map[string]bool{"docker": true, "dockerfiles": true, "dockerfile": true, "containers": true}

// nameImages gives each Dockerfile an image name: its folder's (the root's for a Dockerfile at
// the top), plus the Dockerfile's suffix when its folder holds several, plus parent folders
// while two images would share a name, plus -2, -3... as a last resort. A Dockerfile with a
// suffix in a folder that only holds Dockerfiles (docker/, dockerfiles/) is named by the suffix.
func nameImages(root string, dockerfiles []string) []string {
	perDir := map[string]int{}
	for _, df := range dockerfiles {
		perDir[path.Dir(df)]++
	}
	type cand struct {
		parts []string // folder components, innermost last
		extra string   // suffix of the Dockerfile, when needed
		depth int      // how many folder components the name uses
	}
	cands := make([]cand, len(dockerfiles))
	for i, df := range dockerfiles {
		dir := path.Dir(df)
		var parts []string
		if dir != "." {
			for _, p := range strings.Split(dir, "/") {
				if s := Sanitize(p); s != "" {
					parts = append(parts, s)
				}
			}
		}
		if len(parts) == 0 {
			parts = []string{root}
		}
		c := cand{parts: parts, depth: 1}
		if perDir[dir] > 1 || dir == "." && path.Base(df) != "Dockerfile" {
			c.extra = Sanitize(dockerfileSuffix(df))
		}
		if sfx := Sanitize(dockerfileSuffix(df)); sfx != "" && holderDirs[parts[len(parts)-1]] {
			c = cand{parts: []string{sfx}, depth: 1} // docker/api.Dockerfile is api
		}
		cands[i] = c
	}
	name := func(c cand) string {
		n := strings.Join(c.parts[len(c.parts)-c.depth:], "-")
		if c.extra != "" {
			n += "-" + c.extra
		}
		return n
	}
	for {
		groups := map[string][]int{}
		for i, c := range cands {
			groups[name(c)] = append(groups[name(c)], i)
		}
		grew := false
		for _, idx := range groups {
			if len(idx) < 2 {
				continue
			}
			for _, i := range idx {
				if cands[i].depth < len(cands[i].parts) {
					cands[i].depth++
					grew = true
				}
			}
		}
		if !grew {
			break
		}
	}
	names := make([]string, len(cands))
	used := map[string]bool{}
	for i, c := range cands {
		n := name(c)
		for k := 2; used[n]; k++ {
			n = fmt.Sprintf("%s-%d", name(c), k)
		}
		used[n] = true
		names[i] = n
	}
	return names
}
