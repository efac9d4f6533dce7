package plan

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/project"
)

const pullConfig = `version: 1
repo: reg.example.com/acme
tag: dev
images:
  py: {context: py}
  app: {context: app}
  arm: {context: arm, platform: linux/arm64}
`

var pinnedAlpine = "alpine@sha256:" + strings.Repeat("c", 64)

var pullTree = map[string]string{
	"imagemake.yaml": pullConfig,
	"py/Dockerfile":  "FROM python:3.12\nRUN true\n",
	"app/Dockerfile": "FROM python:3.12 AS tools\nRUN true\nFROM reg.example.com/acme/py:dev\nCOPY --from=tools / /\n",
	"arm/Dockerfile": "FROM python:3.12\nFROM " + pinnedAlpine + "\nCOPY --from=0 / /\n",
}

// registryAt is a Puller answering from tags (ref -> digest), recording what it was asked.
type registryAt struct {
	mu    sync.Mutex
	tags  map[string]string
	asked [][]Base
}

func (r *registryAt) pull(bases []Base) ([]string, []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked = append(r.asked, slices.Clone(bases))
	digests, errs := make([]string, len(bases)), make([]error, len(bases))
	for i, b := range bases {
		if d, ok := r.tags[b.Ref+" "+b.Platform]; ok {
			digests[i] = d
		} else {
			errs[i] = errors.New("not found in the registry")
		}
	}
	return digests, errs
}

type pullProject struct {
	m  *project.Model
	sc *inputs.Scanner
	st *inputs.State
}

func loadPullProject(t *testing.T) *pullProject {
	t.Helper()
	root := t.TempDir()
	for name, content := range pullTree {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := project.Load(context.Background(), project.Options{Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := inputs.NewScanner(m.Project)
	if err != nil {
		t.Fatal(err)
	}
	return &pullProject{m, sc, inputs.OpenState(m.Root)}
}

// plan computes every image against engine (nil: unknown), with pull when not nil.
func (p *pullProject) plan(t *testing.T, engine map[string]EngineImage, pull Puller) map[string]*Image {
	t.Helper()
	opt := Options{Names: p.m.Graph.Names(), Pull: pull}
	if engine != nil {
		opt.Engine = func() map[string]EngineImage { return engine }
	}
	images, err := Compute(p.m, p.sc, p.st, opt)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*Image{}
	for _, pi := range images {
		out[pi.Name] = pi
	}
	return out
}

// built records every image as built and returns the engine that then holds them.
func (p *pullProject) built(t *testing.T, images map[string]*Image) map[string]EngineImage {
	t.Helper()
	engine := map[string]EngineImage{}
	for _, pi := range images {
		if err := p.st.Record(pi.Manifest, true); err != nil {
			t.Fatal(err)
		}
		for _, r := range pi.Config.Refs() {
			engine[normalize(r)] = EngineImage{ID: "sha256:id-" + pi.Name, Inputs: pi.Manifest.Digest}
		}
	}
	return engine
}

var d1, d2, arm1 = "sha256:" + strings.Repeat("1", 64), "sha256:" + strings.Repeat("2", 64), "sha256:" + strings.Repeat("a", 64)

func TestPullAsksOncePerDistinctBaseAndPinsIt(t *testing.T) {
	p := loadPullProject(t)
	reg := &registryAt{tags: map[string]string{"python:3.12 ": d1, "python:3.12 linux/arm64": arm1}}
	images := p.plan(t, nil, reg.pull)
	if len(reg.asked) != 1 {
		t.Fatalf("the puller was called %d times, want once for all images", len(reg.asked))
	}
	want := []Base{{Ref: "python:3.12"}, {Ref: "python:3.12", Platform: "linux/arm64"}}
	if got := reg.asked[0]; !slices.Equal(slices.SortedFunc(slices.Values(got), cmpBase), want) {
		t.Errorf("asked for %+v, want %+v (the base pinned by digest not asked)", got, want)
	}
	for name, bases := range map[string][]string{
		"py":  {"python:3.12@" + d1},
		"app": {"python:3.12@" + d1},
		"arm": {pinnedAlpine, "python:3.12@" + arm1},
	} {
		if got := images[name].Manifest.Bases; !slices.Equal(got, bases) {
			t.Errorf("%s: bases %q, want %q", name, got, bases)
		}
	}
	plain := p.plan(t, nil, nil)
	if plain["py"].Manifest.Digest == images["py"].Manifest.Digest {
		t.Errorf("py: the pinned base left the digest as without --pull")
	}
}

func cmpBase(a, b Base) int { return strings.Compare(a.Ref+" "+a.Platform, b.Ref+" "+b.Platform) }

func TestPullErrorNamesTheBaseAndAnImage(t *testing.T) {
	p := loadPullProject(t)
	reg := &registryAt{tags: map[string]string{"python:3.12 ": d1}} // no arm64 image
	_, err := Compute(p.m, p.sc, p.st, Options{Names: p.m.Graph.Names(), Pull: reg.pull})
	if err == nil || !strings.Contains(err.Error(), `image "arm"`) || !strings.Contains(err.Error(), "base image python:3.12") {
		t.Fatalf("err %v, want one naming image arm and base python:3.12", err)
	}
}

// A base that moved upstream makes its images stale with --pull, saying so; without --pull
// they stay up to date, their base taken as the engine's images were built on it.
func TestABaseMovedUpstream(t *testing.T) {
	p := loadPullProject(t)
	before := &registryAt{tags: map[string]string{"python:3.12 ": d1, "python:3.12 linux/arm64": arm1}}
	engine := p.built(t, p.plan(t, nil, before.pull))

	after := &registryAt{tags: map[string]string{"python:3.12 ": d2, "python:3.12 linux/arm64": arm1}}
	moved := p.plan(t, engine, after.pull)
	wantPy := "base image python:3.12 changed upstream (sha256:111111111111 to sha256:222222222222)"
	if pi := moved["py"]; pi.Status != Stale || pi.Reason != wantPy {
		t.Errorf("py with --pull: %s (%s), want stale (%s)", pi.Status, pi.Reason, wantPy)
	}
	if pi := moved["app"]; pi.Status != Stale || !strings.Contains(pi.Reason, "base image py rebuilt") {
		t.Errorf("app with --pull: %s (%s), want stale as py is", pi.Status, pi.Reason)
	}
	if pi := moved["arm"]; pi.Status != UpToDate {
		t.Errorf("arm with --pull: %s (%s), want up to date: its linux/arm64 image did not move", pi.Status, pi.Reason)
	}
	for name, pi := range p.plan(t, engine, nil) {
		if pi.Status != UpToDate {
			t.Errorf("%s without --pull: %s (%s), want up to date", name, pi.Status, pi.Reason)
		}
	}
	for name, pi := range p.plan(t, nil, nil) {
		if pi.Reason != "inputs unchanged since the last plan or build" {
			t.Errorf("%s without --pull or engine: %q, want unchanged", name, pi.Reason)
		}
	}
}
