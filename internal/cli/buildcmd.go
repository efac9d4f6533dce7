package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/engine/docker"
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
	f.StringVar(&o.report, "report", "", "write the run as a self-contained HTML page `FILE`.html (timeline, table, reasons) and FILE.json")
	addProgressFlags(f, &o)
	return cmd
}

func runBuild(ctx context.Context, g *global, o buildOptions, names []string) error {
	g.lockAs = "imagemake build"
	s, err := g.prepare(ctx, names, o.rebuild)
	if err != nil {
		return err
	}
	defer s.Close()
	if o.dryRun {
		dryRun(g.io.Out, s.images, s.engineErr)
		return nil
	}
	if err := s.backend(ctx, o, g.io.Env); err != nil {
		return err
	}
	if err := s.recordSeen(); err != nil {
		return err
	}
	s.openRegistry(ctx, o.noReuse)
	if err := s.checkPush(o); err != nil {
		return err
	}
	if err := s.findInRegistry(ctx, s.registryCandidates(o)); err != nil {
		return err
	}
	return s.schedule(ctx, g, o)
}

// checkPush refuses --push without a registry, or when a ref would go to Docker Hub by default.
func (s *session) checkPush(o buildOptions) error {
	if !o.push {
		return nil
	}
	if s.reg == nil {
		return usageErr(fmt.Errorf("--push needs a registry in repo: or cache.repo: (such as registry.example.com/team), and no --no-reuse"))
	}
	for _, pi := range s.images {
		for _, ref := range pi.Config.Refs() {
			if !plan.NamesRegistry(ref) {
				return usageErr(s.model.ImageError(pi.Config, "", fmt.Sprintf(
					"--push would send %s to Docker Hub; name the registry in the ref (docker.io/%s) to mean it", ref, ref)))
			}
		}
	}
	return nil
}

// registryCandidates are the images whose inputs tag is looked up: the stale ones (to reuse
// them), and with --push every one (to retag instead of pushing).
func (s *session) registryCandidates(o buildOptions) []*plan.Image {
	var out []*plan.Image
	for _, pi := range s.images {
		if o.push || (pi.Status != plan.UpToDate && (pi.SameAs == "" || o.rebuild)) {
			out = append(out, pi)
		}
	}
	return out
}

// schedule runs the plan's jobs with progress output and turns the results into an exit code.
func (s *session) schedule(ctx context.Context, g *global, o buildOptions) error {
	s.restoreGC()
	rep, _ := progress.New(o.mode, g.io.Out, planNames(s.images), g.io.Env)
	rep.Event(schedule.Event{Kind: schedule.Message, Line: runHeader(s, o.push)})
	report := s.watch(rep.Event, o.keepGoing)
	s.bk.listen(report)
	results := schedule.Schedule(ctx, s.jobs(o, report), schedule.Options{Jobs: s.bk.jobs(o.jobs), KeepGoing: o.keepGoing}, report)
	rep.Close(results)
	if err := s.writeReport(o.report, results); err != nil {
		return err
	}
	return buildExit(ctx, results)
}

func runHeader(s *session, push bool) string {
	stale := 0
	for _, pi := range s.images {
		if pi.Status != plan.UpToDate {
			stale++
		}
	}
	header := fmt.Sprintf("imagemake: %d of %d images to build on %s", stale, len(s.images), s.where())
	if push {
		header += "; pushing to the registry"
	}
	return header
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

// jobs turns the plan into scheduler jobs whose work reports its log lines to report.
func (s *session) jobs(o buildOptions, report func(schedule.Event)) []*schedule.Job {
	var jobs []*schedule.Job
	for _, pi := range s.images {
		j := &schedule.Job{Name: pi.Name, Deps: s.model.Graph.DepNames(pi.Name),
			Height: s.model.Graph.Height(pi.Name), Status: schedule.UpToDate, Reason: pi.Reason}
		if w := s.assign(j, pi, o); w != nil {
			logs := func(line string) { report(schedule.Event{Kind: schedule.Log, Image: pi.Name, Line: line}) }
			j.Work = func(ctx context.Context) (schedule.Status, error) { return w(ctx, logs) }
		}
		jobs = append(jobs, j)
	}
	return jobs
}

// workFunc is a job's Work that logs through logs.
type workFunc func(ctx context.Context, logs func(string)) (schedule.Status, error)

// assign returns a job's work, nil when there is none, as imagerun.Decide decides: tag what the
// engine holds, reuse what the registry holds, build, or (with --push) publish an image that is
// up to date.
func (s *session) assign(j *schedule.Job, pi *plan.Image, o buildOptions) workFunc {
	d := imagerun.Decide(imagerun.Facts{UpToDate: pi.Status == plan.UpToDate, SameAs: pi.SameAs,
		InRegistry: s.inRegistry[pi.Name], Push: o.push, Rebuild: o.rebuild})
	switch d.Action {
	case imagerun.Publish:
		j.Action = "pushing"
		return s.publishWork(pi)
	case imagerun.Tag:
		j.Action = "tagging"
		return s.tagWork(pi, d.Push)
	case imagerun.Reuse:
		j.Action, j.Reason = "reusing", "inputs found in registry as "+d.From
		return s.reuseWork(pi, d.From, d.Push)
	case imagerun.Build:
		return s.buildWork(pi, o)
	}
	return nil
}

func (s *session) publishWork(pi *plan.Image) workFunc {
	return func(ctx context.Context, logs func(string)) (schedule.Status, error) {
		return schedule.UpToDate, s.publish(ctx, pi, logs)
	}
}

func (s *session) tagWork(pi *plan.Image, push bool) workFunc {
	return func(ctx context.Context, logs func(string)) (schedule.Status, error) {
		for _, ref := range pi.Config.Refs() {
			if err := s.engine.Tag(ctx, pi.SameAs, ref); err != nil {
				return "", err
			}
		}
		if err := s.state.Record(pi.Manifest, true); err != nil {
			return "", err
		}
		if push {
			return schedule.Reused, s.publish(ctx, pi, logs)
		}
		return schedule.Reused, nil
	}
}

func (s *session) reuseWork(pi *plan.Image, from string, push bool) workFunc {
	return func(ctx context.Context, logs func(string)) (schedule.Status, error) {
		if err := s.reuse(ctx, pi, from, push, logs); err != nil {
			return "", err
		}
		return schedule.Reused, s.state.Record(pi.Manifest, true)
	}
}

// request is the build of pi as every builder takes it.
func (s *session) request(pi *plan.Image, o buildOptions) (schedule.Request, error) {
	img := pi.Config
	labels := maps.Clone(img.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[docker.InputsLabel] = pi.Manifest.Digest // the label the engine is asked about
	contexts, err := s.namedContexts(pi)
	if err != nil {
		return schedule.Request{}, err
	}
	ssh, err := s.sshAgents(img)
	if err != nil {
		return schedule.Request{}, err
	}
	return schedule.Request{
		Image:       img.Name,
		Deps:        s.model.Graph.DepNames(pi.Name),
		Context:     pi.Context.Entries(),
		Dockerfile:  img.Dockerfile,
		Contexts:    contexts,
		Args:        s.model.BuildArgs(img),
		Target:      img.Target,
		Platform:    img.Platform,
		Network:     img.Network,
		Labels:      labels,
		Refs:        img.Refs(),
		NoCache:     o.noCache,
		RawProgress: o.mode == "rawjson",
		Secrets:     s.secrets(img),
		SSH:         ssh,
		InlineCache: s.model.Cache.Inline,
		SharedKey:   s.model.Project.Root + ":" + pi.Name,
	}, nil
}

// secrets are img's secrets with their files' absolute paths.
func (s *session) secrets(img *config.Image) []schedule.Secret {
	var out []schedule.Secret
	for _, sec := range img.Secrets {
		src := sec.Src
		if src != "" && !filepath.IsAbs(src) {
			src = filepath.Join(s.model.Project.Root, src)
		}
		out = append(out, schedule.Secret{ID: sec.ID, Src: src, Env: sec.Env})
	}
	return out
}

// sshAgents are img's ssh: entries as BuildKit forwards them; "default" without paths is the
// agent of $SSH_AUTH_SOCK, as `docker build --ssh default` takes it.
func (s *session) sshAgents(img *config.Image) ([]schedule.SSH, error) {
	var out []schedule.SSH
	for i, spec := range img.SSH {
		id, paths, ok := strings.Cut(spec, "=")
		a := schedule.SSH{ID: id}
		if ok {
			a.Paths = strings.Split(paths, ",")
		} else if sock := s.model.Project.Env["SSH_AUTH_SOCK"]; sock != "" {
			a.Paths = []string{sock}
		} else {
			return nil, usageErr(s.model.ImageError(img, fmt.Sprintf("ssh[%d]", i),
				fmt.Sprintf("%s forwards the SSH agent of $SSH_AUTH_SOCK, which is not set (start ssh-agent, or give ID=PATH)", spec)))
		}
		out = append(out, a)
	}
	return out, nil
}
