package cli

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/plan"
	"github.com/imagemake/imagemake/internal/project"
	imagerun "github.com/imagemake/imagemake/internal/run" // cli's tests have a helper named run
	"github.com/imagemake/imagemake/internal/schedule"
	"github.com/imagemake/imagemake/internal/watch"
)

// watchOptions are watch's flags: the build flags it takes, and how it watches.
type watchOptions struct {
	buildOptions
	debounce time.Duration
	poll     time.Duration
	grace    time.Duration
}

func newWatch(g *global) *cobra.Command {
	var o watchOptions
	cmd := &cobra.Command{
		Use:   "watch [IMAGE|GROUP|TASK...]",
		Short: "Build what is stale, then rebuild what each change touches and restart a task",
		Long: `watch builds what is stale, as build does, then watches the build contexts. When files change it
waits until they settle, then rebuilds the images whose inputs changed and the images built on
them, in dependency order, with build's reasons and output. A change during a round is kept for
the next one. Excluded files and files of no context start nothing; a change to imagemake.yaml, a
Compose or bake file or a Dockerfile loads the project again (a broken one is reported and the
last good one kept). With a TASK, watch builds what it needs, runs the tasks it needs once, starts
it, and restarts it after every round that changed one of its images: its process group gets
SIGINT (SIGKILL after --grace), or with restart: compose, docker compose up -d --no-deps runs for
the services of the changed images. Ctrl-C stops the task and the builds and exits 130.`,
		Example: `  imagemake watch                 # every image
  imagemake watch api worker      # these and what they build on
  imagemake watch dev             # the task dev: build its needs, run it, restart it`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.resolveProgress(cmd.Flags(), g); err != nil {
				return err
			}
			return runWatch(cmd.Context(), g, o, args)
		},
	}
	f := cmd.Flags()
	f.IntVarP(&o.jobs, "jobs", "j", 4, "build at most `N` images at once")
	f.BoolVarP(&o.keepGoing, "keep-going", "k", false, "after a failure, go on with what does not depend on it")
	f.BoolVar(&o.noReuse, "no-reuse", false, "do not look in the registry for images or cache built elsewhere")
	f.DurationVar(&o.debounce, "debounce", 20*time.Millisecond, "start a round once the files were quiet this `long` after a change")
	f.DurationVar(&o.poll, "poll", 0, "list the watched folders every `INTERVAL` instead of being told of changes by the system (inotify)")
	f.DurationVar(&o.grace, "grace", 5*time.Second, "how `long` a stopped task has after SIGINT before SIGKILL")
	addProgressFlags(f, &o.buildOptions)
	return cmd
}

// watcher is the state of `imagemake watch` from one round to the next.
type watcher struct {
	g       *global
	o       watchOptions
	m       *project.Model // the last good project
	scanner *inputs.Scanner
	state   *inputs.State     // the manifests, the last of each image kept in memory
	conns   *imagerun.Session // the engine's and the builders' connections, kept across rounds
	names   []string          // images and groups to build: the arguments and the task's needs
	task    string            // the task to run and restart; "" for none
	proc    *watch.Task
	started bool // the task ran (its needed tasks too)

	mu     sync.Mutex // the lines of watch itself, which the task's end may write
	warned map[string]bool
}

func runWatch(ctx context.Context, g *global, o watchOptions, args []string) error {
	m, err := g.load(ctx)
	if err != nil {
		return err
	}
	w := &watcher{g: g, o: o, m: m, warned: map[string]bool{}}
	if err := w.target(args); err != nil {
		return err
	}
	if w.scanner, err = inputs.NewScanner(m.Project, inputs.WithDockerfiles(m.Dockerfiles)); err != nil {
		return failedErr(err)
	}
	w.state = inputs.OpenState(m.Root).Keep()
	w.conns = imagerun.NewSession()
	defer w.conns.Close()
	n := w.notifier()
	defer n.Close()
	err = watch.Run(ctx, n, watch.Options{Debounce: o.debounce}, w.round)
	w.stopTask()
	return err
}

// target sorts the arguments into images and groups, and at most one task.
func (w *watcher) target(args []string) error {
	for _, a := range args {
		if _, ok := w.m.Tasks[a]; !ok {
			w.names = append(w.names, a)
			continue
		}
		if w.task != "" {
			return usageErr(fmt.Errorf("watch runs one task; got %s and %s", w.task, a))
		}
		w.task = a
		_, images := taskPlan(w.m, a)
		w.names = append(w.names, images...)
	}
	if _, err := w.m.Expand(w.names); err != nil {
		return usageErr(err)
	}
	return nil
}

func (w *watcher) notifier() watch.Notifier {
	if w.o.poll > 0 {
		return watch.NewPoller(w.o.poll)
	}
	return watch.Events(time.Second, func(line string) { w.say("%s", line) })
}

// say writes a line of watch's own to stderr.
func (w *watcher) say(format string, a ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fmt.Fprintf(w.g.io.Err, "imagemake: "+format+"\n", a...)
}

// warn writes a warning once per watch, not once per round.
func (w *watcher) warn(line string) {
	w.mu.Lock()
	seen := w.warned[line]
	w.warned[line] = true
	w.mu.Unlock()
	if !seen {
		w.say("warning: %s", line)
	}
}

// round is one round of the loop: take the changes (none: the first round), build what they
// made stale, restart the task. What goes wrong is reported and the loop goes on; only an
// interrupt ends it.
func (w *watcher) round(ctx context.Context, changed []string) ([]string, error) {
	if changed != nil && !w.take(ctx, changed) {
		return w.folders(), nil
	}
	results, ok := w.build(ctx, changed)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	dirs := w.folders()
	if results != nil {
		if ok {
			w.afterBuild(ctx, results)
		}
		w.say("watching %d folders for changes (Ctrl-C to stop)", len(dirs))
	}
	return dirs, nil
}

// take readies the scanner for the changed paths and loads the project again when one of its
// files changed; it tells whether an image can have changed.
func (w *watcher) take(ctx context.Context, changed []string) bool {
	reload, matters := false, false
	files := w.projectFiles()
	for _, p := range changed {
		switch {
		case slices.Contains(files, p):
			reload = true
		case !matters && (isIgnoreFile(p) || w.scanner.Matters(p)): // one that matters is enough
			matters = true
		}
	}
	if !reload && !matters {
		return false
	}
	w.scanner.Forget(changed)
	if reload {
		return w.reload(ctx, changed)
	}
	return true
}

// reload loads the project again; on error it says why and keeps the last good one.
func (w *watcher) reload(ctx context.Context, changed []string) bool {
	m, err := project.Load(ctx, project.Options{File: w.m.Project.File, Env: w.g.io.Env})
	if err == nil {
		if _, err = m.Expand(w.names); err == nil && w.task != "" && m.Tasks[w.task] == nil {
			err = fmt.Errorf("no task named %q any more", w.task)
		}
	}
	if err != nil {
		var cfg *config.Errors
		if errors.As(err, &cfg) {
			w.say("the project does not load; the last good one is kept until it does:\n%s", cfg.Error())
		} else {
			w.say("the project does not load; the last good one is kept until it does: %v", err)
		}
		return false
	}
	for _, line := range m.Warnings {
		w.warn(line)
	}
	w.m = m
	w.scanner.Renew(m.Project, m.Dockerfiles)
	w.say("project loaded again (%s changed)", w.listed(changed))
	return true
}

// build opens a run with the kept scanner and state and builds what is stale. After the first
// round a run with nothing stale is silent and returns no results. ok tells that every image
// is up to date now. The stat cache is saved once the builds are done, not before they start.
func (w *watcher) build(ctx context.Context, changed []string) (results []schedule.Result, ok bool) {
	r, err := imagerun.Open(ctx, w.m, imagerun.OpenOptions{Names: w.names, LockAs: "imagemake watch",
		Scanner: w.scanner, State: w.state, NoSave: true, Warn: w.warn, Session: w.conns,
		Waiting: func(holder string) { w.say("waiting for another imagemake on this project (%s)", holder) }})
	if err != nil {
		w.failed(err)
		return nil, false
	}
	defer w.close(r)
	if changed != nil && !anyStale(r.Images) {
		return nil, false
	}
	if changed != nil {
		w.say("%s changed", w.listed(changed))
	}
	rep := w.g.reporter(r, w.o.buildOptions)
	results, err = r.Build(ctx, w.o.runOptions(), rep.event)
	if rep.rep != nil {
		rep.rep.Close(results)
	}
	if err != nil {
		w.failed(err)
		return nil, false
	}
	return results, buildExit(ctx, results) == nil
}

// close saves the stat cache and ends the run; the next round writes the cache only if it
// learns a hash (Settle).
func (w *watcher) close(r *imagerun.Run) {
	err := w.scanner.Save()
	r.Close()
	if err == nil {
		err = w.scanner.Settle()
	}
	if err != nil {
		w.say("%v", err)
	}
}

// failed reports an error of a round; the loop goes on.
func (w *watcher) failed(err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	var cfg *config.Errors
	if errors.As(err, &cfg) {
		w.say("%s", cfg.Error())
		return
	}
	w.say("%v", err)
}

func anyStale(images []*plan.Image) bool {
	return slices.ContainsFunc(images, func(pi *plan.Image) bool { return pi.Status != plan.UpToDate })
}

// listed names the changed paths for a message: the first few, from the project root.
func (w *watcher) listed(changed []string) string {
	const most = 3
	var names []string
	for _, p := range changed[:min(len(changed), most)] {
		names = append(names, config.FromRoot(w.m.Root, p))
	}
	out := strings.Join(names, ", ")
	if len(changed) > most {
		out += fmt.Sprintf(" and %d more", len(changed)-most)
	}
	return out
}

// projectFiles are the files whose change loads the project again (absolute): the config, its
// Compose and bake files, and every image's Dockerfile.
func (w *watcher) projectFiles() []string {
	p := w.m.Project
	out := []string{p.File}
	for _, f := range append(slices.Clone(p.Compose), p.Bake...) {
		out = append(out, w.abs(f))
	}
	for _, img := range p.Images {
		df := img.Dockerfile
		if df == "" {
			df = "Dockerfile"
		}
		out = append(out, filepath.Join(w.abs(img.Context), filepath.FromSlash(df)))
	}
	return out
}

func (w *watcher) abs(rel string) string {
	if filepath.IsAbs(rel) {
		return filepath.Clean(rel)
	}
	return filepath.Join(w.m.Root, filepath.FromSlash(rel))
}

func isIgnoreFile(p string) bool { return strings.HasSuffix(filepath.Base(p), ".dockerignore") }

// folders are the folders to watch: those the last run listed, those holding the paths its
// walks start from, and those of the project's files.
func (w *watcher) folders() []string {
	set := map[string]bool{}
	for _, d := range w.scanner.Folders() {
		set[d] = true
	}
	for _, src := range w.scanner.Sources() {
		set[filepath.Dir(src)] = true
	}
	for _, f := range w.projectFiles() {
		set[filepath.Dir(f)] = true
	}
	out := make([]string, 0, len(set))
	for d := range set {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

// afterBuild runs the task after the first good round, and restarts it after a later one
// that built or reused one of its images.
func (w *watcher) afterBuild(ctx context.Context, results []schedule.Result) {
	if w.task == "" {
		return
	}
	t := w.m.Tasks[w.task]
	if !w.started {
		w.started = w.startTask(ctx, t)
		return
	}
	changed := w.changedImages(results)
	if len(changed) == 0 {
		return
	}
	if t.Restart == "compose" {
		w.composeUp(ctx, t, changed)
		return
	}
	w.say("task %s: restarting", t.Name)
	if err := w.proc.Restart(); err != nil {
		w.say("%v", err)
	}
}

// startTask runs the tasks t needs, once, then starts t: with restart: compose it runs to its
// end (it starts the stack), otherwise it keeps running, to be restarted.
func (w *watcher) startTask(ctx context.Context, t *config.Task) bool {
	tasks, _ := taskPlan(w.m, t.Name)
	env := taskEnv(w.m)
	for _, need := range tasks[:len(tasks)-1] {
		if err := execTask(ctx, w.g, w.m, need, env, nil); err != nil {
			w.say("%v; the task starts after the next good round", err)
			return false
		}
	}
	if t.Restart == "compose" {
		if err := execTask(ctx, w.g, w.m, t, env, nil); err != nil {
			w.say("%v; the task starts after the next good round", err)
			return false
		}
		return true
	}
	w.proc = &watch.Task{Name: t.Name, Grace: w.o.grace, Cmd: w.taskCmd,
		Exited: func(err error) {
			w.say("task %s ended (exit code %d); it starts again after the next change that rebuilds one of its images",
				w.task, watch.ExitCode(err))
		}}
	if err := w.proc.Start(); err != nil {
		w.say("%v", err)
		return false
	}
	return true
}

// taskCmd is the command of the task, as run runs it, with the project as last loaded; it reads
// no input: the terminal's Ctrl-C is watch's.
func (w *watcher) taskCmd() *exec.Cmd {
	t := w.m.Tasks[w.task]
	w.say("task %s: %s", t.Name, t.Run)
	cmd := exec.Command("sh", "-c", t.Run)
	cmd.Dir = filepath.Join(w.m.Root, filepath.FromSlash(t.Dir))
	cmd.Stdout, cmd.Stderr = w.g.io.Out, w.g.io.Err
	cmd.Env = envList(withTaskEnv(taskEnv(w.m), t))
	return cmd
}

func (w *watcher) stopTask() {
	if w.proc != nil {
		w.proc.Stop()
	}
}

// changedImages are the images of the task's needs that the round built or reused.
func (w *watcher) changedImages(results []schedule.Result) []watch.Image {
	_, needs := taskPlan(w.m, w.task)
	names, _ := w.m.Expand(needs)
	mine := w.m.Graph.Closure(names)
	var out []watch.Image
	for _, r := range results {
		if (r.Status == schedule.Built || r.Status == schedule.Reused) && slices.Contains(mine, r.Name) {
			out = append(out, watch.Image{Name: r.Name, Refs: w.m.Image(r.Name).Refs()})
		}
	}
	return out
}

// composeUp recreates the Compose services that run the changed images.
func (w *watcher) composeUp(ctx context.Context, t *config.Task, changed []watch.Image) {
	c := watch.Compose{Dir: filepath.Join(w.m.Root, filepath.FromSlash(t.Dir)), Env: withTaskEnv(taskEnv(w.m), t)}
	services, err := c.Services(ctx, changed)
	if err != nil {
		w.say("task %s: %v", t.Name, err)
		return
	}
	if len(services) == 0 {
		w.say("task %s: no Compose service runs %s", t.Name, imageNames(changed))
		return
	}
	cmd := c.Up(services)
	w.say("task %s: %s", t.Name, strings.Join(cmd.Args, " "))
	cmd.Stdout, cmd.Stderr = w.g.io.Out, w.g.io.Err
	if err := cmd.Run(); err != nil {
		w.say("task %s: docker compose up: %v", t.Name, err)
	}
}

func imageNames(images []watch.Image) string {
	var out []string
	for _, img := range images {
		out = append(out, img.Name)
	}
	return strings.Join(out, ", ")
}
