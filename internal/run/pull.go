package run

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/imagemake/imagemake/internal/plan"
	"github.com/imagemake/imagemake/internal/schedule"
)

// FindInRegistry tells the images the engine lacks from the ones it needs to build: every
// stale image the engine does not hold under another ref is looked up in the registry (its
// inputs tag, else its ref, with its current inputs label), and those found become
// plan.InRegistry, up to date in the registry and not pulled. Without a registry (none named,
// or noReuse) nothing changes. A registry error is returned, the statuses left as they were.
func (s *Run) FindInRegistry(ctx context.Context, noReuse bool) error {
	want := lacking(s.Images)
	if len(want) == 0 {
		return nil // a no-op plan asks nothing, not even git
	}
	if s.reg == nil {
		s.OpenRegistry(ctx, noReuse)
	}
	return s.lookInRegistry(ctx, want)
}

// lookInRegistry looks up want's inputs tags, then the refs of the lacking images the inputs
// tags did not find, and marks what the registry holds of the lacking images.
func (s *Run) lookInRegistry(ctx context.Context, want []*plan.Image) error {
	if err := s.findInRegistry(ctx, want); err != nil {
		return err
	}
	if err := s.findByRef(ctx, lacking(want)); err != nil {
		return err
	}
	for _, pi := range lacking(s.Images) {
		if from := s.inRegistry[pi.Name]; from != "" {
			tag, _, _ := strings.Cut(from, "@") // the ref as people know it, without its pinned digest
			pi.Status, pi.Reason = plan.InRegistry, "up to date in the registry as "+tag+" (not pulled)"
		}
	}
	return nil
}

// lacking are the images the engine holds neither under their refs nor under another ref.
func lacking(images []*plan.Image) []*plan.Image {
	var out []*plan.Image
	for _, pi := range images {
		if pi.Status == plan.Stale && pi.SameAs == "" {
			out = append(out, pi)
		}
	}
	return out
}

// findByRef looks up the refs of the images of want whose inputs tag was not found: an image
// pushed under its ref with its inputs label (docker push, another tool) is as good. Only refs
// that name their registry are asked: a bare one would go to Docker Hub.
func (s *Run) findByRef(ctx context.Context, want []*plan.Image) error {
	if s.reg == nil {
		return nil
	}
	var rest []*plan.Image
	var refs []string
	for _, pi := range want {
		if s.inRegistry[pi.Name] == "" && plan.NamesRegistry(pi.Config.Ref) {
			rest, refs = append(rest, pi), append(refs, pi.Config.Ref)
		}
	}
	if len(rest) == 0 {
		return nil
	}
	return s.lookUpLabelled(ctx, rest, refs)
}

// Pull brings the requested images (every planned one when none was named) into the engine,
// building nothing: an image the engine holds under another ref is tagged, one the registry
// holds is pulled (by its inputs tag, else its ref) and tagged with its refs. When the engine
// or the registry cannot provide one of them, Pull fails before anything runs, naming them.
// The images planned only as dependencies are left alone.
func (s *Run) Pull(ctx context.Context, o Options, report func(schedule.Event)) ([]schedule.Result, error) {
	o.fetch, o.Push, o.Rebuild = true, false, false
	if s.EngineErr != nil {
		return nil, failed(fmt.Errorf("cannot pull: %w", s.EngineErr))
	}
	if err := s.FindInRegistry(ctx, false); err != nil {
		return nil, err
	}
	var requested, missing []*plan.Image
	for _, pi := range s.Images {
		if !pi.Requested {
			continue
		}
		requested = append(requested, pi)
		if s.decide(pi, o).Action == Unavailable {
			missing = append(missing, pi)
		}
	}
	if len(missing) > 0 {
		return nil, failed(fmt.Errorf("%s, build first: %s", s.nowhere(), strings.Join(notUpToDate(missing), "; ")))
	}
	s.Images = requested // the run's images and output are the ones pulled
	return s.schedule(ctx, o, report), nil
}

// nowhere says where an unavailable image was looked for.
func (s *Run) nowhere() string {
	if s.reg == nil {
		return "not in the engine, and no registry to pull from (repo: and cache.repo name none)"
	}
	return "neither in the engine nor in the registry"
}

// decide is Decide on what the plan and the registry say of pi, for a run with o.
func (s *Run) decide(pi *plan.Image, o Options) Decision {
	return Decide(Facts{UpToDate: pi.Status == plan.UpToDate, SameAs: pi.SameAs,
		InRegistry: s.inRegistry[pi.Name], Push: o.Push, Rebuild: o.Rebuild, Fetch: o.fetch,
		Aside: o.aside[pi.Name]})
}

// setAside returns the images the engine need not hold: those planned only as dependencies of
// the named images, on which no image of the run builds (a build needs its bases in the
// engine; an image pulled or tagged does not).
func (s *Run) setAside(o Options) map[string]bool {
	o.aside = nil
	builds := map[string]bool{}
	for _, pi := range s.Images {
		builds[pi.Name] = s.decide(pi, o).Action == Build
	}
	aside := map[string]bool{}
	for _, pi := range s.Images {
		if !pi.Requested {
			aside[pi.Name] = !slices.ContainsFunc(s.Model.Graph.Dependents(pi.Name), func(d string) bool { return builds[d] })
		}
	}
	return aside
}
