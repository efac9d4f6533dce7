// Package config turns imagemake.yaml into the one project model: images, groups and tasks,
// validated, interpolated and with every path resolved relative to the project root.
package config

// FileName is the name of the configuration file looked up by walking up from the working directory.
const FileName = "imagemake.yaml"

// Project is a validated imagemake.yaml. Paths are slash-separated and relative to Root unless
// a field says otherwise.
type Project struct {
	Root     string // absolute directory holding the config file
	File     string // absolute path of the config file
	Repo     string
	Tag      string
	Cache    Cache
	Exclude  []string // patterns applied to every context
	Compose  []string // compose files, project-relative
	Bake     []string // bake files (HCL, JSON or compose form), project-relative
	Profiles []string // Compose profiles to activate, added to COMPOSE_PROFILES
	Builders []string // BuildKit daemons (tcp://host:port, unix:///path); none: the Docker engine
	// Platforms is the default platform list of images that name neither platform nor platforms.
	Platforms []string
	// Pull resolves every external FROM ref (a base no project image builds) to its registry
	// digest, which then counts in the inputs digest (pull: true, or --pull).
	Pull bool
	// GitAnnotations sets the OCI annotations org.opencontainers.image.revision, .source and
	// .created from git on pushed images (default true; git_annotations: false turns it off).
	GitAnnotations bool
	Images         []*Image            // sorted by name
	Groups         map[string][]string // group name -> image names
	Tasks          map[string]*Task
	Env            map[string]string // the variables interpolation used; DOCKER_TAG added in CI (see Env)
	Warnings       []string          // problems that do not stop the load (a variable replaced by "")
}

// Cache is the cache: section.
type Cache struct {
	Repo   string   // empty: use the project repo
	Tags   []string // empty strings dropped
	Inline bool     // default true
	Mode   string   // "" or "min" (the default), or "max": which steps a BuildKit builder exports as registry cache
}

// Image is one image of the project.
type Image struct {
	Name       string
	Context    string // project-relative folder ("." for the root)
	Dockerfile string // relative to Context
	Include    []Include
	Exclude    []string // per-image patterns (added to Project.Exclude and .dockerignore)
	Args       map[string]string
	Target     string
	Platform   string
	// Platforms is the image's platform list when it is built for more than one, or for one
	// given as a list: its own platforms:, else the project's default when it has no platform:.
	// Empty: one image of Platform ("" = the builder's).
	Platforms []string
	Network   string
	Labels    map[string]string
	Ref       string            // `image:` or {repo}/{name}:{tag}
	Tags      []string          // extra refs
	DependsOn []string          // explicit dependencies (image names)
	Contexts  map[string]string // BuildKit named contexts: name -> project-relative folder or "image:NAME"
	Secrets   []Secret          // BuildKit secrets, in the order written
	SSH       []string          // SSH agent sockets or keys to forward, as docker build --ssh: "default" or "id=path[,path]"
	CacheFrom []string          // extra cache sources (image refs), tried before the automatic ones
	Pos       Pos               // where the image is declared
}

// Include is a path merged into an image's build context.
type Include struct {
	From string // project-relative source path (file or folder)
	To   string // destination inside the context, slash-separated, no leading slash
}

// DefaultPlatforms gives img the project's default platform list when it names neither
// platform nor platforms. Images imported from Compose and bake files get it too.
func (p *Project) DefaultPlatforms(img *Image) {
	if img.Platform == "" && len(img.Platforms) == 0 && len(p.Platforms) > 0 {
		img.Platforms = append([]string(nil), p.Platforms...)
	}
}

// Refs returns the image's ref followed by its extra tags.
func (i *Image) Refs() []string { return append([]string{i.Ref}, i.Tags...) }

// Task is a command run after the images, groups or tasks it needs.
type Task struct {
	Name  string
	Needs []string
	Run   string
	Dir   string // project-relative working directory; "." = root
	Env   map[string]string
	// Restart is how `imagemake watch TASK` restarts the task after a round that changed an
	// image: "" stops the command (SIGINT to its process group) and starts it again; "compose"
	// runs `docker compose up -d --no-deps` for the services of the changed images.
	Restart string
}

// Pos is a position in the config file.
type Pos struct {
	Line, Col int
}

// Image returns the image with that name, or nil.
func (p *Project) Image(name string) *Image {
	for _, img := range p.Images {
		if img.Name == name {
			return img
		}
	}
	return nil
}
