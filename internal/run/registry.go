package run

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"

	"github.com/imagemake/imagemake/internal/gitinfo"
	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/plan"
	"github.com/imagemake/imagemake/internal/project"
	"github.com/imagemake/imagemake/internal/registry"
	"github.com/imagemake/imagemake/internal/schedule"
)

// gitCommits is how many first-parent commits are tried as cache tags.
const gitCommits = 20

// OpenRegistry sets up the registry client when the project names a registry (plan.UsesRegistry)
// and the user did not turn reuse off. Without one, no request ever leaves the machine. Of a
// multi-platform image it reads the image of the builder's platform (its first worker's, once
// backend has run, or the default builder's when a Dockerfile needed it before planning;
// linux/amd64 otherwise) or of the image's platform:.
func (s *Run) OpenRegistry(ctx context.Context, noReuse bool) {
	if noReuse || !plan.UsesRegistry(s.Model.Project) {
		return
	}
	var opts []registry.Option
	switch { // images in the registry are read for the builder's platform
	case s.bk != nil:
		opts = append(opts, registry.WithPlatform(s.bk.pool.Platform()))
	case s.Model.BuildPlatform != "": // asked before planning (readForBuilder)
		opts = append(opts, registry.WithPlatform(s.Model.BuildPlatform))
	}
	s.reg = registry.New(opts...)
	root := s.Model.Root // git runs only when a lookup needs it: a no-op build asks git nothing
	s.git = sync.OnceValue(func() gitinfo.Info { return gitinfo.Read(ctx, root, gitCommits) })
}

// history is the project's git history as cache tags and stored inputs name it; empty
// without a registry.
func (s *Run) history() gitinfo.Info {
	if s.git == nil {
		return gitinfo.Info{}
	}
	return s.git()
}

// findInRegistry looks up, in parallel, the inputs-digest tag of every image in want and keeps
// those the registry holds with the right imagemake.inputs label. A registry error fails the
// run: it is never taken as "not found".
func (s *Run) findInRegistry(ctx context.Context, want []*plan.Image) error {
	s.inRegistry = map[string]string{}
	if s.reg == nil || len(want) == 0 {
		return nil
	}
	refs := make([]string, len(want))
	for i, pi := range want {
		refs[i] = s.inputsTag(pi)
	}
	return s.lookUpLabelled(ctx, want, refs)
}

// lookUpLabelled looks up refs in parallel, refs[i] for want[i], and keeps in inRegistry those
// the registry holds with want[i]'s inputs label (checkLabels).
func (s *Run) lookUpLabelled(ctx context.Context, want []*plan.Image, refs []string) error {
	found, err := s.reg.LookupAll(ctx, refs, registry.DefaultParallel)
	if err != nil {
		return failed(fmt.Errorf("looking for built images in the registry (--no-reuse skips this): %w", err))
	}
	return s.checkLabels(ctx, want, found)
}

// checkLabels keeps the found images whose label really is the digest its tag names. The
// label is read through the digest the lookup saw, and that digest is what is kept (the
// ref pinned, name:tag@sha256:…): what is reused or retagged later is the very manifest whose
// label was read here, however the tag moves in between.
func (s *Run) checkLabels(ctx context.Context, want []*plan.Image, found []*registry.Found) error {
	var mu sync.Mutex
	var wg sync.WaitGroup
	var firstErr error
	for i, f := range found {
		if f == nil {
			continue
		}
		wg.Add(1)
		go func(pi *plan.Image, ref string) {
			defer wg.Done()
			label, err := s.labelOf(ctx, ref, pi.Config)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, registry.ErrNotFound): // deleted since the lookup: not there
			case errors.Is(err, registry.ErrOtherPlatform): // not the image this builder makes
			case err != nil && firstErr == nil:
				firstErr = failed(fmt.Errorf("reading the labels of %s: %w", ref, err))
			case err == nil && label == pi.Manifest.Digest:
				s.inRegistry[pi.Name] = ref
			}
		}(want[i], f.Pinned())
	}
	wg.Wait()
	return firstErr
}

func (s *Run) inputsTag(pi *plan.Image) string {
	return plan.InputsTag(s.Model.Project, pi.Config, pi.Manifest.Digest)
}

// CacheFrom returns the first cache candidate that exists in the registry, or "".
func (s *Run) CacheFrom(ctx context.Context, pi *plan.Image) (string, error) {
	if s.reg == nil {
		return "", nil
	}
	f, err := s.reg.FirstExisting(ctx, plan.CacheCandidates(s.Model.Project, pi.Config, pi.Manifest.Digest, s.history()))
	if err != nil || f == nil {
		return "", err
	}
	return f.Ref, nil
}

// reuse takes the image built elsewhere, the manifest whose label was read (from is pinned
// by digest): with push, its refs and inputs tag are added to that manifest in the registry
// without pulling anything; otherwise the engine pulls that digest and tags it. When the
// registry no longer holds it, or it holds other inputs, the error is a *notReusable.
func (s *Run) reuse(ctx context.Context, pi *plan.Image, from string, push bool, logs func(string)) error {
	refs := pi.Config.Refs()
	if push && sameRegistry(from, refs) {
		return s.retag(ctx, pi, from, logs)
	}
	pulled := byDigest(from)
	if err := s.engine.Pull(ctx, pulled, logs); cerrdefs.IsNotFound(err) {
		return &notReusable{err} // deleted since the lookup
	} else if err != nil {
		return err
	}
	// Pulled by digest, it is what was looked up; the engine's label is checked all the same.
	if got, err := s.engine.Inputs(ctx, pulled); err != nil {
		return err
	} else if got != pi.Manifest.Digest {
		return &notReusable{fmt.Errorf("%s holds an image with other inputs (%q, want %s)", from, got, pi.Manifest.Digest)}
	}
	for _, ref := range refs {
		if err := s.engine.Tag(ctx, pulled, ref); err != nil {
			return err
		}
	}
	if push {
		return s.pushRefs(ctx, pi, logs)
	}
	return nil
}

// retag gives the registry's manifest from (pinned by digest) the refs of pi and its inputs
// tag, once the registry confirmed it holds pi's inputs (RetagInputs).
func (s *Run) retag(ctx context.Context, pi *plan.Image, from string, logs func(string)) error {
	refs := pi.Config.Refs()
	if tag := s.inputsTag(pi); sameRegistry(from, []string{tag}) {
		refs = append(refs, tag) // the tag may have moved since the lookup: it names these inputs
	}
	logs("adding " + fmt.Sprint(pi.Config.Refs()) + " to " + from + " in the registry")
	err := s.reg.RetagInputs(ctx, from, pi.Manifest.Digest, refs...)
	if errors.Is(err, registry.ErrOtherInputs) || errors.Is(err, registry.ErrNotFound) {
		return &notReusable{err}
	}
	return err
}

// notReusable says why an image found in the registry could not be reused after all: its tag
// was replaced or deleted since the lookup. The image is then built (or pushed) instead.
type notReusable struct{ err error }

func (e *notReusable) Error() string { return "not reused: " + e.err.Error() }
func (e *notReusable) Unwrap() error { return e.err }

// orBuild is what a reuse that failed with err comes to: build (nil: the run may not build),
// saying why, when the registry's image was not reusable; err otherwise.
func orBuild(ctx context.Context, build workFunc, logs func(string), err error) (schedule.Status, error) {
	var nr *notReusable
	if !errors.As(err, &nr) || build == nil {
		return "", err
	}
	logs(nr.Error() + "; building it instead")
	return build(ctx, logs)
}

// byDigest is a pinned ref without its tag (name@sha256:…), which every engine pulls and tags
// from; any other ref as it is.
func byDigest(ref string) string {
	n, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ref
	}
	if c, ok := n.(reference.Canonical); ok {
		return reference.TrimNamed(n).Name() + "@" + c.Digest().String()
	}
	return ref
}

// pushRefs pushes every ref of the image and its inputs-digest tag from the engine.
func (s *Run) pushRefs(ctx context.Context, pi *plan.Image, logs func(string)) error {
	if s.stopping() {
		return errNotPushed
	}
	if err := engineCannotPush(pi); err != nil {
		return err
	}
	tag := s.inputsTag(pi)
	if err := s.engine.Tag(ctx, pi.Config.Ref, tag); err != nil {
		return err
	}
	for _, ref := range append(pi.Config.Refs(), tag) {
		if err := s.engine.Push(ctx, ref, logs); err != nil {
			return err
		}
	}
	return nil
}

// publish makes sure the registry holds an up-to-date image under every ref: a retag when its
// inputs tag is there already (and still holds those inputs), a push otherwise.
func (s *Run) publish(ctx context.Context, pi *plan.Image, logs func(string)) error {
	if from, ok := s.inRegistry[pi.Name]; ok && sameRegistry(from, pi.Config.Refs()) {
		err := s.retag(ctx, pi, from, logs)
		if nr := (*notReusable)(nil); !errors.As(err, &nr) {
			return err
		}
		logs(err.Error() + "; pushing the engine's image instead")
	}
	return s.pushRefs(ctx, pi, logs)
}

var errNotPushed = &schedule.StoppedError{Reason: "not pushed: another image failed"}

// stopping is true once a failure stops the run (fail-fast): nothing is pushed after it.
func (s *Run) stopping() bool { return s.failing.Load() }

// watch wraps report to notice the first failure.
func (s *Run) watch(report func(schedule.Event), keepGoing bool) func(schedule.Event) {
	return func(e schedule.Event) {
		if e.Kind == schedule.Finished && e.Result.Status == schedule.Failed && !keepGoing {
			s.failing.Store(true)
		}
		report(e)
	}
}

func sameRegistry(from string, refs []string) bool {
	host := func(ref string) string {
		n, err := reference.ParseNormalizedNamed(ref)
		if err != nil {
			return "?" + ref
		}
		return reference.Domain(n)
	}
	for _, r := range refs {
		if host(r) != host(from) {
			return false
		}
	}
	return true
}

// Pulling says whether a run resolves its external bases: as flag says when given (--pull,
// --pull=false), else as the config does (pull:).
func Pulling(flag *bool, config bool) bool {
	if flag != nil {
		return *flag
	}
	return config
}

// basePuller is plan's Puller when pull is set: the external bases are resolved with a
// registry client of their own (a base is wherever its ref says, Docker Hub included), one
// request per base, in parallel. A base is read for the platform its image builds for, else
// for the default builder's (see builderPlatform).
// A multi-platform image counts the tag's own digest, its index.
func basePuller(ctx context.Context, m *project.Model, pull bool) plan.Puller {
	if !pull {
		return nil
	}
	c := registry.New()
	builder := sync.OnceValue(func() string { return builderPlatform(ctx, m) }) // asked only for a base without platform
	return func(bases []plan.Base) ([]string, []error) {
		asked := make([]registry.Base, len(bases))
		for i, b := range bases {
			asked[i] = registry.Base{Ref: b.Ref, Platform: b.Platform}
			switch {
			case b.Platform == "":
				asked[i].Platform = builder()
			case strings.Contains(b.Platform, ","):
				asked[i].Platform = ""
			}
		}
		return c.ResolveAll(ctx, asked, registry.DefaultParallel)
	}
}

// builderPlatform is the platform of the builder a build uses by default: as the project read
// it (project.Model.BuildPlatform), else as that builder says, else (it does not answer) this
// machine's, which the Docker engine builds for.
func builderPlatform(ctx context.Context, m *project.Model) string {
	if m.BuildPlatform != "" {
		return m.BuildPlatform
	}
	if p, err := defaultBuilderPlatform(ctx, m); err == nil && p != "" {
		return p
	}
	return platforms.DefaultString()
}

// pinBases makes each base --pull resolved (see inputs.SplitPinned) a named context of that
// digest, so that the build starts FROM exactly the image whose digest its inputs count,
// however the tag moved since and whatever the engine holds under it. A named context of the
// config wins; a ref resolved to two digests (FROM --platform twice) is left as written.
func pinBases(contexts map[string]schedule.NamedContext, m *inputs.Manifest) {
	pinned := map[string]string{}
	for _, b := range m.Bases {
		written, digest := inputs.SplitPinned(b)
		ref, _, _ := strings.Cut(written, " --platform=")
		if prev, seen := pinned[ref]; digest == "" || (seen && prev != digest) {
			pinned[ref] = ""
			continue
		}
		pinned[ref] = digest
	}
	for ref, digest := range pinned {
		if _, named := contexts[ref]; !named && digest != "" {
			contexts[ref] = schedule.NamedContext{Source: "docker-image://" + ref + "@" + digest}
		}
	}
}
