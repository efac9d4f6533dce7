package run

import (
	"testing"

	"github.com/imagemake/imagemake/internal/plan"
)

func TestDecide(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    Facts
		want Decision
	}{
		{"up to date", Facts{UpToDate: true}, Decision{Action: Nothing}},
		{"up to date, held elsewhere too", Facts{UpToDate: true, SameAs: "a:1", InRegistry: "r/a:x"}, Decision{Action: Nothing}},
		{"up to date, --push", Facts{UpToDate: true, Push: true}, Decision{Action: Publish, Push: true}},
		{"up to date, --push --always-make", Facts{UpToDate: true, Push: true, Rebuild: true}, Decision{Action: Publish, Push: true}},
		{"engine holds the inputs", Facts{SameAs: "a:1"}, Decision{Action: Tag, From: "a:1"}},
		{"engine and registry hold them: the engine wins", Facts{SameAs: "a:1", InRegistry: "r/a:x"}, Decision{Action: Tag, From: "a:1"}},
		{"engine holds them, --push", Facts{SameAs: "a:1", Push: true}, Decision{Action: Tag, From: "a:1", Push: true}},
		{"engine holds them, --always-make", Facts{SameAs: "a:1", Rebuild: true}, Decision{Action: Build}},
		{"registry holds them", Facts{InRegistry: "r/a:x"}, Decision{Action: Reuse, From: "r/a:x"}},
		{"registry holds them, --push", Facts{InRegistry: "r/a:x", Push: true}, Decision{Action: Reuse, From: "r/a:x", Push: true}},
		{"registry holds them, --always-make", Facts{InRegistry: "r/a:x", Rebuild: true}, Decision{Action: Build}},
		{"nothing holds them", Facts{}, Decision{Action: Build}},
		{"nothing holds them, --push", Facts{Push: true}, Decision{Action: Build, Push: true}},
		{"pull, up to date", Facts{UpToDate: true, Fetch: true}, Decision{Action: Nothing}},
		{"pull, engine holds the inputs", Facts{SameAs: "a:1", InRegistry: "r/a:x", Fetch: true}, Decision{Action: Tag, From: "a:1"}},
		{"pull, registry holds them", Facts{InRegistry: "r/a:x", Fetch: true}, Decision{Action: Reuse, From: "r/a:x"}},
		{"pull never pushes nor rebuilds", Facts{InRegistry: "r/a:x", Fetch: true, Push: true, Rebuild: true}, Decision{Action: Reuse, From: "r/a:x"}},
		{"pull, up to date, never publishes", Facts{UpToDate: true, Fetch: true, Push: true}, Decision{Action: Nothing}},
		{"pull, nothing holds them", Facts{Fetch: true}, Decision{Action: Unavailable}},
		{"a dependency in the registry nothing builds on: left there", Facts{InRegistry: "r/a:x", Aside: true}, Decision{Action: Nothing}},
		{"a dependency in the registry, --push: retagged", Facts{InRegistry: "r/a:x", Aside: true, Push: true}, Decision{Action: Reuse, From: "r/a:x", Push: true}},
		{"a dependency in the registry, --always-make", Facts{InRegistry: "r/a:x", Aside: true, Rebuild: true}, Decision{Action: Build}},
		{"a dependency the engine holds under another ref: tagged", Facts{SameAs: "a:1", Aside: true}, Decision{Action: Tag, From: "a:1"}},
		{"a dependency nothing holds: built", Facts{Aside: true}, Decision{Action: Build}},
	} {
		if got := Decide(tc.f); got != tc.want {
			t.Errorf("%s: Decide(%+v) = %+v (%s), want %+v (%s)", tc.name, tc.f, got, got.Action, tc.want, tc.want.Action)
		}
	}
}

func TestActionString(t *testing.T) {
	for a, want := range map[Action]string{Nothing: "up to date", Publish: "publish", Tag: "tag", Reuse: "reuse", Build: "build", Unavailable: "unavailable", Action(9): "Action(9)"} {
		if got := a.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(a), got, want)
		}
	}
}

// A run dials a builder unless every image is up to date in the engine and nothing is pushed
// or rebuilt: a no-op asks no builder anything.
func TestNeedsBuilder(t *testing.T) {
	up := &plan.Image{Status: plan.UpToDate}
	stale := &plan.Image{Status: plan.Stale}
	held := &plan.Image{Status: plan.InRegistry}
	for _, c := range []struct {
		images []*plan.Image
		o      Options
		want   bool
	}{
		{[]*plan.Image{up, up}, Options{}, false},
		{nil, Options{}, false},
		{[]*plan.Image{up, stale}, Options{}, true},
		{[]*plan.Image{up, held}, Options{}, true},
		{[]*plan.Image{up}, Options{Push: true}, true},
		{[]*plan.Image{up}, Options{Rebuild: true}, true},
	} {
		if got := needsBuilder(c.images, c.o); got != c.want {
			t.Errorf("needsBuilder(%s, push %v, rebuild %v) = %v, want %v", statusesOf(&Run{Images: c.images}), c.o.Push, c.o.Rebuild, got, c.want)
		}
	}
}
