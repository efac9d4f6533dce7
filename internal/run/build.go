package run

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"path/filepath"
	"strings"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/engine/docker"
	"github.com/imagemake/imagemake/internal/gitinfo"
	"github.com/imagemake/imagemake/internal/plan"
	"github.com/imagemake/imagemake/internal/schedule"
)

// checkPush refuses --push without a registry, or when a ref would go to Docker Hub by default.
func (s *Run) checkPush(o Options) error {
	if !o.Push {
		return nil
	}
	if s.reg == nil {
		return badInput(fmt.Errorf("--push needs a registry in repo: or cache.repo: (such as registry.example.com/team), and no --no-reuse"))
	}
	for _, pi := range s.Images {
		for _, ref := range pi.Config.Refs() {
			if !plan.NamesRegistry(ref) {
				return badInput(s.Model.ImageError(pi.Config, "", fmt.Sprintf(
					"--push would send %s to Docker Hub; name the registry in the ref (docker.io/%s) to mean it", ref, ref)))
			}
		}
	}
	return nil
}

// registryCandidates are the images whose inputs tag is looked up: the stale ones (to reuse
// them), and with --push every one (to retag instead of pushing).
func (s *Run) registryCandidates(o Options) []*plan.Image {
	var out []*plan.Image
	for _, pi := range s.Images {
		if o.Push || (pi.Status != plan.UpToDate && (pi.SameAs == "" || o.Rebuild)) {
			out = append(out, pi)
		}
	}
	return out
}

// Build builds what is stale among the planned images (and with o.Push pushes every image):
// it picks the builders, records what the engine holds, looks in the registry, then schedules
// the jobs, reporting every event of the run to report, the run's header first. It returns
// every image's result; an error means nothing was built (bad input, no builder, no registry).
func (s *Run) Build(ctx context.Context, o Options, report func(schedule.Event)) ([]schedule.Result, error) {
	if needsBuilder(s.Images, o) {
		if err := s.backend(ctx, o); err != nil {
			return nil, err
		}
	}
	if err := s.RecordSeen(); err != nil {
		return nil, err
	}
	s.OpenRegistry(ctx, o.NoReuse)
	if err := s.checkPush(o); err != nil {
		return nil, err
	}
	if err := s.lookInRegistry(ctx, s.registryCandidates(o)); err != nil {
		return nil, err
	}
	s.travelReasons(ctx, o) // reasons.go: what changed since the nearest commit's pushed image
	return s.schedule(ctx, o, report), nil
}

// needsBuilder tells whether a build run may build: unless every image is up to date in the
// engine and nothing is pushed or rebuilt, a builder is picked (and dialled). A no-op run asks
// no builder anything, as it asks the registry nothing.
func needsBuilder(images []*plan.Image, o Options) bool {
	if o.Push || o.Rebuild {
		return true
	}
	for _, pi := range images {
		if pi.Status != plan.UpToDate {
			return true
		}
	}
	return false
}

// Push pushes every planned image, each of which must be up to date in the engine or in the
// registry: one the registry holds under its inputs tag (or its ref) is tagged there, with no
// layer sent and nothing pulled.
func (s *Run) Push(ctx context.Context, o Options, report func(schedule.Event)) ([]schedule.Result, error) {
	o.Push = true
	if s.EngineErr != nil {
		return nil, failed(fmt.Errorf("cannot push: %w", s.EngineErr))
	}
	s.OpenRegistry(ctx, false)
	if s.reg != nil {
		if err := s.lookInRegistry(ctx, s.Images); err != nil {
			return nil, err
		}
	}
	if stale := notUpToDate(s.Images); len(stale) > 0 {
		return nil, failed(fmt.Errorf("not up to date, build first: %s", strings.Join(stale, "; ")))
	}
	if err := s.checkPush(o); err != nil {
		return nil, err
	}
	return s.schedule(ctx, o, report), nil
}

// notUpToDate names, with their reasons, the images neither the engine nor the registry
// holds up to date.
func notUpToDate(images []*plan.Image) []string {
	var out []string
	for _, pi := range images {
		if pi.Status != plan.UpToDate && pi.Status != plan.InRegistry {
			out = append(out, pi.Name+" ("+pi.Reason+")")
		}
	}
	return out
}

// schedule runs the plan's jobs, the garbage collector back on, reporting to report.
func (s *Run) schedule(ctx context.Context, o Options, report func(schedule.Event)) []schedule.Result {
	s.restoreGC()
	report(schedule.Event{Kind: schedule.Message, Line: runHeader(s, o)})
	report = s.watch(report, o.KeepGoing)
	s.bk.listen(report)
	return schedule.Schedule(ctx, s.jobs(o, report), schedule.Options{Jobs: s.bk.jobs(o.Jobs), KeepGoing: o.KeepGoing}, report)
}

func runHeader(s *Run, o Options) string {
	stale, held := 0, 0
	for _, pi := range s.Images {
		switch pi.Status {
		case plan.UpToDate:
		case plan.InRegistry:
			held++
		default:
			stale++
		}
	}
	if o.fetch {
		return fmt.Sprintf("imagemake: %d of %d images to pull into %s", held, len(s.Images), s.engine.Endpoint())
	}
	header := fmt.Sprintf("imagemake: %d of %d images to build on %s", stale, len(s.Images), s.where())
	if held > 0 {
		header += fmt.Sprintf(", %d in the registry", held)
	}
	if o.Push {
		header += "; pushing to the registry"
	}
	return header
}

// jobs turns the plan into scheduler jobs whose work reports its log lines to report.
func (s *Run) jobs(o Options, report func(schedule.Event)) []*schedule.Job {
	o.aside = s.setAside(o)
	var jobs []*schedule.Job
	for _, pi := range s.Images {
		j := &schedule.Job{Name: pi.Name, Deps: s.Model.Graph.DepNames(pi.Name),
			Height: s.Model.Graph.Height(pi.Name), Status: schedule.UpToDate, Reason: pi.Reason}
		if o.fetch { // pulls wait for nothing; Pull schedules the requested images only
			j.Deps = nil
		}
		if w := s.storingInputs(s.assign(j, pi, o), pi, o); w != nil { // reasons.go: with --push, the inputs stored too
			logs := func(line string) { report(schedule.Event{Kind: schedule.Log, Image: pi.Name, Line: line}) }
			j.Work = func(ctx context.Context) (schedule.Status, error) { return w(ctx, logs) }
		}
		jobs = append(jobs, j)
	}
	return jobs
}

// workFunc is a job's Work that logs through logs.
type workFunc func(ctx context.Context, logs func(string)) (schedule.Status, error)

// assign returns a job's work, nil when there is none, as Decide decides: tag what the
// engine holds, reuse what the registry holds, build, or (with --push) publish an image that is
// up to date.
func (s *Run) assign(j *schedule.Job, pi *plan.Image, o Options) workFunc {
	d := s.decide(pi, o)
	switch d.Action {
	case Publish:
		j.Action = "pushing"
		return s.publishWork(pi)
	case Tag:
		j.Action = "tagging"
		return s.tagWork(pi, d.Push)
	case Reuse:
		j.Action, j.Reason = "reusing", "inputs found in registry as "+d.From
		var build workFunc // when the registry's image is not reusable after all
		if !o.fetch {
			build = s.buildWork(pi, o)
		}
		return s.reuseWork(pi, d.From, d.Push, build)
	case Build:
		return s.buildWork(pi, o)
	}
	return nil
}

func (s *Run) publishWork(pi *plan.Image) workFunc {
	return func(ctx context.Context, logs func(string)) (schedule.Status, error) {
		return schedule.UpToDate, s.publish(ctx, pi, logs)
	}
}

func (s *Run) tagWork(pi *plan.Image, push bool) workFunc {
	return func(ctx context.Context, logs func(string)) (schedule.Status, error) {
		for _, ref := range pi.Config.Refs() {
			if err := s.engine.Tag(ctx, pi.SameAs, ref); err != nil {
				return "", err
			}
		}
		if err := s.State.Record(pi.Manifest, true); err != nil {
			return "", err
		}
		if push {
			return schedule.Reused, s.publish(ctx, pi, logs)
		}
		return schedule.Reused, nil
	}
}

// reuseWork reuses what the registry holds; build, when not nil, builds the image instead if
// the registry's image turns out not to be reusable (its tag replaced or deleted since).
func (s *Run) reuseWork(pi *plan.Image, from string, push bool, build workFunc) workFunc {
	return func(ctx context.Context, logs func(string)) (schedule.Status, error) {
		if err := s.reuse(ctx, pi, from, push, logs); err != nil {
			return orBuild(ctx, build, logs, err)
		}
		return schedule.Reused, s.State.Record(pi.Manifest, true)
	}
}

// Request is the build of pi as every builder takes it.
func (s *Run) Request(pi *plan.Image, o Options) (schedule.Request, error) {
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
		Deps:        s.Model.Graph.DepNames(pi.Name),
		Context:     pi.Context.Entries(),
		Dockerfile:  img.Dockerfile,
		Contexts:    contexts,
		Args:        s.Model.BuildArgs(img),
		Target:      img.Target,
		Platform:    img.Platform,
		Platforms:   img.Platforms,
		Network:     img.Network,
		Labels:      labels,
		Refs:        img.Refs(),
		NoCache:     o.NoCache,
		RawProgress: o.RawProgress,
		Secrets:     s.secrets(img),
		SSH:         ssh,
		InlineCache: s.Model.Cache.Inline,
		SharedKey:   s.contextKey() + ":" + pi.Name,
	}, nil
}

// secrets are img's secrets with their files' absolute paths.
func (s *Run) secrets(img *config.Image) []schedule.Secret {
	var out []schedule.Secret
	for _, sec := range img.Secrets {
		src := sec.Src
		if src != "" && !filepath.IsAbs(src) {
			src = filepath.Join(s.Model.Project.Root, src)
		}
		out = append(out, schedule.Secret{ID: sec.ID, Src: src, Env: sec.Env})
	}
	return out
}

// sshAgents are img's ssh: entries as BuildKit forwards them; "default" without paths is the
// agent of $SSH_AUTH_SOCK, as `docker build --ssh default` takes it.
func (s *Run) sshAgents(img *config.Image) ([]schedule.SSH, error) {
	var out []schedule.SSH
	for i, spec := range img.SSH {
		id, paths, ok := strings.Cut(spec, "=")
		a := schedule.SSH{ID: id}
		if ok {
			a.Paths = strings.Split(paths, ",")
		} else if sock := s.Model.Project.Env["SSH_AUTH_SOCK"]; sock != "" {
			a.Paths = []string{sock}
		} else {
			return nil, badInput(s.Model.ImageError(img, fmt.Sprintf("ssh[%d]", i),
				fmt.Sprintf("%s forwards the SSH agent of $SSH_AUTH_SOCK, which is not set (start ssh-agent, or give ID=PATH)", spec)))
		}
		out = append(out, a)
	}
	return out, nil
}

// contextKey is the part of every image's shared key (schedule.Request.SharedKey) that names
// the project: a hash of what names its repository in every clone (gitinfo.Identity) and of
// the project's folder in it (two imagemake projects of one monorepo each have an "api"), else
// of its root.
// A builder keeps the last context it received under a key and then receives only the files
// whose stat differs; a file's stat is drawn from its content (engine/buildkit's stat), so a
// fresh clone of the same tree, whose files all have new times, sends only what differs too.
func contextKey(ctx context.Context, root string) string {
	id := gitinfo.Identity(ctx, root)
	if id == "" {
		id = root
	} else {
		id += "\x00" + gitinfo.Prefix(ctx, root)
	}
	sum := sha256.Sum256([]byte(id))
	return "imagemake:" + hex.EncodeToString(sum[:8])
}
