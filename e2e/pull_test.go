package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/imagemake/imagemake/internal/registry/registrytest"
)

// baseImage is a base image no project builds: busybox and /etc/version holding version, for
// this machine's platform.
func baseImage(t *testing.T, version string) v1.Image {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{{"bin/busybox", 0o755, []byte(readFile(t, "/bin/busybox"))}, {"etc/version", 0o644, []byte(version)}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(f.data)
	}
	tw.Close()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", runtime.GOARCH
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// fileIn reads path from image ref, through a container created and never started.
func fileIn(t *testing.T, r *repo, ref, path string) string {
	t.Helper()
	ctx := context.Background()
	c, err := r.docker.ContainerCreate(ctx, &container.Config{Image: ref, Cmd: []string{"/bin/busybox", "true"}}, nil, nil, nil, "")
	if err != nil {
		t.Fatalf("creating a container of %s: %v", ref, err)
	}
	defer r.docker.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
	rc, _, err := r.docker.CopyFromContainer(ctx, c.ID, path)
	if err != nil {
		t.Fatalf("reading %s of %s: %v", path, ref, err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	if _, err := tr.Next(); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(tr)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// planOf runs plan --format json with args and returns the image's status and reason.
func planOf(t *testing.T, r *repo, image string, args ...string) result {
	t.Helper()
	code, out, errOut := r.run(append([]string{"plan", "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("plan %v: exit %d\n%s\n%s", args, code, out, errOut)
	}
	var p struct {
		Images []struct{ Name, Status, Reason string }
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("plan %v: %v\n%s", args, err, out)
	}
	for _, pi := range p.Images {
		if pi.Name == image {
			return result{pi.Status, pi.Reason}
		}
	}
	t.Fatalf("plan %v does not show %s:\n%s", args, image, out)
	return result{}
}

// TestPullBaseMovedUpstream: an external base pushed to a loopback registry; a child built on
// it with --pull; the base's tag moved to another image. plan --pull says the child is stale
// because its base changed upstream, plan alone that it is up to date, and build --pull
// builds it on the new base. A base the registry lacks fails --pull naming base and image.
func TestPullBaseMovedUpstream(t *testing.T) {
	addr := registrytest.Start(t, registrytest.Options{})
	r := newProject(t, map[string]string{
		"imagemake.yaml":   "repo: ${DOCKER_REPO}\ntag: ${DOCKER_TAG}\nimages:\n  child: {context: child, network: none, args: {BASE: \"${BASE}\"}}\n",
		"child/Dockerfile": "ARG BASE\nFROM ${BASE}\nRUN [\"/bin/busybox\", \"sh\", \"-c\", \"/bin/busybox cat /etc/version > /seen\"]\n",
	})
	base := addr + "/" + r.prefix + "-ext/python:3.12"
	r.env["BASE"] = base
	ref, err := name.ParseReference(base, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, baseImage(t, "A "+r.prefix)); err != nil {
		t.Fatal(err)
	}
	if got := r.build(0, "--pull"); got["child"].Status != "built" {
		t.Fatalf("build --pull: %v", got)
	}
	if seen := fileIn(t, r, r.ref("child"), "/seen"); seen != "A "+r.prefix {
		t.Fatalf("child built on %q, want A", seen)
	}

	if err := remote.Write(ref, baseImage(t, "B "+r.prefix)); err != nil { // moved upstream
		t.Fatal(err)
	}
	if got := planOf(t, r, "child", "--pull"); got.Status != "stale" || !strings.HasPrefix(got.Reason, "base image "+base+" changed upstream (sha256:") {
		t.Errorf("plan --pull after the base moved: %+v, want stale, base image %s changed upstream", got, base)
	}
	if got := planOf(t, r, "child"); got.Status != "up-to-date" {
		t.Errorf("plan without --pull after the base moved: %+v, want up-to-date (the engine's base taken as it is)", got)
	}
	if got := r.build(0, "--pull"); got["child"].Status != "built" {
		t.Fatalf("build --pull after the base moved: %v", got)
	}
	if seen := fileIn(t, r, r.ref("child"), "/seen"); seen != "B "+r.prefix {
		t.Errorf("child rebuilt on %q, want the base's new image, B", seen)
	}

	r.env["BASE"] = addr + "/" + r.prefix + "-ext/python:gone"
	code, out, errOut := r.run("plan", "--pull")
	if code != 1 || !strings.Contains(errOut, `image "child": base image `+r.env["BASE"]) || !strings.Contains(errOut, "not found") {
		t.Errorf("plan --pull with a base the registry lacks: exit %d, want 1 naming the image and the base\n%s\n%s", code, out, errOut)
	}
}
