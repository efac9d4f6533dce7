package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"

	"github.com/imagemake/imagemake/internal/registry/registrytest"
)

// corpusTree is one tree of testdata/corpus: the shape of a real repository (its README.md says
// which), the config a user would write for it (expected/imagemake.yaml) and the graph that
// config gives (expected/ls.json, rewritten with -update).
type corpusTree struct {
	dir        string   // folder under testdata/corpus
	checkout   string   // the folder the repository is cloned into: init names a root Dockerfile's image after it
	busybox    []string // where the static busybox goes (a binary the tree does not commit)
	emptyDirs  []string // folders git cannot hold: made empty in every copy
	submodules []string // emptyDirs that are submodules (gitlinks) in the repository's history
	// env points the config at the registry: refs under repo (HOST:PORT/NAMESPACE), tagged tag.
	env func(host, ns, tag string) map[string]string
	// namedContexts: the images have named contexts. imagemake builds them on the engine (its
	// own BuildKit frontend sends them); the plain build they are compared with is buildctl on a
	// daemon, since the engine's docker CLI (20.10) has no --build-context.
	namedContexts bool
	// vars are the variables a developer's shell sets for the tree (goldens and init see them).
	vars map[string]string
	// devFiles are files a developer's checkout has and git ignores (bytecode, egg-info): made
	// in the first run's checkout only, so the clone of the CI pair lacks them.
	devFiles []string
	// unread are files no build reads (imagemake.yaml, docs, the Makefile, build files whose
	// comments change nothing): the second commit of the CI pair appends a comment line to each.
	unread []string
	// initSays are what init must say on stderr; planWarns what plan must warn, in the tree as
	// committed, before fix.
	initSays, planWarns []string
	// fix appends text to files (the change a user makes on imagemake's advice), committed
	// before the first build.
	fix map[string]string
	// goldens: more ls goldens (a file name in expected/) with the variables each sets.
	goldens map[string]map[string]string
	// noPush: an image keeps a ref outside the test registry (docker.io), which cannot be
	// pushed here: the CI pair runs on the engine, without --push.
	noPush bool
}

func dockerRepoTag(host, ns, tag string) map[string]string {
	return map[string]string{"DOCKER_REPO": host + "/" + ns, "DOCKER_TAG": tag}
}

func registryTag(host, ns, tag string) map[string]string {
	return map[string]string{"REGISTRY": host + "/" + ns, "TAG": tag}
}

var corpus = []corpusTree{
	{dir: "root-context", checkout: "plant-monitor", busybox: []string{"bin/busybox"}, env: dockerRepoTag,
		unread: []string{"imagemake.yaml", "README.md", "Makefile"}},
	{dir: "compose-subfolder", checkout: "osparc-simcore", busybox: []string{"scripts/busybox"},
		goldens: map[string]map[string]string{"ls.profile-debug.json": {"COMPOSE_PROFILES": "debug"}},
		devFiles: []string{"packages/models-library/src/models_library/__pycache__/__init__.cpython-311.pyc",
			"packages/models-library/src/models_library.egg-info/PKG-INFO", "services/web/server/__pycache__/main.cpython-311.pyc",
			"services/storage/src/.pytest_cache/v/cache/lastfailed"},
		unread: []string{"imagemake.yaml", "README.md", "services/docker-compose.build.yml", "services/director/director.py"},
		env: func(host, ns, tag string) map[string]string {
			return map[string]string{"DOCKER_REGISTRY": host + "/" + ns, "DOCKER_IMAGE_TAG": tag}
		}},
	{dir: "registry-owner", checkout: "docker-stacks", busybox: []string{"images/base/busybox"},
		unread: []string{"imagemake.yaml", "Makefile"},
		env: func(host, ns, tag string) map[string]string {
			return map[string]string{"REGISTRY": host, "OWNER": ns, "TAG": tag}
		}},
	{dir: "cuda-variants", checkout: "gpu-images", busybox: []string{"images/foundation/busybox"}, env: registryTag,
		unread: []string{"imagemake.yaml", "docker-bake.hcl"}},
	{dir: "bake-contexts", checkout: "datalens-backend", busybox: []string{"docker_build/base/busybox"},
		unread: []string{"imagemake.yaml", "docker-bake.hcl"}, env: registryTag, namedContexts: true},
	{dir: "hardcoded-ref", checkout: "dbtools", busybox: []string{"db-debug/busybox"}, env: dockerRepoTag, noPush: true,
		unread: []string{"imagemake.yaml", "Makefile"}},
	{dir: "multistage-targets", checkout: "shop", busybox: []string{"toolchain/busybox"},
		unread: []string{"imagemake.yaml", "README.md", "docker-compose.yml"},
		env: func(host, ns, tag string) map[string]string {
			return map[string]string{"IMAGE_REPO": host + "/" + ns, "IMAGE_TAG": tag}
		}},
	{dir: "empty-submodule", checkout: "docker-mailserver", busybox: []string{"target/bin/busybox"},
		emptyDirs: []string{"target/docker-configomat"}, submodules: []string{"target/docker-configomat"}, env: dockerRepoTag,
		unread: []string{"imagemake.yaml", "README.md", "Makefile", ".gitmodules"}},
	{dir: "copy-all-root", checkout: "mxrouter-tms-app", busybox: []string{"bin/busybox"}, env: dockerRepoTag,
		initSays: []string{"web, websocket, worker read the whole repository root", "Add the line .git to .dockerignore"},
		planWarns: []string{`image "web": the whole repository root is its context and .git is not ignored`,
			`image "websocket": the whole`, `image "worker": the whole`, "every commit rebuilds it"},
		fix: map[string]string{".dockerignore": "\n# imagemake: every commit would rebuild the images otherwise\n.git\n"}},
	// prod-app's `COPY . .` of the root reads every file not ignored: the CI pair's second
	// machine gets an empty commit and a new tag only.
	{dir: "compose-extends", checkout: "pycroft", busybox: []string{"docker/base/bin/busybox"}, env: registryTag, namedContexts: true},
	{dir: "service-arg", checkout: "mobile-app-rn-demo", busybox: []string{"common/bin/busybox"}, noPush: true,
		vars:   map[string]string{"BUILD_VERSION": "dev"},
		unread: []string{"imagemake.yaml", "README.md", "docker-compose.build.yml"},
		env: func(_, _, tag string) map[string]string {
			return map[string]string{"BUILD_VERSION": tag}
		}},
}

// TestCorpus is what imagemake must do on real repository shapes (issue 12, item 7), per tree:
// ls: the expected config loads and gives the golden graph; init: `imagemake init` alone finds
// the same images, contexts and edges; build: a real build pushes every image; narrow: each
// image holds the files of a plain `docker build` of its whole context (issue 12, item 1); ci: a
// fresh clone of a new commit with a new tag builds nothing. `-update` rewrites the ls goldens.
func TestCorpus(t *testing.T) {
	engine(t)
	reg := registrytest.Start(t, registrytest.Options{}) // every tree pushes to a namespace of its own
	for _, tree := range corpus {
		t.Run(tree.dir, func(t *testing.T) {
			t.Run("ls", tree.testLs)
			t.Run("init", tree.testInit)
			// The first run's repository, images and daemon outlive its subtest: ci uses them.
			first := &ciRun{tree: tree, host: reg, ns: "corpus" + randomHex(4), failed: true, keep: t}
			t.Cleanup(func() { removeRefs(t, first.refs) })
			t.Run("build", first.testBuild)
			t.Run("narrow", func(t *testing.T) {
				if first.failed {
					t.Skip("the first build failed: no image to compare")
				}
				first.testNarrow(t)
			})
			t.Run("ci", func(t *testing.T) {
				if first.failed {
					t.Skip("the first build failed: nothing to compare with")
				}
				first.testCI(t)
			})
		})
	}
}

func (c corpusTree) src() string { return filepath.Join("testdata", "corpus", c.dir) }

// checkout copies the tree into a fresh folder named like its clone, with busybox and its empty
// folders, and the expected config as imagemake.yaml when withConfig.
func (c corpusTree) checkoutCopy(t *testing.T, withConfig bool) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), c.checkout)
	copyTree(t, filepath.Join(c.src(), "repo"), dir)
	bb := readFile(t, "/bin/busybox")
	for _, p := range c.busybox {
		write(t, filepath.Join(dir, p), bb, 0o755)
	}
	for _, p := range c.emptyDirs {
		if err := os.MkdirAll(filepath.Join(dir, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if withConfig {
		write(t, filepath.Join(dir, "imagemake.yaml"), readFile(t, filepath.Join(c.src(), "expected", "imagemake.yaml")), 0o644)
	}
	return dir
}

// neutralEnv is the environment of the goldens: none of the variables the configs read.
func neutralEnv() map[string]string {
	return map[string]string{"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME")}
}

func (c corpusTree) testLs(t *testing.T) {
	dir := c.checkoutCopy(t, true)
	c.lsGolden(t, dir, "ls.json", c.vars)
	for _, name := range slices.Sorted(maps.Keys(c.goldens)) {
		vars := maps.Clone(c.vars)
		if vars == nil {
			vars = map[string]string{}
		}
		maps.Copy(vars, c.goldens[name])
		c.lsGolden(t, dir, name, vars)
	}
}

// lsGolden compares `ls --json` in dir, with the variables vars set, with expected/NAME.
func (c corpusTree) lsGolden(t *testing.T, dir, name string, vars map[string]string) {
	t.Helper()
	env := neutralEnv()
	maps.Copy(env, vars)
	got := lsOf(t, dir, env, fmt.Sprintf("the expected config (with %v)", vars))
	golden := filepath.Join(c.src(), "expected", name)
	if *updateGolden {
		if !strings.Contains(got, `"name"`) {
			t.Fatalf("not rewriting %s: the config gives no images\n%s", golden, got)
		}
		write(t, golden, got, 0o644)
		return
	}
	want := canonicalJSON(t, readFile(t, golden), golden)
	if got != want {
		t.Errorf("ls --json of expected/imagemake.yaml (with %v) differs from %s (-want +got; -update accepts it):\n%s",
			vars, golden, lineDiff(want, got))
	}
}

// lsOf runs `imagemake ls --json` in dir and returns its output, canonical.
func lsOf(t *testing.T, dir string, env map[string]string, what string) string {
	t.Helper()
	r := &repo{t: t, dir: dir, env: env}
	code, out, errOut := r.run("ls", "--json")
	if code != 0 {
		t.Fatalf("ls --json of %s: exit %d\n%s%s", what, code, out, errOut)
	}
	return canonicalJSON(t, out, "ls --json")
}

// canonicalJSON re-indents a JSON document with its object keys sorted.
func canonicalJSON(t *testing.T, doc, what string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", what, err, doc)
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

// lsGraph is what init must reproduce of `ls --json`: images with their context, Dockerfile,
// target and named contexts (when ls prints them), and edges.
type lsGraph struct {
	Images []struct {
		Name         string            `json:"name"`
		Context      string            `json:"context"`
		Dockerfile   string            `json:"dockerfile"`
		Target       string            `json:"target"`
		Contexts     map[string]string `json:"contexts"`
		DependsOn    []string          `json:"depends_on"`
		Dependencies []lsDepJSON       `json:"dependencies"`
	} `json:"images"`
}

type lsDepJSON struct{ Name, Why string }

func parseGraph(t *testing.T, doc, what string) (lsGraph, map[string]int) {
	t.Helper()
	var g lsGraph
	if err := json.Unmarshal([]byte(doc), &g); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	idx := map[string]int{}
	for i, img := range g.Images {
		idx[img.Name] = i
	}
	return g, idx
}

func (c corpusTree) testInit(t *testing.T) {
	dir := c.checkoutCopy(t, false)
	env := neutralEnv()
	maps.Copy(env, c.vars)
	r := &repo{t: t, dir: dir, env: env}
	code, out, errOut := r.run("init")
	if code != 0 {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	generated := readFile(t, filepath.Join(dir, "imagemake.yaml"))
	for _, want := range c.initSays {
		if !strings.Contains(errOut, want) {
			t.Errorf("init does not say %q; it said:\n%s", want, errOut)
		}
	}
	wantDoc := readFile(t, filepath.Join(c.src(), "expected", "ls.json"))
	gotDoc := lsOf(t, dir, env, "the config init wrote:\n"+generated)
	problems := compareGraphs(t, wantDoc, gotDoc)
	if len(problems) > 0 {
		t.Errorf("init's graph differs from expected/ls.json:\n  %s\ninit said: %s\nthe config init wrote:\n%s",
			strings.Join(problems, "\n  "), strings.TrimSpace(errOut), generated)
	}
}

// compareGraphs lists, one line each, how got's images and edges differ from want's.
func compareGraphs(t *testing.T, wantDoc, gotDoc string) []string {
	t.Helper()
	want, wantIdx := parseGraph(t, wantDoc, "expected/ls.json")
	got, gotIdx := parseGraph(t, gotDoc, "ls --json of init's config")
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(wantIdx)) {
		w := want.Images[wantIdx[name]]
		i, ok := gotIdx[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("no image %q (context %s, dockerfile %s); init's images: %s",
				name, w.Context, w.Dockerfile, strings.Join(slices.Sorted(maps.Keys(gotIdx)), ", ")))
			continue
		}
		g := got.Images[i]
		for _, f := range [][3]string{{"context", w.Context, g.Context}, {"dockerfile", w.Dockerfile, g.Dockerfile}, {"target", w.Target, g.Target}} {
			if f[1] != f[2] {
				problems = append(problems, fmt.Sprintf("%s: %s %q, want %q", name, f[0], f[2], f[1]))
			}
		}
		if !maps.Equal(w.Contexts, g.Contexts) {
			problems = append(problems, fmt.Sprintf("%s: contexts %v, want %v", name, g.Contexts, w.Contexts))
		}
		problems = append(problems, edgeProblems(name, w.Dependencies, g.Dependencies)...)
	}
	for _, name := range slices.Sorted(maps.Keys(gotIdx)) {
		if _, ok := wantIdx[name]; !ok {
			g := got.Images[gotIdx[name]]
			problems = append(problems, fmt.Sprintf("an image %q (context %s, dockerfile %s) the expected config does not have", name, g.Context, g.Dockerfile))
		}
	}
	return problems
}

func edgeProblems(name string, want, got []lsDepJSON) []string {
	why := func(deps []lsDepJSON) map[string]string {
		m := map[string]string{}
		for _, d := range deps {
			m[d.Name] = d.Why
		}
		return m
	}
	w, g := why(want), why(got)
	var problems []string
	for _, dep := range slices.Sorted(maps.Keys(w)) {
		if _, ok := g[dep]; !ok {
			problems = append(problems, fmt.Sprintf("missing edge %s -> %s (expected because: %s)", name, dep, w[dep]))
		}
	}
	for _, dep := range slices.Sorted(maps.Keys(g)) {
		if _, ok := w[dep]; !ok {
			problems = append(problems, fmt.Sprintf("extra edge %s -> %s (init's because: %s)", name, dep, g[dep]))
		}
	}
	return problems
}

// ciRun is the first machine of the CI pair: a git repository of the tree with the expected
// config, built with tag c1.
type ciRun struct {
	tree   corpusTree
	dir    string
	host   string
	ns     string
	failed bool
	refs   []string   // the refs of the runs, removed from the engine between the runs and at the end
	keep   *testing.T // the tree's test: the repository of the first run lives until it ends
}

func (c corpusTree) envFor(host, ns, tag string) map[string]string {
	env := neutralEnv()
	maps.Copy(env, c.env(host, ns, tag))
	return env
}

// testBuild commits the tree to a fresh git repository and builds it with tag c1 into the test
// registry (build --push), as CI does on a commit.
func (run *ciRun) testBuild(t *testing.T) {
	c := run.tree
	dir := c.checkoutCopy(run.keep, true)
	git(t, dir, "init", "-q", "-b", "main")
	for _, p := range c.devFiles {
		write(t, filepath.Join(dir, p), "left by a developer's tools: "+p+"\n", 0o644)
		git(t, dir, "check-ignore", "-q", p) // fails the test unless .gitignore keeps it out
	}
	git(t, dir, "add", "-A")
	for _, sub := range c.submodules { // a submodule not checked out: a gitlink and an empty folder
		git(t, dir, "update-index", "--add", "--cacheinfo", "160000,4b825dc642cb6eb9a060e54bf8d69288fbee4904,"+sub)
	}
	git(t, dir, "commit", "-q", "-m", "c1")
	run.dir = dir
	if len(c.planWarns) > 0 {
		run.expectWarnings(t)
	}
	for _, p := range slices.Sorted(maps.Keys(c.fix)) {
		path := filepath.Join(dir, p)
		write(t, path, readFile(t, path)+c.fix[p], 0o644)
		git(t, dir, "commit", "-q", "-am", "the fix imagemake advised: "+p)
	}
	run.recordRefs(t, dir, "c1")
	names := c.goldenNames(t)
	rs := run.build(t, dir, "c1")
	if problems := expectStatuses(rs, names, "built", "reused", "up-to-date"); len(problems) > 0 {
		t.Fatalf("first build (tag c1):\n  %s", strings.Join(problems, "\n  "))
	}
	run.failed = false
}

// expectWarnings runs `imagemake plan` in the first run's checkout and wants each of planWarns
// on its stderr.
func (run *ciRun) expectWarnings(t *testing.T) {
	t.Helper()
	r := &repo{t: t, dir: run.dir, env: run.tree.envFor(run.host, run.ns, "c1")}
	code, out, errOut := r.run("plan")
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range run.tree.planWarns {
		if !strings.Contains(errOut, want) {
			t.Errorf("plan does not warn %q; its stderr:\n%s", want, errOut)
		}
	}
}

// build runs `imagemake build --output json` (with --push unless the tree can't push) in dir
// with tag, and returns the result events; a non-zero exit fails the test with the reasons.
func (run *ciRun) build(t *testing.T, dir, tag string) map[string]result {
	t.Helper()
	r := &repo{t: t, dir: dir, env: run.tree.envFor(run.host, run.ns, tag)}
	args := []string{"build", "--output", "json"}
	if !run.tree.noPush {
		args = append(args, "--push")
	}
	code, out, errOut := r.run(args...)
	rs := resultsOf(out)
	if code != 0 {
		t.Fatalf("imagemake %s (tag %s): exit %d\n  %s\nstderr:\n%s", strings.Join(args, " "), tag, code,
			strings.Join(describe(rs), "\n  "), tail(errOut, 4000))
	}
	return rs
}

// resultsOf keeps the result events of a JSON output; other lines are ignored.
func resultsOf(out string) map[string]result {
	m := map[string]result{}
	for _, line := range strings.Split(out, "\n") {
		var e struct{ Event, Image, Status, Reason string }
		if json.Unmarshal([]byte(line), &e) == nil && e.Event == "result" {
			m[e.Image] = result{e.Status, e.Reason}
		}
	}
	return m
}

func describe(rs map[string]result) []string {
	var lines []string
	for _, name := range slices.Sorted(maps.Keys(rs)) {
		lines = append(lines, fmt.Sprintf("%s: %s (reason: %s)", name, rs[name].Status, rs[name].Reason))
	}
	return lines
}

// expectStatuses says which of names has no result or a status outside ok, with its reason.
func expectStatuses(rs map[string]result, names []string, ok ...string) []string {
	var problems []string
	for _, name := range names {
		r, found := rs[name]
		switch {
		case !found:
			problems = append(problems, fmt.Sprintf("%s: no result event (the run's images: %s)",
				name, strings.Join(slices.Sorted(maps.Keys(rs)), ", ")))
		case !slices.Contains(ok, r.Status):
			problems = append(problems, fmt.Sprintf("%s: %s (reason: %s)", name, r.Status, r.Reason))
		}
	}
	return problems
}

// goldenNames lists the images of expected/ls.json: those every build must account for.
func (c corpusTree) goldenNames(t *testing.T) []string {
	t.Helper()
	g, _ := parseGraph(t, readFile(t, filepath.Join(c.src(), "expected", "ls.json")), "expected/ls.json")
	var names []string
	for _, img := range g.Images {
		names = append(names, img.Name)
	}
	return names
}

// testNarrow builds each image of the first run again, without imagemake, from the whole
// context (same Dockerfile, args, target and named contexts) and compares the two images'
// files: `docker build` on the engine, or buildctl on a BuildKit daemon for trees whose images
// have named contexts (both pushed, then pulled into the engine to compare).
func (run *ciRun) testNarrow(t *testing.T) {
	if _, err := os.Stat(dockerCLI); err != nil {
		t.Skipf("no Docker CLI at %s", dockerCLI)
	}
	c := engine(t)
	imgs := run.lsImages(t, run.dir, "c1")
	refs := map[string]string{}
	for _, img := range imgs {
		refs[img.Name] = img.Ref
	}
	// The plain build reads a copy of the checkout (its untracked files too) without
	// imagemake's own .imagemake/, which a docker build of the root would otherwise take.
	clean := filepath.Join(t.TempDir(), run.tree.checkout)
	copyTree(t, run.dir, clean)
	plain := run.dockerBuild
	if run.tree.namedContexts {
		d := startBuildkitd(t, run.host)
		plain = func(t *testing.T, dir string, img corpusImage, args map[string]string, ref string) {
			run.buildctl(t, d.addr, dir, img, args, refs, ref)
			pull(t, ref)
			pull(t, img.Ref)
		}
	}
	repoArgs := implicitArgs(imgs)
	for _, img := range imgs {
		t.Run(img.Name, func(t *testing.T) {
			ref := run.host + "/" + run.ns + "/" + img.Name + ":plain-build"
			run.refs = append(run.refs, ref)
			args := maps.Clone(repoArgs)
			maps.Copy(args, img.Args)
			plain(t, clean, img, args, ref)
			if files := assertSameImageFiles(t, c, ref, img.Ref); len(files) == 0 {
				t.Errorf("%s: the plain build gave an image without files", img.Name)
			}
		})
	}
}

// dockerBuild builds img with `docker build` of its whole context in dir, tagged ref.
func (run *ciRun) dockerBuild(t *testing.T, dir string, img corpusImage, buildArgs map[string]string, ref string) {
	t.Helper()
	ctxDir := filepath.Join(dir, filepath.FromSlash(img.Context))
	args := []string{"build", "-q", "--network", "none", "-f", filepath.Join(ctxDir, filepath.FromSlash(img.Dockerfile)), "-t", ref}
	if img.Target != "" {
		args = append(args, "--target", img.Target)
	}
	for _, k := range slices.Sorted(maps.Keys(buildArgs)) {
		args = append(args, "--build-arg", k+"="+buildArgs[k])
	}
	cmd := exec.Command(dockerCLI, append(args, ctxDir)...)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// buildctl builds img on the daemon at addr from its whole context in dir, as `docker buildx
// build --build-context` would: a folder context is sent whole, `image:NAME` is the image NAME
// pushed by the first run. The result is pushed as ref.
func (run *ciRun) buildctl(t *testing.T, addr, dir string, img corpusImage, buildArgs, refs map[string]string, ref string) {
	t.Helper()
	ctxDir := filepath.Join(dir, filepath.FromSlash(img.Context))
	df := filepath.Join(ctxDir, filepath.FromSlash(img.Dockerfile))
	args := []string{"--addr", addr, "build", "--frontend", "dockerfile.v0",
		"--local", "context=" + ctxDir, "--local", "dockerfile=" + filepath.Dir(df), "--opt", "filename=" + filepath.Base(df),
		"--output", "type=image,name=" + ref + ",push=true,registry.insecure=true"}
	if img.Target != "" {
		args = append(args, "--opt", "target="+img.Target)
	}
	for _, k := range slices.Sorted(maps.Keys(buildArgs)) {
		args = append(args, "--opt", "build-arg:"+k+"="+buildArgs[k])
	}
	for _, name := range slices.Sorted(maps.Keys(img.Contexts)) {
		src := img.Contexts[name]
		if image, ok := strings.CutPrefix(src, "image:"); ok {
			args = append(args, "--opt", "context:"+name+"=docker-image://"+refs[image])
		} else {
			args = append(args, "--local", name+"="+filepath.Join(dir, filepath.FromSlash(src)), "--opt", "context:"+name+"=local:"+name)
		}
	}
	cmd := exec.Command(filepath.Join(buildkitdDir(), "buildctl"), args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("buildctl %s: %v\n%s", strings.Join(args, " "), err, tail(string(out), 3000))
	}
}

// pull pulls ref from the test registry into the engine.
func pull(t *testing.T, ref string) {
	t.Helper()
	if out, err := exec.Command(dockerCLI, "pull", "-q", ref).CombinedOutput(); err != nil {
		t.Fatalf("docker pull %s: %v\n%s", ref, err, out)
	}
}

// corpusImage is what testNarrow needs of an image in `ls --json`.
type corpusImage struct {
	Name, Ref, Context, Dockerfile, Target string
	Tags                                   []string
	Args, Contexts                         map[string]string
}

// implicitArgs are the DOCKER_REPO and DOCKER_TAG every build gets: the config's repo and tag,
// read back from the first image whose ref is the default {repo}/{name}:{tag}.
func implicitArgs(imgs []corpusImage) map[string]string {
	for _, img := range imgs {
		at := strings.LastIndex(img.Ref, ":")
		if repo, ok := strings.CutSuffix(img.Ref[:max(at, 0)], "/"+img.Name); ok && at > 0 {
			return map[string]string{"DOCKER_REPO": repo, "DOCKER_TAG": img.Ref[at+1:]}
		}
	}
	return map[string]string{}
}

// lsImages runs `ls --json` in dir under tag.
func (run *ciRun) lsImages(t *testing.T, dir, tag string) []corpusImage {
	t.Helper()
	var out struct{ Images []corpusImage }
	doc := lsOf(t, dir, run.tree.envFor(run.host, run.ns, tag), "the expected config with tag "+tag)
	if err := json.Unmarshal([]byte(doc), &out); err != nil {
		t.Fatal(err)
	}
	return out.Images
}

// recordRefs notes the refs the config in dir gives under tag, to remove them from the engine.
func (run *ciRun) recordRefs(t *testing.T, dir, tag string) {
	t.Helper()
	for _, img := range run.lsImages(t, dir, tag) {
		run.refs = append(run.refs, img.Ref)
		run.refs = append(run.refs, img.Tags...)
	}
}

// testCI is the second machine: a fresh clone of two new commits (an empty one, then comments
// added to imagemake.yaml and to files no build reads), built with tag c2, on an engine without
// the first run's images (unless the tree cannot push). Nothing may build.
func (run *ciRun) testCI(t *testing.T) {
	c := run.tree
	git(t, run.dir, "commit", "-q", "--allow-empty", "-m", "an empty commit")
	for _, p := range c.unread {
		path := filepath.Join(run.dir, p)
		write(t, path, readFile(t, path)+"# edited by the CI pair's second commit\n", 0o644)
		git(t, run.dir, "add", p)
	}
	if len(c.unread) > 0 {
		git(t, run.dir, "commit", "-q", "-m", "c2: edits of files no build reads")
	}
	clone := filepath.Join(t.TempDir(), c.checkout)
	git(t, filepath.Dir(clone), "clone", "-q", run.dir, clone)
	if !c.noPush {
		removeRefs(t, run.refs)
	}
	run.recordRefs(t, clone, "c2")
	names := c.goldenNames(t)
	rs := run.build(t, clone, "c2")
	if problems := expectStatuses(rs, names, "reused", "up-to-date"); len(problems) > 0 {
		t.Errorf("a fresh clone of new commits that change nothing the builds read, with a new tag (c2), must build nothing:\n  %s\nwhat changed, by `imagemake explain` in the first run's checkout with tag c2:\n  %s",
			strings.Join(problems, "\n  "), strings.Join(run.explainAll(t, rs, "c2"), "\n  "))
	}
}

// explainAll tells, for each image the results say was built, what `imagemake explain` finds
// changed in the first run's checkout (which remembers the digests of the first run) under tag.
func (run *ciRun) explainAll(t *testing.T, rs map[string]result, tag string) []string {
	t.Helper()
	var lines []string
	r := &repo{t: t, dir: run.dir, env: run.tree.envFor(run.host, run.ns, tag)}
	for _, name := range slices.Sorted(maps.Keys(rs)) {
		if rs[name].Status != "built" {
			continue
		}
		code, out, errOut := r.run("explain", "--json", name)
		var e struct {
			Reason  string
			Changes []struct{ What, Name, How string }
		}
		if code != 0 || json.Unmarshal([]byte(out), &e) != nil {
			lines = append(lines, fmt.Sprintf("%s: explain: exit %d %s", name, code, strings.TrimSpace(errOut)))
			continue
		}
		var changes []string
		for _, c := range e.Changes {
			changes = append(changes, strings.Join(slices.DeleteFunc([]string{c.What, c.Name, c.How}, func(s string) bool { return s == "" }), " "))
		}
		lines = append(lines, fmt.Sprintf("%s: %s; changes: %s", name, e.Reason, strings.Join(changes, "; ")))
	}
	return lines
}

// removeRefs removes from the engine the images the refs name (with every tag of each).
func removeRefs(t *testing.T, refs []string) {
	c := engine(t)
	ctx := context.Background()
	for _, ref := range refs {
		if img, err := c.ImageInspect(ctx, ref); err == nil {
			c.ImageRemove(ctx, img.ID, image.RemoveOptions{Force: true, PruneChildren: true})
		}
	}
}

// lineDiff shows want and got line by line: a common line as is, a removed one with "-", an
// added one with "+" (a longest common subsequence; the documents are small).
func lineDiff(want, got string) string {
	a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var sb strings.Builder
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			sb.WriteString("  " + a[i] + "\n")
			i, j = i+1, j+1
		case j < len(b) && (i == len(a) || lcs[i][j+1] >= lcs[i+1][j]):
			sb.WriteString("+ " + b[j] + "\n")
			j++
		default:
			sb.WriteString("- " + a[i] + "\n")
			i++
		}
	}
	return sb.String()
}
