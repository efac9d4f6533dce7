package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/imagemake/imagemake/internal/engine/docker"
	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/plan"
	"github.com/imagemake/imagemake/internal/registry"
	"github.com/imagemake/imagemake/internal/registry/registrytest"
)

// changedMessage is how a build says a file of its context changed after it was hashed.
const changedMessage = "a.txt changed while building; run again"

// raceProject is a base whose RUN step takes a while (a marker names it in the process table)
// and a child built FROM it that copies child/a.txt: the child's context is sent once the base
// is built, a whole base build after it was hashed.
func raceProject(t *testing.T, baseSleep string) *repo {
	t.Helper()
	r := newProject(t, map[string]string{
		"imagemake.yaml": "version: 1\nrepo: ${DOCKER_REPO}\ntag: ${DOCKER_TAG}\nimages:\n" +
			"  base:\n    context: base\n    network: none\n" +
			"  child:\n    context: child\n    network: none\n    args: {BASE: \"${DOCKER_REPO}/base:${DOCKER_TAG}\"}\n",
		"base/busybox":     "busybox",
		"base/stamp":       "0",
		"child/Dockerfile": "ARG BASE\nFROM ${BASE}\nCOPY a.txt /a.txt\n",
		"child/a.txt":      "AAAA\n",
	})
	write(t, filepath.Join(r.dir, "base", "Dockerfile"), busyboxDockerfile+
		"COPY stamp /stamp\nRUN sleep "+baseSleep+"; : "+r.prefix+"-base\n", 0o644)
	return r
}

// TestSameSizeEditDuringBuild is issue 16's first case: a.txt edited to other bytes of the same
// size while the base builds, then edited back. The child's build fails saying so, rather than
// being labelled with the digest of AAAA while it holds BBBB; plan --check then does not pass
// on an image whose content disagrees with its label. On the engine, and with --push on a
// BuildKit daemon, whose file sync is BuildKit's of today (the engine's is v0.8's).
func TestSameSizeEditDuringBuild(t *testing.T) {
	t.Run("engine", func(t *testing.T) {
		r := raceProject(t, "3")
		sameSizeEdit(t, r, "build", "--progress", "plain")
	})
	t.Run("daemon", func(t *testing.T) {
		addr := registrytest.Start(t, registrytest.Options{})
		d := startBuildkitd(t, addr)
		r := raceProject(t, "3")
		r.env["DOCKER_REPO"] = addr + "/" + r.prefix
		sameSizeEdit(t, r, "build", "--push", "--builder", d.addr, "--progress", "plain")
		if !checkRegistry(t, r, "after a.txt was edited back", map[string]string{}) {
			t.Error("the registry holds a child that disagrees with its inputs")
		}
		if exists(t, r.ref("child")) {
			t.Errorf("%s was pushed by a build that failed", r.ref("child"))
		}
	})
}

// sameSizeEdit runs imagemake args in r, edits child/a.txt while the base's RUN step runs,
// and checks the outcome once a.txt is edited back.
func sameSizeEdit(t *testing.T, r *repo, args ...string) {
	t.Helper()
	a := filepath.Join(r.dir, "child", "a.txt")
	done := make(chan [3]string, 1)
	go func() {
		code, out, errOut := r.run(args...)
		done <- [3]string{fmt.Sprint(code), out, errOut}
	}()
	for start := time.Now(); !buildRunning(r.prefix + "-base"); time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > 60*time.Second {
			t.Fatalf("the base's RUN step did not run within 60s")
		}
	}
	write(t, a, "BBBB\n", 0o644)
	got := <-done
	write(t, a, "AAAA\n", 0o644)
	if got[0] != "1" || !strings.Contains(got[1]+got[2], changedMessage) {
		t.Errorf("build with a.txt edited while the base built: exit %s, want 1 saying %q\n%s\n%s", got[0], changedMessage, got[1], got[2])
	}
	code, out, errOut := r.run("plan", "--check")
	if code == 0 {
		if content := imageFile(t, r, r.ref("child"), "a.txt"); content != "AAAA\n" {
			t.Errorf("plan --check passes, but child's a.txt holds %q, not AAAA\n%s\n%s", content, out, errOut)
		}
	}
	checkEngine(t, r, "after a.txt was edited back")
}

// raceStats counts the trials of TestRaceSameSizeEdits.
type raceStats struct {
	trials, changed, built, pushed, inconsistent int
}

// TestRaceSameSizeEdits edits child/a.txt, keeping its size, at a random moment of a build of
// the child: 30 trials, half of them `build --push` to a registry on loopback. After each,
// what names an inputs digest of child (the engine's label, .imagemake/'s record, the
// registry's ref and inputs tags, the inputs manifests published beside them) must hold the
// a.txt that digest's manifest says; a build either is so or fails saying the file changed.
func TestRaceSameSizeEdits(t *testing.T) {
	bin := binary(t) // faster than in-process under -race: the trials are timed by its builds
	addr := registrytest.Start(t, registrytest.Options{})
	r := raceProject(t, "0")
	r.env["DOCKER_REPO"] = addr + "/" + r.prefix
	start := time.Now()
	r.build(0)
	// The base stays built: a trial builds the child, whose context is sent some way into
	// its build. Edits land at random in the time a build of the child takes.
	a := filepath.Join(r.dir, "child", "a.txt")
	write(t, a, randomHex(8), 0o644)
	begin := time.Now()
	r.build(0)
	window := time.Since(begin)
	var st raceStats
	checked := map[string]string{} // registry tags checked, by image digest
	const trials = 30
	for i := range trials {
		push := i%2 == 1
		write(t, a, randomHex(8), 0o644)
		args := []string{"-C", r.dir, "build", "--format", "json"}
		if push {
			args = append(args, "--push")
		}
		cmd := exec.Command(bin, args...)
		for k, v := range r.env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(rand.N(window))
		write(t, a, randomHex(8), 0o644) // the same size, other bytes
		err := cmd.Wait()
		st.trials++
		trial := fmt.Sprintf("trial %d (push %v)", i, push)
		switch {
		case err == nil:
			st.built++
		case cmd.ProcessState.ExitCode() == 1 && strings.Contains(out.String(), changedMessage):
			st.changed++
		default:
			t.Errorf("%s: build %v, neither built nor failed saying %q\n%s", trial, err, changedMessage, out.String())
		}
		if push && err == nil {
			st.pushed++
		}
		ok := checkEngine(t, r, trial)
		if push {
			ok = checkRegistry(t, r, trial, checked) && ok
		}
		if !ok {
			st.inconsistent++
			t.Logf("%s: build output\n%s", trial, out.String())
		}
	}
	t.Logf("race: %d trials in %v (a child build: %v): %d failed saying a.txt changed while building, %d built (%d of them pushed); %d left a label, recorded manifest or inputs tag disagreeing with the image's content",
		st.trials, time.Since(start).Round(time.Second), window.Round(time.Millisecond), st.changed, st.built, st.pushed, st.inconsistent)
	if st.changed+st.built != st.trials {
		t.Errorf("%d of %d trials ended otherwise", st.trials-st.changed-st.built, st.trials)
	}
}

// checkEngine checks that the engine's child holds the a.txt that the manifest .imagemake/
// recorded for its label says, and that .imagemake/ records child as built with that label.
// It returns false when something disagrees.
func checkEngine(t *testing.T, r *repo, trial string) bool {
	t.Helper()
	label, content, found := engineImage(t, r, r.ref("child"))
	state := inputs.OpenState(r.dir)
	last := state.LastSeenDigest("child")
	switch {
	case !found && last == "":
		return true
	case !found || last != label:
		t.Errorf("%s: .imagemake/ records child as built with %q, the engine's child is labelled %q", trial, last, label)
		return false
	}
	m, err := state.Load("child", label)
	if err != nil || m == nil {
		t.Errorf("%s: no recorded manifest for the engine's child, labelled %s: %v", trial, label, err)
		return false
	}
	return agree(t, trial, "the engine's "+r.ref("child"), ".imagemake/", label, content, m)
}

// checkRegistry checks the registry's child ref and every inputs tag of child not checked
// before (checked: tag -> image digest): each holds the a.txt its label's inputs manifest says
// (the one published beside the inputs tag, else the one .imagemake/ recorded), and an inputs
// tag names its image's label.
func checkRegistry(t *testing.T, r *repo, trial string, checked map[string]string) bool {
	t.Helper()
	repoName := r.env["DOCKER_REPO"] + "/child"
	nr, err := name.NewRepository(repoName, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	tags, err := remote.List(nr)
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return true // nothing pushed yet
	}
	if err != nil {
		t.Fatalf("%s: listing %s: %v", trial, repoName, err)
	}
	ok := true
	for _, tag := range tags {
		if strings.HasSuffix(tag, ".inputs") || (tag != r.env["DOCKER_TAG"] && !strings.HasPrefix(tag, plan.InputsTagPrefix)) {
			continue
		}
		ref := repoName + ":" + tag
		id, label, content := registryImage(t, ref)
		if checked[tag] == id {
			continue
		}
		checked[tag] = id
		if inputsTag := strings.HasPrefix(tag, plan.InputsTagPrefix); inputsTag && tag != plan.InputsTagPrefix+strings.TrimPrefix(label, "sha256:")[:16] {
			t.Errorf("%s: the inputs tag %s holds an image labelled %s", trial, ref, label)
			ok = false
		}
		where, m := "the published inputs manifest", publishedManifest(t, repoName+":"+plan.InputsTagPrefix+strings.TrimPrefix(label, "sha256:")[:16]+".inputs")
		if m == nil {
			where, m = ".imagemake/", mustLoad(t, r, label)
		}
		ok = agree(t, trial, "the registry's "+ref, where, label, content, m) && ok
	}
	return ok
}

// agree checks that an image labelled label holding a.txt content agrees with m, the inputs
// manifest of label that where holds.
func agree(t *testing.T, trial, image, where, label, content string, m *inputs.Manifest) bool {
	t.Helper()
	if v := fileValue(m.Files(), "a.txt"); m.Digest != label || !strings.HasSuffix(v, " "+sha256Hex(content)) {
		t.Errorf("%s: %s is labelled %s and holds a.txt %q (sha256 %s), but the inputs manifest %s in %s says a.txt is %q",
			trial, image, short(label), content, sha256Hex(content)[:12], short(m.Digest), where, v)
		return false
	}
	return true
}

func mustLoad(t *testing.T, r *repo, digest string) *inputs.Manifest {
	t.Helper()
	m, err := inputs.OpenState(r.dir).Load("child", digest)
	if err != nil || m == nil {
		t.Fatalf("no manifest of child %s in .imagemake/: %v", digest, err)
	}
	return m
}

// publishedManifest returns the inputs manifest build --push stored as ref; nil when none.
func publishedManifest(t *testing.T, ref string) *inputs.Manifest {
	t.Helper()
	doc, err := registry.New().FetchInputs(context.Background(), ref)
	if errors.Is(err, registry.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatalf("the inputs manifest %s: %v", ref, err)
	}
	var m inputs.Manifest
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("the inputs manifest %s: %v", ref, err)
	}
	return &m
}

func short(digest string) string { return strings.TrimPrefix(digest, "sha256:")[:12] }

func fileValue(files inputs.Files, name string) string {
	for _, f := range files {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// engineImage returns the inputs label of ref in the engine and the content of its /a.txt;
// found is false when the engine has no ref.
func engineImage(t *testing.T, r *repo, ref string) (label, content string, found bool) {
	t.Helper()
	img, err := r.docker.ImageInspect(context.Background(), ref)
	if err != nil {
		return "", "", false
	}
	return img.Config.Labels[docker.InputsLabel], imageFile(t, r, ref, "a.txt"), true
}

// imageFile returns the content of a file at the root of image ref in the engine, as `docker
// create` + `docker export` give it.
func imageFile(t *testing.T, r *repo, ref, file string) string {
	t.Helper()
	ctx := context.Background()
	created, err := r.docker.ContainerCreate(ctx, &container.Config{Image: ref, Cmd: []string{"/nothing"}},
		&container.HostConfig{NetworkMode: "none"}, nil, nil, "")
	if err != nil {
		t.Fatalf("create a container of %s: %v", ref, err)
	}
	defer r.docker.ContainerRemove(ctx, created.ID, container.RemoveOptions{Force: true})
	rc, err := r.docker.ContainerExport(ctx, created.ID)
	if err != nil {
		t.Fatalf("export %s: %v", ref, err)
	}
	defer rc.Close()
	content, err := fileInTar(rc, file)
	if err != nil {
		t.Fatalf("%s in %s: %v", file, ref, err)
	}
	return content
}

// fileInTar returns the content of the member name ("./" aside) of a tar.
func fileInTar(r io.Reader, name string) (string, error) {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return "", fmt.Errorf("no %s", name)
		}
		if err != nil {
			return "", err
		}
		if strings.TrimPrefix(h.Name, "./") == name {
			b, err := io.ReadAll(tr)
			return string(b), err
		}
	}
}

// registryImage returns the image digest of ref in the registry, its inputs label and the
// content of its /a.txt.
func registryImage(t *testing.T, ref string) (id, label, content string) {
	t.Helper()
	nr, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(nr)
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	content, err = fileInTar(rc, "a.txt")
	if err != nil {
		t.Fatalf("a.txt in %s: %v", ref, err)
	}
	return d.String(), cfg.Config.Labels[docker.InputsLabel], content
}
