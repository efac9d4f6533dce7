package run

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/graph"
	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/plan"
	"github.com/imagemake/imagemake/internal/project"
	"github.com/imagemake/imagemake/internal/registry"
	"github.com/imagemake/imagemake/internal/schedule"
)

// heldRegistry holds refs with their inputs labels and records the refs it is asked about.
// The methods a test does not expect are the embedded nil interface's: they panic.
type heldRegistry struct {
	Registry
	labels map[string]string // ref -> imagemake.inputs label
	asked  []string
}

func (f *heldRegistry) LookupAll(_ context.Context, refs []string, _ int) ([]*registry.Found, error) {
	out := make([]*registry.Found, len(refs))
	for i, ref := range refs {
		f.asked = append(f.asked, ref)
		if _, ok := f.labels[ref]; ok {
			out[i] = &registry.Found{Ref: ref, Digest: "sha256:" + strings.Repeat("d", 64)}
		}
	}
	return out, nil
}

func (f *heldRegistry) InputsFor(_ context.Context, ref, _ string) (string, error) {
	ref, _, _ = strings.Cut(ref, "@") // as found, or pinned to the digest found
	return f.labels[ref], nil
}

const other = "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

// heldRun plans four images of a project in the registry reg.example: up to date in the
// engine (base), held by the engine under another ref (tagged), and two the engine lacks
// (api, worker); pi.Requested as named.
func heldRun(t *testing.T, reg Registry, requested ...string) *Run {
	p := &config.Project{Repo: "reg.example/team"}
	image := func(name string, status plan.Status, sameAs string) *plan.Image {
		return &plan.Image{Name: name, Status: status, SameAs: sameAs, Reason: "never built",
			Requested: len(requested) == 0 || slices.Contains(requested, name),
			Config:    &config.Image{Name: name, Ref: "reg.example/team/" + name + ":c2"},
			Manifest:  &inputs.Manifest{Version: 1, Image: name, Digest: digest}}
	}
	dep := []graph.Dep{{Name: "base", Why: "FROM"}}
	g, err := graph.New([]graph.Node{{Name: "base"}, {Name: "tagged", Deps: dep}, {Name: "api", Deps: dep}, {Name: "worker", Deps: dep}})
	if err != nil {
		t.Fatal(err)
	}
	return &Run{Model: &project.Model{Project: p, Graph: g}, reg: reg, engine: &fakeEngine{inputs: digest},
		State: inputs.OpenState(t.TempDir()), restoreGC: func() {},
		Images: []*plan.Image{image("base", plan.UpToDate, ""), image("tagged", plan.Stale, "sha256:abc"),
			image("api", plan.Stale, ""), image("worker", plan.Stale, "")}}
}

func statusesOf(s *Run) string {
	var out []string
	for _, pi := range s.Images {
		out = append(out, pi.Name+"="+string(pi.Status))
	}
	return strings.Join(out, " ")
}

// The engine's images are not asked about; an image the registry holds under its inputs tag,
// or else under its ref, with its inputs label is in-registry; another label is not.
func TestFindInRegistry(t *testing.T) {
	inputsTag := "reg.example/team/api:in-0123456789abcdef"
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   string
		reason string // api's
	}{
		{"by inputs tag", map[string]string{inputsTag: digest},
			"base=up-to-date tagged=stale api=in-registry worker=stale", "up to date in the registry as " + inputsTag + " (not pulled)"},
		{"by ref", map[string]string{"reg.example/team/api:c2": digest},
			"base=up-to-date tagged=stale api=in-registry worker=stale", "up to date in the registry as reg.example/team/api:c2 (not pulled)"},
		{"other inputs", map[string]string{inputsTag: other, "reg.example/team/api:c2": other},
			"base=up-to-date tagged=stale api=stale worker=stale", "never built"},
	} {
		reg := &heldRegistry{labels: c.labels}
		s := heldRun(t, reg)
		if err := s.FindInRegistry(context.Background(), false); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := statusesOf(s); got != c.want || s.Images[2].Reason != c.reason {
			t.Errorf("%s: %s, api's reason %q; want %s, %q", c.name, got, s.Images[2].Reason, c.want, c.reason)
		}
		for _, ref := range reg.asked {
			if strings.Contains(ref, "/base:") || strings.Contains(ref, "/tagged:") {
				t.Errorf("%s: asked the registry about %s, which the engine holds", c.name, ref)
			}
		}
	}
}

// Pull pulls what the registry holds of the named images and nothing else; an image nothing
// holds fails it before anything runs.
func TestPull(t *testing.T) {
	labels := map[string]string{"reg.example/team/api:in-0123456789abcdef": digest}
	s := heldRun(t, &heldRegistry{labels: labels}, "base", "api")
	var started []string
	results, err := s.Pull(context.Background(), Options{Jobs: 2}, func(e schedule.Event) {
		if e.Kind == schedule.Started {
			started = append(started, e.Image+" "+e.Action)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(results[0].Name, results[0].Status, results[1].Name, results[1].Status, len(results))
	if got != "baseup-to-dateapireused2" || !slices.Equal(started, []string{"api reusing"}) {
		t.Errorf("results %s, started %q; want base up to date, api reused, only api started", got, started)
	}
	pinned := "reg.example/team/api@sha256:" + strings.Repeat("d", 64) // the digest the lookup found
	if calls := s.engine.(*fakeEngine).calls; !slices.Equal(calls, []string{"pull " + pinned, "tag " + pinned + " reg.example/team/api:c2"}) {
		t.Errorf("engine calls %q, want api pulled as found under its inputs tag and tagged", calls)
	}

	s = heldRun(t, &heldRegistry{labels: labels}, "api", "worker")
	results, err = s.Pull(context.Background(), Options{}, func(schedule.Event) { t.Error("an event before refusing") })
	want := "neither in the engine nor in the registry, build first: worker (never built)"
	if KindOf(err) != Failed || !strings.Contains(fmt.Sprint(err), want) || results != nil {
		t.Errorf("pull of worker: %v, %v; want a Failed error %q", results, err, want)
	}
}

// A dependency of the named images is set aside unless an image of the run builds on it.
func TestSetAside(t *testing.T) {
	for _, c := range []struct {
		name   string
		labels map[string]string // what the registry holds besides base
		want   bool              // base set aside
	}{
		{"api reused: base stays in the registry", map[string]string{"reg.example/team/api:c2": digest}, true},
		{"api built: base pulled for it", nil, false},
	} {
		labels := map[string]string{"reg.example/team/base:c2": digest}
		maps.Copy(labels, c.labels)
		s := heldRun(t, &heldRegistry{labels: labels}, "api")
		s.Images = []*plan.Image{s.Images[0], s.Images[2]} // the closure of api
		s.Images[0].Status = plan.Stale                    // base: not in the engine
		if err := s.FindInRegistry(context.Background(), false); err != nil {
			t.Fatal(err)
		}
		aside := s.setAside(Options{})
		if aside["base"] != c.want || aside["api"] {
			t.Errorf("%s: set aside %v, want base %v and never api (named)", c.name, aside, c.want)
		}
		if got := s.decide(s.Images[0], Options{aside: aside}).Action; (got == Nothing) != c.want {
			t.Errorf("%s: base's action %s", c.name, got)
		}
	}
}
