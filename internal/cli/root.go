// Package cli holds imagemake's commands: one file per command, each binding its flags to an
// options struct and writing to injected streams.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/project"
	imagerun "github.com/imagemake/imagemake/internal/run" // cli's tests have a helper named run
)

// Exit codes, as PRODUCT.md fixes them.
const (
	ExitOK          = 0
	ExitFailed      = 1
	ExitUsage       = 2
	ExitInterrupted = 130
)

// IO are the streams and environment a command runs with.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
	Env      map[string]string
	IsTTY    bool // stdout is a terminal
}

// Stdio returns the process's streams and environment.
func Stdio() IO {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	fi, err := os.Stdout.Stat()
	tty := err == nil && fi.Mode()&os.ModeCharDevice != 0
	return IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Env: env, IsTTY: tty}
}

// exitError carries an exit code up to Run.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(err error) error  { return &exitError{ExitUsage, err} }
func failedErr(err error) error { return &exitError{ExitFailed, err} }

// silent is an exit code whose message has already been printed.
type silent int

func (s silent) Error() string { return fmt.Sprintf("exit %d", int(s)) }

// global holds the flags every command has.
type global struct {
	file string
	dir  string
	io   IO
	// lockAs, when set, makes prepare take the project's lock for this command (build, push,
	// run); noWait fails instead of waiting for another process's lock.
	lockAs string
	noWait bool
	pull   pullFlag       // --pull (pullflag.go): overrides the config's pull:
	model  *project.Model // loaded once per run (run loads it, then build)
}

func (g *global) load(ctx context.Context) (*project.Model, error) {
	if g.model != nil {
		return g.model, nil
	}
	m, err := project.Load(ctx, project.Options{File: g.file, Dir: g.dir, Env: g.io.Env})
	if err != nil {
		return nil, usageErr(err)
	}
	for _, w := range m.Warnings {
		fmt.Fprintln(g.io.Err, "imagemake: warning: "+w)
	}
	g.model = m
	return m, nil
}

// Run runs imagemake with args and returns the exit code.
func Run(ctx context.Context, args []string, stdio IO) int {
	root := newRoot(stdio)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return exitCode(ctx, err, stdio.Err)
}

func exitCode(ctx context.Context, err error, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}
	var s silent
	if errors.As(err, &s) {
		return int(s)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "imagemake: interrupted")
		return ExitInterrupted
	}
	var cfg *config.Errors
	if errors.As(err, &cfg) {
		fmt.Fprintln(stderr, cfg.Error()) // each line already names file:line:col and field
	} else {
		fmt.Fprintln(stderr, "imagemake: "+err.Error())
	}
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	switch imagerun.KindOf(err) {
	case imagerun.BadInput:
		return ExitUsage
	case imagerun.Failed:
		return ExitFailed
	}
	return ExitUsage // cobra's own errors: unknown command or flag, wrong argument count
}

func newRoot(stdio IO) *cobra.Command {
	g := &global{io: stdio}
	root := &cobra.Command{
		Use:   "imagemake",
		Short: "Build every container image of a repository, in dependency order, only when its inputs changed",
		Long: `imagemake reads imagemake.yaml and builds every image of the repository in dependency
order, in parallel, rebuilding only images whose inputs (Dockerfile, build context, build args,
base images) changed by content. Every image carries the label imagemake.inputs=<digest>, so the
engine itself says what is up to date.`,
		Example: `  imagemake ls                 # images, refs, contexts and dependencies
  imagemake plan               # what is stale, and why
  imagemake build              # build what is stale
  imagemake build -j 8 api     # build api and what it depends on, 8 at a time
  imagemake -C examples/monorepo graph --format mermaid`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       readVersion().String(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	root.SetIn(stdio.In)
	root.PersistentFlags().StringVarP(&g.file, "file", "f", "", "config file (default: imagemake.yaml, found walking up from the working directory)")
	root.PersistentFlags().StringVarP(&g.dir, "directory", "C", "", "run as if started in `DIR`")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })
	root.AddCommand(newLs(g), newGraph(g), newPlan(g), newContext(g), newClean(g), newBuild(g), newPush(g), newRun(g), newInit(g))
	root.AddCommand(newExplain(g), newSchema(g), newVersion(g), newPull(g))
	root.AddCommand(newWatch(g))
	completeArgs(root, g)
	return root
}
