package e2e

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/moby/buildkit/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imagemake/imagemake/internal/engine/docker"
	"github.com/imagemake/imagemake/internal/registry/registrytest"
)

// The platform test image: busybox of the target's architecture, and a RUN step that records
// the architecture it ran on (under QEMU for arm64 on this amd64 machine).
const platformsDockerfile = `FROM scratch
ARG TARGETARCH
COPY busybox-${TARGETARCH} /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox uname -m > /arch"]
`

// arm64Busybox is the static arm64 busybox scripts/qemu.sh fetches; without it (or without
// QEMU's binfmt handler) the test is skipped, or fails under IMAGEMAKE_E2E=1.
func arm64Busybox(t *testing.T) string {
	t.Helper()
	p := os.Getenv("IMAGEMAKE_BUSYBOX_ARM64")
	if p == "" {
		p = "/var/cache/imagemake/qemu/busybox-arm64"
	}
	_, err := os.Stat(p)
	if err == nil {
		_, err = os.Stat("/proc/sys/fs/binfmt_misc/qemu-aarch64")
	}
	if err != nil {
		if os.Getenv("IMAGEMAKE_E2E") == "1" {
			t.Fatalf("IMAGEMAKE_E2E=1 but QEMU's arm64 emulation is missing (scripts/qemu.sh sets it up): %v", err)
		}
		t.Skipf("QEMU's arm64 emulation is missing (scripts/qemu.sh sets it up): %v", err)
	}
	return p
}

// platformsRepo is a git checkout whose image app is built for linux/amd64 and linux/arm64
// from app/busybox-amd64 and app/busybox-arm64; app/notes.txt is in the context but read by
// no build step.
func platformsRepo(t *testing.T, registryAddr string) *repo {
	r := tinyRepo(t, registryAddr)
	r.env["DOCKER_TAG"] = "t1"
	write(t, filepath.Join(r.dir, "imagemake.yaml"), "version: 1\nrepo: ${DOCKER_REPO}\ntag: ${DOCKER_TAG}\n"+
		"images:\n  app:\n    context: app\n    platforms: [linux/amd64, linux/arm64]\n    network: none\n", 0o644)
	write(t, filepath.Join(r.dir, "app/Dockerfile"), platformsDockerfile, 0o644)
	write(t, filepath.Join(r.dir, "app/busybox-amd64"), readFile(t, "/bin/busybox"), 0o755)
	write(t, filepath.Join(r.dir, "app/busybox-arm64"), readFile(t, arm64Busybox(t)), 0o755)
	write(t, filepath.Join(r.dir, "app/notes.txt"), r.prefix, 0o644) // new content each run: nothing to reuse
	write(t, filepath.Join(r.dir, ".gitignore"), ".imagemake/\nbase/\n", 0o644)
	git(t, r.dir, "init", "-q", "-b", "main")
	git(t, r.dir, "remote", "add", "origin", "git@git.example.com:acme/app.git")
	git(t, r.dir, "add", "-A")
	git(t, r.dir, "commit", "-q", "-m", "c1")
	return r
}

// TestPlatformsIndex builds one image for linux/amd64 and linux/arm64 on a BuildKit daemon,
// its arm64 RUN step under QEMU, and pushes it as one image index carrying the git
// annotations; a new commit that changes nothing the build reads reuses it; plan checks the
// label of every platform's image; git_annotations: false pushes none.
func TestPlatformsIndex(t *testing.T) {
	addr := registrytest.Start(t, registrytest.Options{})
	r := platformsRepo(t, addr)
	d := startBuildkitd(t, addr)
	if !workerRuns(t, d, "linux/arm64") {
		t.Fatalf("buildkitd does not list linux/arm64 although QEMU's binfmt handler is registered")
	}
	t.Setenv("GIT_COMMITTER_DATE", "2024-05-06T07:08:09Z")
	git(t, r.dir, "commit", "-q", "--amend", "--no-edit")
	c1 := git(t, r.dir, "rev-parse", "HEAD")

	if got := r.build(0, "--push", "--builder", d.addr)["app"]; got.Status != "built" {
		t.Fatalf("app %+v, want built", got)
	}
	idx := pulledIndex(t, r.ref("app"))
	label := checkIndex(t, idx, map[string]string{"linux/amd64": "x86_64", "linux/arm64": "aarch64"})
	want := map[string]string{"org.opencontainers.image.revision": c1, "org.opencontainers.image.created": "2024-05-06T07:08:09Z",
		"org.opencontainers.image.source": "https://git.example.com/acme/app"}
	checkAnnotations(t, idx, want)

	// Commit 2 changes a file no step reads: same inputs, reused; the index keeps commit 1's
	// annotations, since no new image was made.
	write(t, filepath.Join(r.dir, "app/notes.txt"), "unread", 0o644)
	t.Setenv("GIT_COMMITTER_DATE", "2024-06-01T00:00:00Z")
	git(t, r.dir, "commit", "-q", "-am", "c2")
	r.env["DOCKER_TAG"] = "t2"
	if got := r.build(0, "--push", "--builder", d.addr)["app"]; got.Status != "reused" {
		t.Fatalf("commit 2: app %+v, want reused (annotations and unread files are no inputs)", got)
	}
	idx2 := pulledIndex(t, r.ref("app"))
	if checkIndex(t, idx2, nil) != label {
		t.Errorf("commit 2's index holds other inputs")
	}
	checkAnnotations(t, idx2, want)

	// plan reads every platform's label: an index under the inputs tag whose arm64 image was
	// built from other inputs is not this build, and the next build makes it again.
	if st := planStatus(t, r, "app"); st != "in-registry" {
		t.Errorf("plan: app %q, want in-registry", st)
	}
	replaceArm64Label(t, idx2, r.env["DOCKER_REPO"]+"/app")
	if st := planStatus(t, r, "app"); st != "stale" {
		t.Errorf("plan after the arm64 label changed: app %q, want stale", st)
	}
	// Built again, with git_annotations: false (no input: the plan is the same): no annotations.
	cfg := filepath.Join(r.dir, "imagemake.yaml")
	write(t, cfg, readFile(t, cfg)+"git_annotations: false\n", 0o644)
	if got := r.build(0, "--push", "--builder", d.addr)["app"]; got.Status != "built" {
		t.Fatalf("after the arm64 label changed: app %+v, want built", got)
	}
	idx3 := pulledIndex(t, r.ref("app"))
	if checkIndex(t, idx3, nil) != label {
		t.Errorf("the index built again holds other inputs")
	}
	checkAnnotations(t, idx3, map[string]string{"org.opencontainers.image.revision": "", "org.opencontainers.image.source": "",
		"org.opencontainers.image.created": ""})
}

// TestPlatformsRefusedOnEngine: the Docker engine's moby exporter keeps one platform per image
// and pushes no index, so a multi-platform image to build there is refused, naming the image
// and the way out; nothing is stored.
func TestPlatformsRefusedOnEngine(t *testing.T) {
	addr := registrytest.Start(t, registrytest.Options{})
	r := platformsRepo(t, addr)
	code, out, errOut := r.run("build", "--push", "--output", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"image app: platforms linux/amd64, linux/arm64:", "stores one platform per image", "builders:"} {
		if !strings.Contains(out+errOut, want) {
			t.Errorf("output lacks %q:\n%s\n%s", want, out, errOut)
		}
	}
	if st := results(t, out)["app"].Status; st != "failed" {
		t.Errorf("app %q, want failed", st)
	}
	if exists(t, r.ref("app")) {
		t.Errorf("%s was pushed", r.ref("app"))
	}
}

// TestPlatformArm64OnEngine builds an image of platform: linux/arm64 on the Docker engine, its
// RUN step under QEMU. The Dockerfile is read for arm64 as the build runs it: COPY
// bin/${TARGETARCH}/app reads bin/arm64 only, so a change to bin/amd64 rebuilds nothing and
// one to bin/arm64 does.
func TestPlatformArm64OnEngine(t *testing.T) {
	prefix := "e2e" + randomHex(4)
	r := &repo{t: t, dir: t.TempDir(), prefix: prefix, docker: engine(t), env: map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME"), "DOCKER_REPO": prefix, "DOCKER_TAG": "t1"}}
	t.Cleanup(r.removeImages)
	write(t, filepath.Join(r.dir, "imagemake.yaml"), "version: 1\nrepo: ${DOCKER_REPO}\ntag: ${DOCKER_TAG}\n"+
		"images:\n  app:\n    context: app\n    platform: linux/arm64\n    network: none\n", 0o644)
	writeArchApp(t, r)

	if got := r.build(0)["app"]; got.Status != "built" {
		t.Fatalf("app %+v, want built", got)
	}
	img, err := r.docker.ImageInspect(context.Background(), r.ref("app"))
	if err != nil {
		t.Fatal(err)
	}
	if img.Os+"/"+img.Architecture != "linux/arm64" {
		t.Errorf("the engine holds a %s/%s image, want linux/arm64", img.Os, img.Architecture)
	}
	write(t, filepath.Join(r.dir, "app/bin/amd64/app"), "changed", 0o644)
	if got := r.build(0)["app"]; got.Status != "up-to-date" {
		t.Errorf("after bin/amd64/app changed: app %+v, want up-to-date (an arm64 build does not read it)", got)
	}
	write(t, filepath.Join(r.dir, "app/bin/arm64/app"), "changed", 0o644)
	if got := r.build(0)["app"]; got.Status != "built" || !strings.Contains(got.Reason, "bin/arm64/app") {
		t.Errorf("after bin/arm64/app changed: app %+v, want built naming the file", got)
	}
}

// writeArchApp writes app/, an image that reads the files of its target architecture only
// (busybox-${TARGETARCH}, bin/${TARGETARCH}/app) and whose RUN step must run on aarch64.
func writeArchApp(t *testing.T, r *repo) {
	t.Helper()
	write(t, filepath.Join(r.dir, "app/Dockerfile"), `FROM scratch
ARG TARGETARCH
COPY busybox-${TARGETARCH} /bin/busybox
COPY bin/${TARGETARCH}/app /app
RUN ["/bin/busybox", "sh", "-c", "test \"$(/bin/busybox uname -m)\" = aarch64 && /bin/busybox cat /app"]
`, 0o644)
	write(t, filepath.Join(r.dir, "app/busybox-arm64"), readFile(t, arm64Busybox(t)), 0o755)
	write(t, filepath.Join(r.dir, "app/busybox-amd64"), readFile(t, "/bin/busybox"), 0o755)
	write(t, filepath.Join(r.dir, "app/bin/arm64/app"), r.prefix, 0o644)
	write(t, filepath.Join(r.dir, "app/bin/amd64/app"), r.prefix, 0o644)
}

// TestPlatformOfTheBuilder builds an image without platform: on a BuildKit daemon whose worker
// is linux/arm64 (under QEMU here): imagemake asks the builder before planning and reads the
// Dockerfile for arm64, as the build runs it. COPY bin/${TARGETARCH}/app reads bin/arm64 only:
// a change to bin/amd64 rebuilds nothing, one to bin/arm64 does.
func TestPlatformOfTheBuilder(t *testing.T) {
	addr := registrytest.Start(t, registrytest.Options{})
	r := tinyRepo(t, addr)
	r.env["DOCKER_TAG"] = "t1"
	d := startBuildkitd(t, addr, "--oci-worker-platform", "linux/arm64")
	write(t, filepath.Join(r.dir, "imagemake.yaml"), "version: 1\nrepo: ${DOCKER_REPO}\ntag: ${DOCKER_TAG}\n"+
		"builders: ["+d.addr+"]\nimages:\n  app:\n    context: app\n", 0o644)
	writeArchApp(t, r)
	write(t, filepath.Join(r.dir, ".gitignore"), ".imagemake/\nbase/\n", 0o644)
	git(t, r.dir, "init", "-q", "-b", "main")
	git(t, r.dir, "add", "-A")
	git(t, r.dir, "commit", "-q", "-m", "c1")

	if got := r.build(0, "--push")["app"]; got.Status != "built" {
		t.Fatalf("app %+v, want built", got)
	}
	nr, err := name.ParseReference(r.ref("app"), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(nr)
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := img.ConfigFile(); err != nil || cfg.Architecture != "arm64" {
		t.Fatalf("pushed image config %+v (%v), want arm64", cfg, err)
	}
	// One platform, one manifest: the git annotations are on it (no remote: no source).
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.Annotations["org.opencontainers.image.revision"] != git(t, r.dir, "rev-parse", "HEAD") || m.Annotations["org.opencontainers.image.source"] != "" {
		t.Errorf("manifest annotations %v, want the revision of HEAD", m.Annotations)
	}
	write(t, filepath.Join(r.dir, "app/bin/amd64/app"), "changed", 0o644)
	if st := planStatus(t, r, "app"); st != "in-registry" {
		t.Errorf("after bin/amd64/app changed: plan says %q, want in-registry (an arm64 build does not read it)", st)
	}
	write(t, filepath.Join(r.dir, "app/bin/arm64/app"), "changed", 0o644)
	if st := planStatus(t, r, "app"); st != "stale" {
		t.Errorf("after bin/arm64/app changed: plan says %q, want stale", st)
	}
	if got := r.build(0, "--push")["app"]; got.Status != "built" {
		t.Errorf("after bin/arm64/app changed: app %+v, want built", got)
	}
}

// workerRuns tells whether the daemon's worker lists platform.
func workerRuns(t *testing.T, d *bkDaemon, platform string) bool {
	t.Helper()
	c, err := client.New(context.Background(), d.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ws, err := c.ListWorkers(context.Background())
	if err != nil || len(ws) == 0 {
		t.Fatalf("ListWorkers: %v", err)
	}
	return slices.ContainsFunc(ws[0].Platforms, func(p ocispecs.Platform) bool { return p.OS+"/"+p.Architecture == platform })
}

func pulledIndex(t *testing.T, ref string) v1.ImageIndex {
	t.Helper()
	nr, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(nr)
	if err != nil {
		t.Fatalf("%s is no index: %v", ref, err)
	}
	return idx
}

// checkIndex checks that idx holds exactly one image per platform of arch (platform ->
// the `uname -m` its RUN step recorded; nil: not checked) with one inputs label, and returns
// that label.
func checkIndex(t *testing.T, idx v1.ImageIndex, arch map[string]string) string {
	t.Helper()
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]bool{}
	var platforms []string
	for _, desc := range m.Manifests {
		if desc.Platform == nil || desc.Platform.OS == "unknown" {
			continue // an attestation
		}
		p := desc.Platform.OS + "/" + desc.Platform.Architecture
		platforms = append(platforms, p)
		img, err := idx.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		labels[cfg.Config.Labels[docker.InputsLabel]] = true
		if arch == nil {
			continue
		}
		if cfg.Architecture != desc.Platform.Architecture {
			t.Errorf("%s: config says %s", p, cfg.Architecture)
		}
		if got := fileOf(t, img, "arch"); strings.TrimSpace(got) != arch[p] {
			t.Errorf("%s: RUN ran on %q, want %q", p, got, arch[p])
		}
	}
	if slices.Sort(platforms); !slices.Equal(platforms, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("index platforms %q", platforms)
	}
	if len(labels) != 1 {
		t.Fatalf("labels %v: want one inputs label on every platform", labels)
	}
	for l := range labels {
		return l
	}
	return ""
}

// checkAnnotations checks the annotations of the index and of each of its images.
func checkAnnotations(t *testing.T, idx v1.ImageIndex, want map[string]string) {
	t.Helper()
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, got map[string]string) {
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s annotation %s = %q, want %q", what, k, got[k], v)
			}
		}
	}
	check("index", m.Annotations)
	for _, desc := range m.Manifests {
		if desc.Platform == nil || desc.Platform.OS == "unknown" {
			continue
		}
		img, err := idx.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		im, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		check(desc.Platform.Architecture+" manifest", im.Annotations)
	}
}

// fileOf is the content of the file at path in img's flattened filesystem.
func fileOf(t *testing.T, img v1.Image, path string) string {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("no %s in the image", path)
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimPrefix(h.Name, "/") == path {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
}

// planStatus is the status `plan --json` gives image.
func planStatus(t *testing.T, r *repo, image string) string {
	t.Helper()
	code, out, errOut := r.run("plan", "--json")
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
	}
	var p struct {
		Images []struct{ Name, Status, Inputs string }
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("plan --json: %v\n%s", err, out)
	}
	for _, img := range p.Images {
		if img.Name == image {
			return img.Status
		}
	}
	t.Fatalf("plan --json has no %s:\n%s", image, out)
	return ""
}

// replaceArm64Label pushes under every tag of repo an index of idx's amd64 image and its arm64
// image with another inputs label, as if the arm64 image had been built from other inputs.
func replaceArm64Label(t *testing.T, idx v1.ImageIndex, repo string) {
	t.Helper()
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	out := v1.ImageIndex(empty.Index)
	for _, desc := range m.Manifests {
		if desc.Platform == nil || desc.Platform.OS == "unknown" {
			continue
		}
		img, err := idx.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if desc.Platform.Architecture == "arm64" {
			cfg, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			cfg = cfg.DeepCopy()
			cfg.Config.Labels[docker.InputsLabel] = "sha256:" + strings.Repeat("0", 64)
			if img, err = mutate.ConfigFile(img, cfg); err != nil {
				t.Fatal(err)
			}
		}
		out = mutate.AppendManifests(out, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: desc.Platform}})
	}
	r, err := name.NewRepository(repo, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	tags, err := remote.List(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range tags {
		if err := remote.WriteIndex(r.Tag(tag), out); err != nil {
			t.Fatalf("pushing %s:%s: %v", repo, tag, err)
		}
	}
}
