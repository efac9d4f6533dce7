package e2e

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/imagemake/imagemake/internal/engine/docker"
	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/plan"
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
// on an image whose content disagrees with its label.
func TestSameSizeEditDuringBuild(t *testing.T) {
	r := raceProject(t, "3")
	a := filepath.Join(r.dir, "child", "a.txt")
	done := make(chan [3]string, 1)
	go func() {
		code, out, errOut := r.run("build", "--progress", "plain")
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
	checkConsistent(t, r, "", "", map[string]string{})
}

// raceStats counts the trials of TestRaceSameSizeEdits.
type raceStats struct {
	trials, changed, consistent, pushed int
}

// TestRaceSameSizeEdits edits child/a.txt, keeping its size, at a random moment of a build of
// the child: 30 trials, half of them `build --push` to a registry on loopback.
// After each, every label, recorded manifest and inputs tag that names a digest of one of
// the trial's two contents must hold that content; a build either is consistent or fails
// saying the file changed.
func TestRaceSameSizeEdits(t *testing.T) {
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
	const trials = 30
	for i := range trials {
		push := i%2 == 1
		x, y := randomHex(8), randomHex(8) // the same size, other bytes
		write(t, a, x, 0o644)
		args := []string{"build", "--format", "json"}
		if push {
			args = append(args, "--push")
		}
		done := make(chan [3]string, 1)
		go func() {
			code, out, errOut := r.run(args...)
			done <- [3]string{fmt.Sprint(code), out, errOut}
		}()
		time.Sleep(rand.N(window))
		write(t, a, y, 0o644)
		got := <-done
		st.trials++
		trial := fmt.Sprintf("trial %d (push %v)", i, push)
		switch {
		case got[0] == "0":
			st.consistent++
		case got[0] == "1" && strings.Contains(got[1]+got[2], changedMessage):
			st.changed++
		default:
			t.Errorf("%s: build exit %s, neither built nor failed saying %q\n%s\n%s", trial, got[0], changedMessage, got[1], got[2])
		}
		if push && got[0] == "0" {
			st.pushed++
		}
		digests := map[string]string{}
		digests[planInputs(t, r, "child")] = y
		write(t, a, x, 0o644)
		digests[planInputs(t, r, "child")] = x
		reg := ""
		if push {
			reg = addr
		}
		if !checkConsistent(t, r, trial, reg, digests) {
			t.Logf("%s: build output\n%s\n%s", trial, got[1], got[2])
		}
	}
	t.Logf("race: %d trials in %v (window %v): %d failed saying a.txt changed while building, %d built consistent (%d of them pushed); every label, recorded manifest and inputs tag checked against the image's content",
		st.trials, time.Since(start).Round(time.Second), window.Round(time.Millisecond), st.changed, st.consistent, st.pushed)
	if st.changed+st.consistent != st.trials {
		t.Errorf("%d of %d trials ended otherwise", st.trials-st.changed-st.consistent, st.trials)
	}
}

// planInputs returns the inputs digest plan gives image now.
func planInputs(t *testing.T, r *repo, image string) string {
	t.Helper()
	e, _ := r.planImage(image)
	return e.Inputs
}

// checkConsistent checks that what names an inputs digest of child holds what that digest
// says: the engine's image (its label), the manifest .imagemake/ recorded for it, and, with a
// registry, its pushed ref and inputs tags. digests maps each digest the trial's contents of
// a.txt have to that content. It returns false when something disagrees.
func checkConsistent(t *testing.T, r *repo, trial, reg string, digests map[string]string) bool {
	t.Helper()
	ok := true
	fail := func(format string, args ...any) {
		t.Errorf(trial+": "+format, args...)
		ok = false
	}
	label, content, found := engineImage(t, r, r.ref("child"))
	if want, named := digests[label]; found && named && content != want {
		fail("the engine's child is labelled %s (a.txt %q) but holds a.txt %q", short(label), want, content)
	}
	state := inputs.OpenState(r.dir)
	if last := state.LastSeenDigest("child"); last != "" {
		if !found || last != label {
			fail(".imagemake/ records child as built with %s, the engine's child is labelled %q", short(last), label)
		}
		m, err := state.Load("child", last)
		if err != nil || m == nil {
			fail("the recorded manifest %s of child: %v", short(last), err)
		} else if v := fileValue(m.Files(), "a.txt"); found && !strings.HasSuffix(v, " "+sha256Hex(content)) {
			fail("the recorded manifest %s says a.txt is %q, the image holds %q", short(last), v, content)
		}
	}
	if reg == "" {
		return ok
	}
	refs := []string{r.ref("child")}
	for d := range digests {
		refs = append(refs, r.env["DOCKER_REPO"]+"/child:"+plan.InputsTagPrefix+strings.TrimPrefix(d, "sha256:")[:16])
	}
	for i, ref := range refs {
		label, content, found := registryImage(t, ref)
		if !found {
			continue
		}
		if want, named := digests[label]; named && content != want {
			fail("the registry's %s is labelled %s (a.txt %q) but holds a.txt %q", ref, short(label), want, content)
		}
		if i > 0 && !strings.HasSuffix(ref, strings.TrimPrefix(label, "sha256:")[:16]) {
			fail("the inputs tag %s holds an image labelled %s", ref, label)
		}
	}
	return ok
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

// registryImage returns the inputs label of ref in the registry and the content of its /a.txt;
// found is false when the registry has no ref.
func registryImage(t *testing.T, ref string) (label, content string, found bool) {
	t.Helper()
	nr, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(nr)
	if err != nil {
		return "", "", false
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
	return cfg.Config.Labels[docker.InputsLabel], content, true
}
