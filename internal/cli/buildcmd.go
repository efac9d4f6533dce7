package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/imagemake/imagemake/internal/plan"
	"github.com/imagemake/imagemake/internal/progress"
	imagerun "github.com/imagemake/imagemake/internal/run" // cli's tests have a helper named run
	"github.com/imagemake/imagemake/internal/schedule"
)

type buildOptions struct {
	jobs      int
	keepGoing bool
	dryRun    bool
	rebuild   bool
	noCache   bool
	push      bool
	noReuse   bool
	progress  string // --progress
	format    string // --format
	output    string // --output, deprecated
	mode      string // the progress.New mode the three ask for
	report    string
	bk        builderOptions
}

func newBuild(g *global) *cobra.Command {
	var o buildOptions
	cmd := &cobra.Command{
		Use:   "build [IMAGE|GROUP...]",
		Short: "Build what is stale, in dependency order, in parallel",
		Long: `build plans every named image (all images when none is named) and what it depends on, then
builds the stale ones on the Docker engine with BuildKit, dependencies first, -j at a time. An
image is up to date when the engine holds its ref labelled with its current inputs digest.`,
		Example: `  imagemake build
  imagemake build -n                # what would build, and why
  imagemake build -j 8 -k services  # keep going past failures
  imagemake build --format json | jq -c 'select(.event=="result")'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.resolveProgress(cmd.Flags(), g); err != nil {
				return err
			}
			return runBuild(cmd.Context(), g, o, args)
		},
	}
	f := cmd.Flags()
	f.IntVarP(&o.jobs, "jobs", "j", 4, "build at most `N` images at once")
	f.BoolVarP(&o.keepGoing, "keep-going", "k", false, "after a failure, go on with what does not depend on it")
	f.BoolVarP(&o.dryRun, "dry-run", "n", false, "print what would build and why; build nothing")
	f.BoolVarP(&o.rebuild, "always-make", "B", false, "rebuild every image, stale or not")
	f.BoolVar(&o.noCache, "no-cache", false, "do not use the engine's build cache")
	f.BoolVar(&o.push, "push", false, "push every ref of each image, and its inputs-digest tag, to the registry")
	f.BoolVar(&o.noReuse, "no-reuse", false, "do not look in the registry for images or cache built elsewhere")
	f.BoolVar(&g.noWait, "no-wait", false, "fail (exit 1) instead of waiting when another imagemake builds this project")
	addBuilderFlags(f, &o.bk)
	addPullFlag(f, g)
	f.StringVar(&o.report, "report", "", "write the run as a self-contained HTML page `FILE`.html (timeline, table, reasons) and FILE.json")
	addProgressFlags(f, &o)
	return cmd
}

func runBuild(ctx context.Context, g *global, o buildOptions, names []string) error {
	g.lockAs = "imagemake build"
	r, err := g.open(ctx, names, o.rebuild)
	if err != nil {
		return err
	}
	defer r.Close()
	if o.dryRun {
		dryRun(g.io.Out, r.Images, r.EngineErr)
		return nil
	}
	rep := g.reporter(r, o)
	results, err := r.Build(ctx, o.runOptions(), rep.event)
	return g.finish(ctx, r, rep, o, results, err)
}

// runOptions are the options of the run the flags ask for.
func (o buildOptions) runOptions() imagerun.Options {
	return imagerun.Options{Jobs: o.jobs, KeepGoing: o.keepGoing, Rebuild: o.rebuild, NoCache: o.noCache,
		Push: o.push, NoReuse: o.noReuse, RawProgress: o.mode == "rawjson",
		Builders: o.bk.addrs, TLS: o.bk.tls, Load: o.bk.load}
}

// reporter prints a run's events in the mode of the flags; it starts with the run's first
// event (its header, sent before any build starts), so that nothing is drawn for a run that
// fails before it builds.
type reporter struct {
	start func() *progress.Reporter
	rep   *progress.Reporter
}

func (g *global) reporter(r *imagerun.Run, o buildOptions) *reporter {
	return &reporter{start: func() *progress.Reporter {
		rep, _ := progress.New(o.mode, g.io.Out, planNames(r.Images), g.io.Env) // mode checked by resolveProgress
		return rep
	}}
}

func (p *reporter) event(e schedule.Event) {
	if p.rep == nil {
		p.rep = p.start()
	}
	p.rep.Event(e)
}

// finish ends a run that builds or pushes: the summary, the report and the exit code.
func (g *global) finish(ctx context.Context, r *imagerun.Run, p *reporter, o buildOptions, results []schedule.Result, err error) error {
	if err != nil {
		if p.rep != nil {
			p.rep.Close(nil)
		}
		return err
	}
	p.rep.Close(results)
	if err := writeReport(r, o.report, results); err != nil {
		return err
	}
	return buildExit(ctx, results)
}

func buildExit(ctx context.Context, results []schedule.Result) error {
	if ctx.Err() != nil {
		return silent(ExitInterrupted)
	}
	for _, r := range results {
		if r.Status == schedule.Failed || r.Status == schedule.Skipped || r.Status == schedule.Cancelled {
			return silent(ExitFailed)
		}
	}
	return nil
}

func planNames(images []*plan.Image) []string {
	var out []string
	for _, pi := range images {
		out = append(out, pi.Name)
	}
	return out
}

func dryRun(w io.Writer, images []*plan.Image, engineErr error) {
	if engineErr != nil {
		fmt.Fprintf(w, "engine unreachable (%s): listing every image with what changed since last seen\n", oneLine(engineErr))
	}
	n := 0
	for _, pi := range images {
		if pi.Status != plan.UpToDate {
			fmt.Fprintf(w, "would build %s: %s\n", pi.Name, pi.Reason)
			n++
		}
	}
	fmt.Fprintf(w, "%d of %d images would build\n", n, len(images))
}
