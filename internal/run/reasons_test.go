package run

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/gitinfo"
	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/plan"
	"github.com/imagemake/imagemake/internal/project"
	"github.com/imagemake/imagemake/internal/registry"
	"github.com/imagemake/imagemake/internal/registry/registrytest"
	"github.com/imagemake/imagemake/internal/schedule"
)

// manifestOf is the inputs manifest of image name with files (name -> content letter) and
// args, its digest computed.
func manifestOf(t *testing.T, name string, files, args map[string]string) *inputs.Manifest {
	t.Helper()
	values := map[string]string{}
	for f, c := range files {
		values[f] = "f 0644 1 " + strings.Repeat(c, 64)
	}
	doc, err := json.Marshal(map[string]any{"version": inputs.ManifestVersion, "image": name,
		"dockerfile": "Dockerfile", "args": args, "extra_args": map[string]string{"DOCKER_TAG": "c0ffee"},
		"files": inputs.FilesOf(values)})
	if err != nil {
		t.Fatal(err)
	}
	var m inputs.Manifest
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	m.Digest = m.ComputeDigest()
	return &m
}

// runOf is a run of images on a project whose repo is repo, at the commits given (HEAD first).
func runOf(t *testing.T, repo string, reg Registry, commits []string, images ...*plan.Image) *Run {
	t.Helper()
	return &Run{Model: &project.Model{Project: &config.Project{Repo: repo}}, State: inputs.OpenState(t.TempDir()),
		Images: images, reg: reg, git: func() gitinfo.Info { return gitinfo.Info{Commits: commits} }, inRegistry: map[string]string{}}
}

func stale(name string, m *inputs.Manifest) *plan.Image {
	return &plan.Image{Name: name, Status: plan.Stale, Reason: "never built", Manifest: m,
		Config: &config.Image{Name: name, Context: "components/" + name, Ref: "x/" + name + ":dev"}}
}

var anonymous = registry.WithKeychain(authn.NewMultiKeychain())

// CI pushes commit 1 on one machine; another machine, with no record, on commit 2, names
// what changed since commit 1 from the registry alone. Against Debian's docker-registry.
func TestReasonsTravel(t *testing.T) {
	host := registrytest.Start(t, registrytest.Options{})
	ctx := context.Background()
	files := map[string]string{"Dockerfile": "0", "src/http.lua": "1", "src/json.lua": "2"}
	args := map[string]string{"LUA": "5.1"}
	pushed := runOf(t, host+"/team", registry.New(anonymous), []string{"c1c1c1c1c1c1"},
		stale("api", manifestOf(t, "api", files, args)), stale("web", manifestOf(t, "web", files, nil)))
	for _, pi := range pushed.Images[:1] { // web is pushed by no one
		w := pushed.storingInputs(func(context.Context, func(string)) (schedule.Status, error) { return schedule.Built, nil }, pi, Options{Push: true})
		if st, err := w(ctx, func(l string) { t.Errorf("log: %s", l) }); err != nil || st != schedule.Built {
			t.Fatalf("the pushing work: %q, %v", st, err)
		}
	}
	files["src/http.lua"] = "9"
	cur := stale("api", manifestOf(t, "api", files, args))
	same := stale("web", manifestOf(t, "web", files, nil))
	recorded := stale("api2", manifestOf(t, "api2", files, nil))
	fresh := &plan.Image{Name: "fresh", Status: plan.UpToDate, Reason: "inputs unchanged", Manifest: cur.Manifest, Config: cur.Config}
	r := runOf(t, host+"/team", registry.New(anonymous), []string{"c2c2c2c2c2c2", "c1c1c1c1c1c1"}, cur, same, recorded, fresh)
	if err := r.State.Record(recorded.Manifest, true); err != nil {
		t.Fatal(err)
	}
	found := r.ReasonsFromRegistry(ctx, func(w string) { t.Errorf("warning: %s", w) })
	if want := "file changed: components/api/src/http.lua (since c1c1c1c1c1c1)"; cur.Reason != want {
		t.Errorf("reason = %q, want %q", cur.Reason, want)
	}
	if found["api"].Commit != "c1c1c1c1c1c1" || found["api"].Manifest.Args["LUA"] == "5.1" || found["api"].Manifest.ExtraArgs != nil {
		t.Errorf("found %+v: want commit 1's manifest, its arg values hashed and no extra args", found["api"])
	}
	for _, pi := range []*plan.Image{same, recorded, fresh} {
		if pi.Reason != "never built" && pi.Reason != "inputs unchanged" {
			t.Errorf("%s: reason %q changed, want it left alone", pi.Name, pi.Reason)
		}
	}
}

// fakeStore is a registry whose stored inputs are docs (repo:tag -> JSON), counting reads.
type fakeStore struct {
	Registry
	docs      map[string][]byte
	err       error
	reads     atomic.Int32
	now, most atomic.Int32
	mu        sync.Mutex
	readRepos []string
}

func (f *fakeStore) StoreInputs(context.Context, []byte, ...string) error { return f.err }

func (f *fakeStore) FetchFirstInputs(_ context.Context, repo string, tags []string) (string, []byte, error) {
	f.reads.Add(1)
	if n := f.now.Add(1); n > f.most.Load() {
		f.most.Store(n)
	}
	defer f.now.Add(-1)
	time.Sleep(5 * time.Millisecond)
	f.mu.Lock()
	f.readRepos = append(f.readRepos, repo)
	f.mu.Unlock()
	if f.err != nil {
		return "", nil, f.err
	}
	for _, t := range tags {
		if doc, ok := f.docs[repo+":"+t]; ok {
			return t, doc, nil
		}
	}
	return "", nil, nil
}

// A build asks nothing of images it reuses, nor with -B; a registry error or a corrupt doc is
// a warning and the reason stays; lookups run at most reasonLookups at once.
func TestReasonsBounded(t *testing.T) {
	ctx := context.Background()
	m := manifestOf(t, "api", map[string]string{"Dockerfile": "0"}, nil)
	var images []*plan.Image
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "reused"} {
		images = append(images, stale(n, m))
	}
	store := &fakeStore{docs: map[string][]byte{"reg.example/team/a:c1.inputs": []byte("{not json")}}
	r := runOf(t, "reg.example/team", store, []string{"c2", "c1"}, images...)
	r.inRegistry["reused"] = "reg.example/team/reused:in-0123"
	r.bk = &builders{}
	r.travelReasons(ctx, Options{Rebuild: true})
	if store.reads.Load() != 0 {
		t.Fatalf("-B: %d reads, want none", store.reads.Load())
	}
	r.travelReasons(ctx, Options{})
	if got := store.reads.Load(); got != 11 || store.most.Load() > reasonLookups {
		t.Errorf("%d reads, %d at once; want 11 (not the reused image), at most %d at once", got, store.most.Load(), reasonLookups)
	}
	if len(r.bk.pending) != 1 || !strings.Contains(r.bk.pending[0], "a: no reason from the registry") || !strings.Contains(r.bk.pending[0], "c1.inputs") {
		t.Errorf("warnings %q: want one for a's corrupt doc, naming its tag", r.bk.pending)
	}
	store.err = errors.New("registry down")
	var warned []string
	images[1].Reason = "never built"
	r.ReasonsFromRegistry(ctx, func(w string) { warned = append(warned, w) })
	if images[1].Reason != "never built" || len(warned) != 12 || !strings.Contains(warned[0], "registry down") {
		t.Errorf("registry down: reason %q, warnings %q", images[1].Reason, warned)
	}
	w := r.storingInputs(func(context.Context, func(string)) (schedule.Status, error) { return schedule.Reused, nil }, images[0], Options{Push: true})
	var logs []string
	if st, err := w(ctx, func(l string) { logs = append(logs, l) }); err != nil || st != schedule.Reused || len(logs) != 1 || !strings.Contains(logs[0], "registry down") {
		t.Errorf("storing with the registry down: %q, %v, logs %q; want the image reused and a warning logged", st, err, logs)
	}
}
