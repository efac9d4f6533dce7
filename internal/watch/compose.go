package watch

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/distribution/reference"
	"github.com/sirupsen/logrus"
)

// Image is an image a round built or reused, with every ref it was given.
type Image struct {
	Name string
	Refs []string
}

// Compose is the Compose project a `restart: compose` task runs: the one `docker compose`
// finds in Dir with Env (COMPOSE_FILE, COMPOSE_PROJECT_NAME, COMPOSE_PROFILES, else compose.yaml
// or docker-compose.yml there, and its .env), read with compose-go as docker compose reads it.
type Compose struct {
	Dir string
	Env map[string]string // the task's environment: the process's, its env: and the images' refs
}

// Services are the services of the project that run one of images: a service whose image is
// one of an image's refs, or one with a build: section that imagemake builds as the image of
// its name (an image imported from a Compose file). Sorted.
func (c Compose) Services(ctx context.Context, images []Image) ([]string, error) {
	proj, err := c.load(ctx)
	if err != nil {
		return nil, err
	}
	refs, names := map[string]bool{}, map[string]bool{}
	for _, img := range images {
		names[img.Name] = true
		for _, r := range img.Refs {
			refs[normalRef(r)] = true
		}
	}
	var out []string
	for name, svc := range proj.Services {
		if (svc.Image != "" && refs[normalRef(svc.Image)]) || (svc.Build != nil && names[name]) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Up is the command that recreates services: `docker compose up -d --no-deps SERVICES`, in
// Dir with Env.
func (c Compose) Up(services []string) *exec.Cmd {
	cmd := exec.Command("docker", append([]string{"compose", "up", "-d", "--no-deps"}, services...)...)
	cmd.Dir = c.Dir
	cmd.Env = c.environ()
	return cmd
}

// environ is Env as KEY=VALUE, sorted by key.
func (c Compose) environ() []string {
	env := make([]string, 0, len(c.Env))
	for _, k := range slices.Sorted(maps.Keys(c.Env)) {
		env = append(env, k+"="+c.Env[k])
	}
	return env
}

// files are the files COMPOSE_FILE names, relative to Dir as docker compose run there takes
// them; none when it is not set.
func (c Compose) files() []string {
	list, ok := c.Env["COMPOSE_FILE"]
	if !ok {
		return nil
	}
	sep := c.Env["COMPOSE_PATH_SEPARATOR"]
	if sep == "" {
		sep = string(os.PathListSeparator)
	}
	var out []string
	for _, f := range strings.Split(list, sep) {
		if !filepath.IsAbs(f) && f != "-" {
			f = filepath.Join(c.Dir, f)
		}
		out = append(out, f)
	}
	return out
}

// profiles are the active profiles COMPOSE_PROFILES names.
func profiles(env map[string]string) []string {
	var out []string
	for _, p := range strings.Split(env["COMPOSE_PROFILES"], ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// logMu keeps loads from swapping logrus's output under one another.
var logMu sync.Mutex

func (c Compose) load(ctx context.Context) (*types.Project, error) {
	opts, err := cli.NewProjectOptions(c.files(), cli.WithWorkingDirectory(c.Dir), cli.WithEnv(c.environ()),
		cli.WithDefaultConfigPath, cli.WithEnvFiles(), cli.WithDotEnv,
		cli.WithProfiles(profiles(c.Env)), cli.WithConsistency(false))
	if err != nil {
		return nil, fmt.Errorf("the Compose project of %s: %w", c.Dir, err)
	}
	// compose-go warns through logrus; a library prints nothing, and the task's own
	// `docker compose` says the same to the user.
	logMu.Lock()
	logger := logrus.StandardLogger()
	out := logger.Out
	logger.SetOutput(io.Discard)
	proj, err := opts.LoadProject(ctx)
	logger.SetOutput(out)
	logMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("the Compose project of %s: %w", c.Dir, err)
	}
	return proj, nil
}

// normalRef is ref in full form with its tag (docker.io/library/x:latest), to compare refs
// written either way; ref itself when it does not parse.
func normalRef(ref string) string {
	n, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ref
	}
	return reference.TagNameOnly(n).String()
}
