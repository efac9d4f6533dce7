// Package project loads everything imagemake knows about a repository before it looks at files
// or engines: the validated config, what each Dockerfile reads from, and the image graph.
package project

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/dockerfile"
	"github.com/imagemake/imagemake/internal/graph"
)

// Options say where the config is and what the environment holds.
type Options struct {
	File string            // -f; "" = find imagemake.yaml walking up from Dir
	Dir  string            // -C; "" = the working directory
	Env  map[string]string // the process environment
}

// Model is a loaded project.
type Model struct {
	*config.Project
	Graph       *graph.Graph
	Dockerfiles map[string]*dockerfile.Info // by image name
	// BuildPlatform is the builder's platform the Dockerfiles were read for (ForBuilder); "":
	// not known, linux/amd64 assumed, and a context path made from a platform arg counts the
	// whole context.
	BuildPlatform  string
	ReadForBuilder []string // the images ForBuilder read again for BuildPlatform
	Warnings       []string // problems that do not stop the run
}

// Load reads and validates the config, parses every Dockerfile and builds the graph. Every
// error it returns is the user's input being wrong (exit code 2).
func Load(ctx context.Context, opt Options) (*Model, error) {
	path, err := configPath(opt)
	if err != nil {
		return nil, err
	}
	imp := &imports{}
	p, err := config.Load(ctx, path, opt.Env, config.WithImportedNames(imp.names))
	if err != nil {
		return nil, err
	}
	if err := mergeImports(p, imp); err != nil {
		return nil, err
	}
	if len(p.Images) == 0 {
		// An empty file (or one read while an editor rewrites it) must not pass for a project
		// whose images are all up to date.
		return nil, &config.Errors{List: []config.Error{{File: configName(p), Msg: "defines no image: " +
			"add images:, or compose: or bake: files whose services or targets have a build"}}}
	}
	for _, img := range p.Images {
		if img.Context == "" { // allowed by config only to extend a compose service
			return nil, p.ImageError(img, "", "needs context or dockerfile: no compose service "+img.Name+" to extend")
		}
	}
	m := &Model{Project: p, Dockerfiles: map[string]*dockerfile.Info{}}
	for _, img := range p.Images {
		info, err := parseDockerfile(p, img, "")
		if err != nil {
			return nil, err
		}
		m.Dockerfiles[img.Name] = info
	}
	if m.Graph, err = graphOf(p, m.Dockerfiles); err != nil {
		var cycle *graph.CycleError
		if errors.As(err, &cycle) {
			return nil, cycleError(p, imp, cycle)
		}
		return nil, err
	}
	if err := checkTaskCycles(p); err != nil {
		return nil, err
	}
	m.Warnings = slices.Concat(p.Warnings, imp.warnings, secretArgWarnings(p))
	return m, nil
}

// graphOf is the dependency graph of p's images, whose Dockerfiles read as dockerfiles says.
func graphOf(p *config.Project, dockerfiles map[string]*dockerfile.Info) (*graph.Graph, error) {
	refs := make(map[string][]dockerfile.Ref, len(p.Images))
	for _, img := range p.Images {
		refs[img.Name] = dockerfiles[img.Name].TargetRefs()
	}
	nodes, err := graph.Resolve(p, refs)
	if err != nil {
		return nil, err
	}
	return graph.New(nodes)
}

// cycleError blames a dependency cycle on an image of imagemake.yaml when one is in it, else on
// the file importing its first image (a cycle of Compose services is the Compose file's).
func cycleError(p *config.Project, imp *imports, cycle *graph.CycleError) error {
	for _, name := range cycle.Path {
		if img := p.Image(name); img != nil && img.Pos != (config.Pos{}) {
			return p.ImageError(img, "", cycle.Error())
		}
	}
	if i, ok := imp.find(cycle.Path[0]); ok {
		return &config.Errors{List: []config.Error{{File: i.File, Field: i.What + "s." + i.Image.Name, Msg: cycle.Error()}}}
	}
	return p.ImageError(p.Image(cycle.Path[0]), "", cycle.Error())
}

var secretName = regexp.MustCompile(`(?i)(TOKEN|PASSWORD|PASSWD|SECRET|KEY)`)

// secretArgWarnings flags build args whose name looks like a secret: their values end up in the
// image's history and in the inputs digest's manifest, readable by anyone with the image.
func secretArgWarnings(p *config.Project) []string {
	var out []string
	for _, img := range p.Images {
		for _, k := range slices.Sorted(maps.Keys(img.Args)) {
			if secretName.MatchString(k) {
				out = append(out, fmt.Sprintf("images.%s.args.%s looks like a secret: build args are stored in the image "+
					"and in .imagemake/; give it as a secret instead (images.%s.secrets, read with RUN --mount=type=secret)", img.Name, k, img.Name))
			}
		}
	}
	return out
}

// checkTaskCycles rejects tasks that need themselves through other tasks.
func checkTaskCycles(p *config.Project) error {
	var nodes []graph.Node
	for name, t := range p.Tasks {
		n := graph.Node{Name: name}
		for _, need := range t.Needs {
			if _, ok := p.Tasks[need]; ok {
				n.Deps = append(n.Deps, graph.Dep{Name: need, Why: "needs"})
			}
		}
		nodes = append(nodes, n)
	}
	if _, err := graph.New(nodes); err != nil {
		return fmt.Errorf("tasks: %w", err)
	}
	return nil
}

func configPath(opt Options) (string, error) {
	dir := opt.Dir
	if dir == "" {
		dir = "."
	}
	if opt.File != "" {
		if filepath.IsAbs(opt.File) || opt.Dir == "" {
			return opt.File, nil
		}
		return filepath.Join(dir, opt.File), nil
	}
	return config.Find(dir)
}

// BuildArgs returns the build args an image is built with: DOCKER_REPO and DOCKER_TAG (so a
// Dockerfile can say FROM ${DOCKER_REPO}/base:${DOCKER_TAG}) overridden by the image's args.
func (m *Model) BuildArgs(img *config.Image) map[string]string {
	args := m.ImplicitArgs(img)
	for k, v := range img.Args {
		args[k] = v
	}
	return args
}

// ImplicitArgs are the args imagemake passes without the config naming them. Like any build
// arg, they count in the inputs digest only where a stage the target builds declares them
// (plan's resolved): FROM ${DOCKER_REPO}/base:${DOCKER_TAG} names a project image, whose inputs
// the digest covers, so a new tag alone changes no digest.
func (m *Model) ImplicitArgs(img *config.Image) map[string]string {
	args := map[string]string{}
	for k, v := range map[string]string{"DOCKER_REPO": m.Repo, "DOCKER_TAG": m.Tag} {
		if _, set := img.Args[k]; !set {
			args[k] = v
		}
	}
	return args
}

// ParseDockerfile reads img's Dockerfile as its build sees it: with the build args of
// Model.BuildArgs, its platform and its target. It is what Load keeps in Model.Dockerfiles;
// inputs reads it again to know which paths of the context the build reads.
func ParseDockerfile(p *config.Project, img *config.Image) (*dockerfile.Info, error) {
	return parseDockerfile(p, img, "")
}

// parseDockerfile reads img's Dockerfile, on a builder of platform buildPlatform ("": not known).
func parseDockerfile(p *config.Project, img *config.Image, buildPlatform string) (*dockerfile.Info, error) {
	rel := filepath.ToSlash(filepath.Join(img.Context, img.Dockerfile))
	src, err := os.ReadFile(filepath.Join(p.Root, rel))
	if err != nil {
		return nil, p.ImageError(img, "dockerfile", err.Error())
	}
	args := map[string]string{"DOCKER_REPO": p.Repo, "DOCKER_TAG": p.Tag}
	for k, v := range img.Args {
		args[k] = v
	}
	info, err := dockerfile.ParseOptions(src, dockerfile.Options{Args: args, Platform: img.Platform, Platforms: img.Platforms,
		BuildPlatform: buildPlatform, Target: img.Target})
	if err != nil {
		return nil, p.ImageError(img, "dockerfile", rel+": "+err.Error())
	}
	return info, nil
}

// ImagesNamed returns the images of those names, in that order.
func (m *Model) ImagesNamed(names []string) []*config.Image {
	out := make([]*config.Image, 0, len(names))
	for _, n := range names {
		out = append(out, m.Image(n))
	}
	return out
}

// Expand turns image and group names into image names (groups recursively), sorted and
// deduplicated. No names means every image.
func (m *Model) Expand(names []string) ([]string, error) {
	if len(names) == 0 {
		return m.Graph.Names(), nil
	}
	set := map[string]bool{}
	var add func(name string, seen map[string]bool) error
	add = func(name string, seen map[string]bool) error {
		if m.Graph.Has(name) {
			set[name] = true
			return nil
		}
		members, ok := m.Groups[name]
		if !ok {
			return fmt.Errorf("no image or group named %q%s", name, config.DidYouMean(name, m.names()))
		}
		if seen[name] {
			return fmt.Errorf("group %q contains itself", name)
		}
		seen[name] = true
		for _, member := range members {
			if err := add(member, seen); err != nil {
				return err
			}
		}
		delete(seen, name)
		return nil
	}
	for _, n := range names {
		if err := add(n, map[string]bool{}); err != nil {
			return nil, err
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

func (m *Model) names() []string {
	names := m.Graph.Names()
	for g := range m.Groups {
		names = append(names, g)
	}
	return names
}
