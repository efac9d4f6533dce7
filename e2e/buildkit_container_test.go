package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	_ "github.com/moby/buildkit/client/connhelper/dockercontainer"
)

// buildkitdImage builds, on the engine, an image that runs buildkitd: FROM scratch with busybox,
// the buildkitd and buildctl of buildkitdDir (buildctl is what docker-container:// runs in the
// container: `buildctl dial-stdio`), runc and the shared libraries they need. It is removed when
// the test ends.
func buildkitdImage(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"busybox":   "/bin/busybox",
		"buildkitd": filepath.Join(buildkitdDir(), "buildkitd"),
		"buildctl":  filepath.Join(buildkitdDir(), "buildctl"),
		"runc":      runcPath(t),
	}
	for _, lib := range []string{"libc.so.6", "libseccomp.so.2", "ld-linux-x86-64.so.2"} {
		files[lib] = filepath.Join("/lib/x86_64-linux-gnu", lib)
	}
	for name, src := range files {
		if err := copyFile(src, filepath.Join(dir, name), 0o755); err != nil {
			t.Skipf("the buildkitd image needs %s: %v", src, err)
		}
	}
	write(t, filepath.Join(dir, "Dockerfile"), `FROM scratch
COPY busybox /bin/busybox
COPY libc.so.6 libseccomp.so.2 ld-linux-x86-64.so.2 /lib/x86_64-linux-gnu/
COPY ld-linux-x86-64.so.2 /lib64/
COPY buildkitd buildctl /usr/bin/
COPY runc /usr/sbin/runc
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && mkdir -p /tmp /run /var/lib/buildkit"]
ENTRYPOINT ["/usr/bin/buildkitd"]
`, 0o644)
	ref := "imagemake-e2e/buildkitd:" + randomHex(4)
	if out, err := exec.Command("docker", "build", "--network", "none", "-q", "-t", ref, dir).CombinedOutput(); err != nil {
		t.Fatalf("building the buildkitd image: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", ref).Run() })
	return ref
}

// startBuildkitdContainer runs image on the engine on the host network, with every capability
// and no seccomp or AppArmor profile (what --privileged gives, but --privileged also asks for
// capabilities this machine's bounding set lacks, CAP_SYS_RESOURCE, and fails; the cgroup file
// system writable, for runc), and waits until buildkitd answers through docker-container://NAME.
func startBuildkitdContainer(t *testing.T, image string) string {
	t.Helper()
	name := "imagemake-e2e-buildkitd-" + randomHex(4)
	t.Cleanup(func() { // also when docker run fails after creating the container
		if t.Failed() {
			logs, _ := exec.Command("docker", "logs", "--tail", "30", name).CombinedOutput()
			t.Logf("buildkitd container logs:\n%s", logs)
		}
		exec.Command("docker", "rm", "-f", name).Run()
	})
	out, err := exec.Command("docker", "run", "-d", "--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE",
		"--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined", "--security-opt", "systempaths=unconfined",
		"-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--network", "host", "--name", name, image,
		"--addr", "unix:///run/buildkit/buildkitd.sock", "--oci-worker-net", "host",
		"--oci-worker-snapshotter", "native", "--oci-worker-binary", "/usr/sbin/runc").CombinedOutput()
	if err != nil {
		t.Fatalf("docker run: %v\n%s", err, out)
	}
	addr := "docker-container://" + name
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, err := client.New(ctx, addr)
		if err == nil {
			_, err = c.ListWorkers(ctx)
			c.Close()
		}
		cancel()
		if err == nil {
			return addr
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("buildkitd in container %s did not answer within 60s", name)
	return ""
}

// TestBuildKitInAContainer: a builder addressed as buildx and buildctl address a buildkitd
// running in a container of the engine, docker-container://NAME, builds; the image is loaded into
// the engine, where it is then up to date.
func TestBuildKitInAContainer(t *testing.T) {
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("docker-container:// runs the docker CLI, which is missing")
	}
	engine(t)
	addr := startBuildkitdContainer(t, buildkitdImage(t))
	buildsOn(t, addr, "in a container")
}

// buildsOn builds a one-image project on the builder at addr, whose RUN step prints what and
// the run's prefix: the step's output and the run's `builder:` line must name it, and the image,
// loaded into the engine, is then up to date there.
func buildsOn(t *testing.T, addr, what string) {
	t.Helper()
	r := localRepo(t)
	write(t, filepath.Join(r.dir, "imagemake.yaml"), "repo: ${DOCKER_REPO}\nimages:\n  app: {context: base, network: none}\n", 0o644)
	write(t, filepath.Join(r.dir, "base/Dockerfile"), "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"echo\", \""+what+" "+r.prefix+"\"]\n", 0o644)
	code, out, errOut := r.run("build", "--format", "json", "--builder", addr)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !anyContains(logsOf(t, out, "app"), what+" "+r.prefix) || !strings.Contains(out, "builder: "+addr) {
		t.Errorf("the build did not run on %s:\n%s", addr, out)
	}
	if got := statuses(r.build(0)); !reflect.DeepEqual(got, map[string]string{"app": "up-to-date"}) {
		t.Errorf("then on the engine: %v", got)
	}
}
