package run

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/plan"
	"github.com/imagemake/imagemake/internal/project"
	"github.com/imagemake/imagemake/internal/registry"
	"github.com/imagemake/imagemake/internal/schedule"
)

// fakeRegistry answers a run's questions as a registry whose tags moved would: inputs is the
// label InputsFor reads; retagErr is what RetagInputs returns.
type fakeRegistry struct {
	inputs    string
	inputsErr error
	retagErr  error
	calls     []string
}

var _ Registry = (*fakeRegistry)(nil)

func (f *fakeRegistry) Lookup(context.Context, string) (*registry.Found, error) { return nil, nil }
func (f *fakeRegistry) LookupAll(_ context.Context, refs []string, _ int) ([]*registry.Found, error) {
	out := make([]*registry.Found, len(refs))
	for i, r := range refs {
		out[i] = &registry.Found{Ref: r, Digest: "sha256:" + strings.Repeat("d", 64)}
	}
	return out, nil
}
func (f *fakeRegistry) FirstExisting(context.Context, []string) (*registry.Found, error) {
	return nil, nil
}
func (f *fakeRegistry) InputsFor(_ context.Context, ref, _ string) (string, error) {
	f.calls = append(f.calls, "inputs "+ref)
	return f.inputs, f.inputsErr
}
func (f *fakeRegistry) RetagInputs(_ context.Context, from, inputs string, refs ...string) error {
	f.calls = append(f.calls, fmt.Sprintf("retag %s %s %s", from, inputs, strings.Join(refs, " ")))
	return f.retagErr
}

const pinned = "reg.example/cache/api:in-0123456789abcdef@sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"

func registryRun(t *testing.T, eng *fakeEngine, reg *fakeRegistry) (*Run, *plan.Image) {
	pi := &plan.Image{Name: "api", Status: plan.Stale,
		Config:   &config.Image{Name: "api", Ref: "reg.example/api:dev"},
		Manifest: &inputs.Manifest{Version: 1, Image: "api", Digest: digest}}
	m := &project.Model{Project: &config.Project{Cache: config.Cache{Repo: "reg.example/cache"}}}
	return &Run{Model: m, Images: []*plan.Image{pi}, State: inputs.OpenState(t.TempDir()), engine: eng, reg: reg,
		inRegistry: map[string]string{}}, pi
}

// The label is read through the digest the lookup saw, and that pinned ref is what is kept.
func TestFindInRegistryKeepsTheDigestWhoseLabelItRead(t *testing.T) {
	reg := &fakeRegistry{inputs: digest}
	s, pi := registryRun(t, &fakeEngine{}, reg)
	if err := s.findInRegistry(context.Background(), []*plan.Image{pi}); err != nil {
		t.Fatal(err)
	}
	if got := s.inRegistry["api"]; got != pinned {
		t.Errorf("inRegistry = %q, want %q", got, pinned)
	}
	if want := []string{"inputs " + pinned}; !slices.Equal(reg.calls, want) {
		t.Errorf("registry calls %q, want %q", reg.calls, want)
	}
}

// A manifest deleted between the lookup and the label's read is not there, nor is an image of
// the same inputs built for another platform; any other failure to read the label fails the run
// (it is never taken as "not found").
func TestFindInRegistryOfAManifestDeletedSince(t *testing.T) {
	for _, c := range []struct {
		err     error
		wantErr bool
	}{
		{fmt.Errorf("reading x: %w", registry.ErrNotFound), false},
		{fmt.Errorf("x is a linux/arm64 image, not linux/amd64: %w", registry.ErrOtherPlatform), false},
		{fmt.Errorf("reading x: 503"), true},
	} {
		s, pi := registryRun(t, &fakeEngine{}, &fakeRegistry{inputsErr: c.err})
		err := s.findInRegistry(context.Background(), []*plan.Image{pi})
		if (err != nil) != c.wantErr || s.inRegistry["api"] != "" {
			t.Errorf("label read failing with %v: err %v, inRegistry %q; want error %v and nothing kept", c.err, err, s.inRegistry["api"], c.wantErr)
		}
	}
}

// A reuse pulls and tags the digest looked up; one whose image turns out to hold other inputs
// (or whose tag the registry replaced or deleted) is built instead, saying why.
func TestReuseByDigestOrBuild(t *testing.T) {
	byDigest := "reg.example/cache/api@sha256:" + strings.Repeat("d", 64)
	for _, c := range []struct {
		name      string
		push      bool
		engineHas string
		retagErr  error
		engine    []string
		retags    int
		built     bool
	}{
		{name: "pull", engineHas: digest,
			engine: []string{"pull " + byDigest, "tag " + byDigest + " reg.example/api:dev"}},
		{name: "pull of other inputs", engineHas: "sha256:other", engine: []string{"pull " + byDigest}, built: true},
		{name: "retag", push: true, retags: 1},
		{name: "retag of a replaced tag", push: true, retagErr: fmt.Errorf("x: %w", registry.ErrOtherInputs), retags: 1, built: true},
		{name: "retag of a deleted digest", push: true, retagErr: fmt.Errorf("x: %w", registry.ErrNotFound), retags: 1, built: true},
	} {
		eng, reg := &fakeEngine{inputs: c.engineHas}, &fakeRegistry{retagErr: c.retagErr}
		s, pi := registryRun(t, eng, reg)
		built := false
		build := func(context.Context, func(string)) (schedule.Status, error) { built = true; return schedule.Built, nil }
		var logs []string
		status, err := s.reuseWork(pi, pinned, c.push, build)(context.Background(), func(l string) { logs = append(logs, l) })
		wantStatus := schedule.Reused
		if c.built {
			wantStatus = schedule.Built
		}
		if err != nil || status != wantStatus || built != c.built || !slices.Equal(eng.calls, c.engine) || len(reg.calls) != c.retags {
			t.Errorf("%s: status %q, err %v, built %v, engine %q, registry %q; want %q, built %v, engine %q",
				c.name, status, err, built, eng.calls, reg.calls, wantStatus, c.built, c.engine)
		}
		if c.built && !slices.ContainsFunc(logs, func(l string) bool { return strings.HasPrefix(l, "not reused: ") }) {
			t.Errorf("%s: logs %q, want the reason it was not reused", c.name, logs)
		}
		if c.retags == 1 && !strings.HasPrefix(reg.calls[0], "retag "+pinned+" "+digest+" reg.example/api:dev reg.example/cache/api:in-") {
			t.Errorf("%s: %q, want the pinned ref retagged with the planned inputs, its refs and inputs tag", c.name, reg.calls[0])
		}
	}
}

// A run that may not build (nil build) fails with the reason instead.
func TestReuseThatMayNotBuild(t *testing.T) {
	s, pi := registryRun(t, &fakeEngine{inputs: "sha256:other"}, &fakeRegistry{})
	_, err := s.reuseWork(pi, pinned, false, nil)(context.Background(), func(string) {})
	if err == nil || !strings.Contains(err.Error(), "other inputs") || !strings.Contains(err.Error(), pinned) {
		t.Errorf("err %v, want one naming %s and its other inputs", err, pinned)
	}
}

// An up-to-date image whose registry copy was replaced is pushed from the engine instead.
func TestPublishPushesWhenTheRegistryCopyMoved(t *testing.T) {
	eng := &fakeEngine{}
	s, pi := registryRun(t, eng, &fakeRegistry{retagErr: fmt.Errorf("x: %w", registry.ErrOtherInputs)})
	s.inRegistry["api"] = pinned
	if err := s.publish(context.Background(), pi, func(string) {}); err != nil {
		t.Fatal(err)
	}
	if len(eng.calls) != 3 || eng.calls[1] != "push reg.example/api:dev" {
		t.Errorf("engine calls %q, want the image tagged and pushed", eng.calls)
	}
}

func TestPinBasesNamesEachResolvedBaseByItsDigest(t *testing.T) {
	d1, d2 := "sha256:"+strings.Repeat("1", 64), "sha256:"+strings.Repeat("2", 64)
	m := &inputs.Manifest{Bases: []string{
		"python:3.12@" + d1,
		"node:22@" + d1 + " --platform=linux/amd64", "node:22@" + d2 + " --platform=linux/arm64", // two digests: as written
		"busybox", "busybox@" + d2, // resolved and not: as written
		"golang:1.24@" + d2, // the config names it
	}}
	contexts := map[string]schedule.NamedContext{"golang:1.24": {Source: "docker-image://golang:1.23"}}
	pinBases(contexts, m)
	want := map[string]string{"python:3.12": "docker-image://python:3.12@" + d1, "golang:1.24": "docker-image://golang:1.23"}
	if len(contexts) != len(want) {
		t.Errorf("contexts %v, want %v", contexts, want)
	}
	for name, src := range want {
		if contexts[name].Source != src {
			t.Errorf("context %s = %q, want %q", name, contexts[name].Source, src)
		}
	}
}
