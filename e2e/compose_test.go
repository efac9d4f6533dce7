package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestComposeBuildOrder builds two compose services of Compose files in a subfolder, one FROM
// the other's image, on the real engine: the base first, the dependent after it, and nothing on
// the second build. The files are read as `docker compose -f deploy/...` reads them: paths
// from deploy/ (app's context is the root, its Dockerfile app/Dockerfile), deploy/.env, the
// override file; a service of an inactive profile is no image; a key imagemake does not carry
// over is named in a warning.
func TestComposeBuildOrder(t *testing.T) {
	c := engine(t)
	dir := filepath.Join(t.TempDir(), "compose")
	copyTree(t, filepath.Join("testdata", "compose"), dir)
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatalf("busybox-static is needed: %v", err)
	}
	prefix := "e2e" + randomHex(4)
	for _, svc := range []string{"base", "app"} {
		write(t, filepath.Join(dir, svc, "busybox"), string(bb), 0o755)
	}
	write(t, filepath.Join(dir, "base", "run-id"), prefix, 0o644)
	r := &repo{t: t, dir: dir, prefix: prefix, docker: c, env: map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME"), "DOCKER_REPO": prefix, "DOCKER_TAG": "t1",
	}}
	t.Cleanup(r.removeImages)

	code, out, errOut := r.run("build", "--output", "json")
	if code != 0 {
		t.Fatalf("build: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	warning := "imagemake: warning: services.app.build.shm_size in deploy/docker-compose.override.yml:7 is not supported by imagemake and was ignored"
	if !strings.Contains(errOut, warning) {
		t.Errorf("stderr:\n%s\nwant the line %q", errOut, warning)
	}
	if got := statuses(results(t, out)); !reflect.DeepEqual(got, map[string]string{"app": "built", "base": "built"}) {
		t.Fatalf("first build: %v\n%s", got, out)
	}
	baseDone, appStart := -1, -1
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for i := 0; sc.Scan(); i++ {
		var e struct{ Event, Image string }
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		switch {
		case e.Event == "result" && e.Image == "base" && baseDone < 0:
			baseDone = i
		case e.Event == "start" && e.Image == "app" && appStart < 0:
			appStart = i
		}
	}
	if baseDone < 0 || appStart < 0 || baseDone > appStart {
		t.Fatalf("base result at line %d, app start at line %d: app must start after base is built\n%s", baseDone, appStart, out)
	}
	img, err := c.ImageInspect(context.Background(), prefix+"/app:t1")
	if err != nil {
		t.Fatal(err)
	}
	labels := img.Config.Labels
	if labels["from"] != "override" || labels["greeting"] != "from-default" || labels["dotenv"] != "dotenv" || labels["imagemake.inputs"] == "" {
		t.Errorf("app labels %v: want from=override (the override file), greeting=from-default (${GREETING-from-default}), "+
			"dotenv=dotenv (deploy/.env) and imagemake.inputs", labels)
	}
	if _, err := c.ImageInspect(context.Background(), prefix+"/base:t1"); err != nil {
		t.Errorf("base not in the engine: %v", err)
	}

	if got := statuses(r.build(0)); !reflect.DeepEqual(got, map[string]string{"app": "up-to-date", "base": "up-to-date"}) {
		t.Fatalf("second build should build nothing: %v", got)
	}
}
