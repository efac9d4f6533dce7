package e2e

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

// sshHost is the host alias scripts/sshd.sh sets up (an sshd on 127.0.0.1, root, a test key),
// failing or skipping the test without it. Its -b twin lands where DOCKER_HOST is the second
// engine's (scripts/engine2.sh), as another machine would.
func sshHost(t *testing.T) string {
	t.Helper()
	host := os.Getenv("IMAGEMAKE_SSH_HOST")
	if host == "" {
		if os.Getenv("IMAGEMAKE_E2E") == "1" {
			t.Fatal("IMAGEMAKE_E2E=1 but IMAGEMAKE_SSH_HOST is not set: scripts/sshd.sh sets up the ssh:// tests")
		}
		t.Skip("IMAGEMAKE_SSH_HOST is not set (scripts/sshd.sh)")
	}
	return host
}

// sshImageIDs returns the ID of each ref in the engine at host ("" when it lacks it).
func sshImageIDs(t *testing.T, host string, refs ...string) []string {
	t.Helper()
	c, err := client.NewClientWithOpts(client.WithHost(host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ids := make([]string, len(refs))
	for i, ref := range refs {
		if info, err := c.ImageInspect(context.Background(), ref); err == nil {
			ids[i] = info.ID
		} else if !client.IsErrNotFound(err) {
			t.Fatalf("inspecting %s on %s: %v", ref, host, err)
		}
	}
	return ids
}

// TestEngineOverSSH: DOCKER_HOST=ssh://HOST reaches the engine as the docker CLI does (`ssh HOST
// docker system dial-stdio`), and builds there through that engine's BuildKit: a base and an
// image built FROM it land in the engine on the far side of ssh (the second engine), not in the
// local one; the next plan there says both are up to date.
func TestEngineOverSSH(t *testing.T) {
	host := sshHost(t)
	other := os.Getenv("IMAGEMAKE_ENGINE_B")
	if other == "" {
		t.Fatal("IMAGEMAKE_ENGINE_B is not set: scripts/engine2.sh starts the second engine")
	}
	r := localRepo(t)
	r.env["DOCKER_TAG"] = "t1"
	write(t, filepath.Join(r.dir, "imagemake.yaml"), `repo: ${DOCKER_REPO}
tag: ${DOCKER_TAG}
images:
  base: {context: base, network: none}
  app:
    context: app
    network: none
    args: {REPO: "${DOCKER_REPO}", TAG: "${DOCKER_TAG}"}
`, 0o644)
	write(t, filepath.Join(r.dir, "base/Dockerfile"), "FROM scratch\nCOPY busybox /bin/busybox\n", 0o644)
	write(t, filepath.Join(r.dir, "app/Dockerfile"), "ARG REPO\nARG TAG\nFROM ${REPO}/base:${TAG}\nCOPY msg.txt /msg.txt\n", 0o644)
	write(t, filepath.Join(r.dir, "app/msg.txt"), r.prefix, 0o644)
	r.env["DOCKER_HOST"] = "ssh://" + host + "-b"
	t.Cleanup(func() { removeRefsAt(other, r.ref("app"), r.ref("base")) })

	code, out, errOut := r.run("build", "--format", "json")
	if code != 0 {
		t.Fatalf("build over ssh: exit %d\n%s\n%s", code, out, errOut)
	}
	if got := statuses(results(t, out)); !reflect.DeepEqual(got, map[string]string{"base": "built", "app": "built"}) {
		t.Errorf("build over ssh: %v, want both built", got)
	}
	if ids := sshImageIDs(t, other, r.ref("base"), r.ref("app")); ids[0] == "" || ids[1] == "" {
		t.Errorf("the second engine lacks what was built over ssh: %v", ids)
	}
	if ids := sshImageIDs(t, "unix:///var/run/docker.sock", r.ref("base"), r.ref("app")); ids[0] != "" || ids[1] != "" {
		t.Errorf("the local engine holds what was built over ssh on the other one: %v", ids)
	}
	code, out, errOut = r.run("plan", "--check")
	if code != 0 {
		t.Errorf("plan --check over ssh after the build: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestBuilderOverSSH: a BuildKit daemon addressed as buildctl addresses it over ssh,
// ssh://HOST/SOCKET (`ssh HOST buildctl --addr unix://SOCKET dial-stdio`), builds the image; it is
// loaded into the local engine, where it is then up to date.
func TestBuilderOverSSH(t *testing.T) {
	host := sshHost(t)
	d := startBuildkitd(t, "127.0.0.1:1")
	addr := "ssh://" + host + strings.TrimPrefix(d.sock, "unix://")
	buildsOn(t, addr, "over ssh")
}

// removeRefsAt removes refs from the engine at host, when the test made them there.
func removeRefsAt(host string, refs ...string) {
	c, err := client.NewClientWithOpts(client.WithHost(host), client.WithAPIVersionNegotiation())
	if err != nil {
		return
	}
	defer c.Close()
	for _, ref := range refs {
		c.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true, PruneChildren: true})
	}
}
