package compose

import (
	"context"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/consts"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/sirupsen/logrus"
)

// loader loads the Compose files of one project and describes what it finds.
type loader struct {
	opt      Options
	root     string   // the project root, absolute
	dir      string   // the Compose project directory: the first file's folder
	abs      []string // the Compose files, absolute
	names    []string // the same, relative to root, slash-separated: how messages name them
	keys     []keys   // where each file writes each key
	syntax   []*pos   // where each file's YAML syntax error is, if it has one
	warnings []string
}

func newLoader(opt Options) (*loader, error) {
	root, err := filepath.Abs(opt.Root)
	if err != nil {
		return nil, err
	}
	l := &loader{opt: opt, root: root}
	for _, f := range opt.Files {
		a := filepath.FromSlash(f)
		if !filepath.IsAbs(a) {
			a = filepath.Join(root, a)
		}
		l.abs = append(l.abs, a)
		l.names = append(l.names, rel(root, a))
		k, syntax := readKeys(a)
		l.keys, l.syntax = append(l.keys, k), append(l.syntax, syntax)
	}
	l.dir = filepath.Dir(l.abs[0])
	return l, nil
}

// load loads the files as `docker compose -f a -f b` does: later files override earlier ones,
// relative paths are resolved against the project directory (the first file's folder), where
// `.env` is read too, and profiles come from COMPOSE_PROFILES and Options.Profiles. On error
// it loads each file alone too, so the problems of every file are reported at once.
func (l *loader) load(ctx context.Context) (*types.Project, []Error) {
	proj, err := l.loadFiles(ctx, l.abs)
	if err == nil {
		return proj, nil
	}
	if len(l.abs) == 1 {
		return nil, l.describe(err, 0)
	}
	var errs []Error
	for i, f := range l.abs {
		if _, err := l.loadFiles(ctx, []string{f}, cli.WithConsistency(false)); err != nil {
			errs = append(errs, l.describe(err, i)...)
		}
	}
	if len(errs) == 0 { // each file loads alone: the problem is in how they combine
		errs = l.describe(err, -1)
	}
	return nil, errs
}

func (l *loader) loadFiles(ctx context.Context, files []string, extra ...cli.ProjectOptionsFn) (*types.Project, error) {
	env := make([]string, 0, len(l.opt.Env))
	for _, k := range slices.Sorted(maps.Keys(l.opt.Env)) {
		env = append(env, k+"="+l.opt.Env[k])
	}
	fns := append([]cli.ProjectOptionsFn{
		cli.WithName("imagemake"),
		cli.WithWorkingDirectory(l.dir),
		cli.WithEnv(env),
		cli.WithEnvFiles(), // the project directory's .env, as docker compose reads it
		cli.WithDotEnv,     // the environment wins over it
		withProfiles(l.opt.Profiles),
	}, extra...)
	opts, err := cli.NewProjectOptions(files, fns...)
	if err != nil {
		return nil, err
	}
	var proj *types.Project
	warnings := logged(func() { proj, err = opts.LoadProject(ctx) })
	for _, w := range warnings {
		l.warnings = append(l.warnings, l.relativise(w))
	}
	return proj, err
}

// withProfiles activates the profiles of COMPOSE_PROFILES (the environment's or .env's) and
// extra, as `docker compose --profile` would add to them.
func withProfiles(extra []string) cli.ProjectOptionsFn {
	return func(o *cli.ProjectOptions) error {
		var profiles []string
		for _, p := range strings.Split(o.Environment[consts.ComposeProfiles], ",") {
			if p = strings.TrimSpace(p); p != "" {
				profiles = append(profiles, p)
			}
		}
		return cli.WithProfiles(append(profiles, extra...))(o)
	}
}

var logMu sync.Mutex

// logged runs f and returns what compose-go logged as a warning meanwhile (an obsolete
// `version:`, ...): libraries print nothing, so these go to the caller with the others.
func logged(f func()) []string {
	logMu.Lock()
	defer logMu.Unlock()
	logger := logrus.StandardLogger()
	out, level := logger.Out, logger.GetLevel()
	rec := &recorder{}
	hooks := logger.ReplaceHooks(logrus.LevelHooks{})
	logger.AddHook(rec)
	logger.SetOutput(io.Discard)
	logger.SetLevel(logrus.WarnLevel)
	defer func() {
		logger.ReplaceHooks(hooks)
		logger.SetOutput(out)
		logger.SetLevel(level)
	}()
	f()
	return rec.msgs
}

type recorder struct{ msgs []string }

func (r *recorder) Levels() []logrus.Level {
	return []logrus.Level{logrus.WarnLevel, logrus.ErrorLevel}
}

func (r *recorder) Fire(e *logrus.Entry) error {
	r.msgs = append(r.msgs, "compose: "+e.Message)
	return nil
}

var _ logrus.Hook = (*recorder)(nil)

// selected is what `docker compose build` builds: the services of the active profiles that
// have a build: section, and the services their `service:` additional contexts name (enabled
// or not, as compose enables them for the build), sorted.
func selected(proj *types.Project) []string {
	set := map[string]bool{}
	var add func(name string)
	add = func(name string) {
		if set[name] {
			return
		}
		svc, ok := service(proj, name)
		if !ok || svc.Build == nil {
			return
		}
		set[name] = true
		for _, c := range svc.Build.AdditionalContexts {
			if target, ok := strings.CutPrefix(c, types.ServicePrefix); ok {
				add(target)
			}
		}
	}
	for name := range proj.Services {
		add(name)
	}
	return slices.Sorted(maps.Keys(set))
}

// service is the service of that name, enabled or not.
func service(proj *types.Project, name string) (types.ServiceConfig, bool) {
	if s, ok := proj.Services[name]; ok {
		return s, true
	}
	s, ok := proj.DisabledServices[name]
	return s, ok
}
