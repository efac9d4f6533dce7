package cli

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/project"
	"github.com/imagemake/imagemake/internal/watch"
)

func newRun(g *global) *cobra.Command {
	var o buildOptions
	cmd := &cobra.Command{
		Use:   "run TASK [-- ARGS...]",
		Short: "Build what a task needs, then run it",
		Long: `run builds every image the task needs (through its groups and the tasks it needs), pulling
instead the ones the registry holds with their current inputs (never building them), then runs
the tasks it needs, each once, in order, and the task itself: its run: command with sh -c in the
project root (or its dir:), with the environment plus its env:, DOCKER_REPO, DOCKER_TAG and
IMAGEMAKE_IMAGE_<NAME> = each image's ref. ARGS are appended to the task's command, quoted.
The exit code is the task's; Ctrl-C reaches the task's process group.`,
		Example: `  imagemake run smoke
  imagemake run test -- -k login`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.resolveProgress(cmd.Flags(), g); err != nil {
				return err
			}
			return runTask(cmd.Context(), g, o, args[0], args[1:])
		},
	}
	f := cmd.Flags()
	f.IntVarP(&o.jobs, "jobs", "j", 4, "build at most `N` images at once")
	f.BoolVarP(&o.keepGoing, "keep-going", "k", false, "after a failure, go on with what does not depend on it")
	addProgressFlags(f, &o)
	return cmd
}

func runTask(ctx context.Context, g *global, o buildOptions, name string, args []string) error {
	m, err := g.load(ctx)
	if err != nil {
		return err
	}
	if _, ok := m.Tasks[name]; !ok {
		return usageErr(fmt.Errorf("no task named %q (tasks: %s)", name, strings.Join(slices.Sorted(maps.Keys(m.Tasks)), ", ")))
	}
	tasks, images := taskPlan(m, name)
	if len(images) > 0 {
		if err := runBuild(ctx, g, o, images); err != nil {
			return err
		}
	}
	env := taskEnv(m)
	for i, t := range tasks {
		extra := []string(nil)
		if i == len(tasks)-1 {
			extra = args
		}
		if err := execTask(ctx, g, m, t, env, extra); err != nil {
			return err
		}
	}
	return nil
}

// taskPlan returns the tasks to run, needed ones first and each once, and the images and
// groups all of them need.
func taskPlan(m *project.Model, name string) ([]*config.Task, []string) {
	var tasks []*config.Task
	var images []string
	done := map[string]bool{}
	var visit func(string)
	visit = func(n string) {
		if done[n] {
			return
		}
		done[n] = true
		t := m.Tasks[n]
		for _, need := range t.Needs {
			if _, isTask := m.Tasks[need]; isTask {
				visit(need)
			} else if !slices.Contains(images, need) {
				images = append(images, need)
			}
		}
		tasks = append(tasks, t)
	}
	visit(name)
	return tasks, images
}

var notEnvChar = regexp.MustCompile(`[^A-Z0-9_]`)

// taskEnv is the environment tasks run with: the process's (with CI's DOCKER_TAG), then
// DOCKER_REPO, DOCKER_TAG and IMAGEMAKE_IMAGE_<NAME> for every image.
func taskEnv(m *project.Model) map[string]string {
	env := map[string]string{}
	for k, v := range m.Project.Env {
		env[k] = v
	}
	env["DOCKER_REPO"], env["DOCKER_TAG"] = m.Repo, m.Tag
	for _, img := range m.Images {
		env["IMAGEMAKE_IMAGE_"+notEnvChar.ReplaceAllString(strings.ToUpper(img.Name), "_")] = img.Ref
	}
	return env
}

// withTaskEnv is base with t's env: over it: the environment t runs with.
func withTaskEnv(base map[string]string, t *config.Task) map[string]string {
	env := maps.Clone(base)
	maps.Copy(env, t.Env)
	return env
}

// envList is env as a command takes it, sorted.
func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

func execTask(ctx context.Context, g *global, m *project.Model, t *config.Task, base map[string]string, args []string) error {
	script := t.Run
	for _, a := range args {
		script += " " + shellQuote(a)
	}
	fmt.Fprintf(g.io.Err, "imagemake: task %s: %s\n", t.Name, script)
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = filepath.Join(m.Root, filepath.FromSlash(t.Dir))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = g.io.In, g.io.Out, g.io.Err
	watch.OwnGroup(cmd)
	cmd.Env = envList(withTaskEnv(base, t))
	if err := cmd.Start(); err != nil {
		return failedErr(fmt.Errorf("task %s: %w", t.Name, err))
	}
	stop := context.AfterFunc(ctx, func() { interrupt(cmd.Process.Pid) })
	defer stop()
	return taskExit(ctx, t, cmd.Wait())
}

// taskExit turns the task's end into imagemake's exit code: the task's own.
func taskExit(ctx context.Context, t *config.Task, err error) error {
	var exit *exec.ExitError
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return silent(ExitInterrupted)
	case errors.As(err, &exit):
		code := watch.ExitCode(err)
		return &exitError{code, fmt.Errorf("task %s failed with exit code %d", t.Name, code)}
	default:
		return failedErr(fmt.Errorf("task %s: %w", t.Name, err))
	}
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
