package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInitRefusesToOverwriteWithoutForce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shop")
	writeFile(t, filepath.Join(dir, "base/Dockerfile"), "FROM alpine:3.20\n")
	writeFile(t, filepath.Join(dir, "api/Dockerfile"), "ARG DOCKER_REPO\nARG DOCKER_TAG\nFROM ${DOCKER_REPO}/base:${DOCKER_TAG}\n")
	writeFile(t, filepath.Join(dir, "docker-compose.yml"), "services: {}\n")
	file := filepath.Join(dir, "imagemake.yaml")

	code, out, errOut := run(t, dir, offline, "init")
	if code != 0 || out != "" || !strings.Contains(errOut, "2 images, 1 compose files, 0 things to check") {
		t.Fatalf("init: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	written, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run(t, dir, offline, "ls")
	if code != 0 || !strings.Contains(out, "base (FROM ") {
		t.Fatalf("ls on the written file: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	writeFile(t, file, "# mine\n")
	code, _, errOut = run(t, dir, offline, "init")
	if code != ExitUsage || !strings.Contains(errOut, "already exists") || !strings.Contains(errOut, "--force") {
		t.Fatalf("init over an existing file: exit %d, stderr %q", code, errOut)
	}
	if got, _ := os.ReadFile(file); string(got) != "# mine\n" {
		t.Fatalf("init changed the existing file: %q", got)
	}

	code, out, _ = run(t, dir, offline, "init", "--stdout")
	if code != 0 || out != string(written) {
		t.Fatalf("init --stdout: exit %d, stdout %q", code, out)
	}
	if got, _ := os.ReadFile(file); string(got) != "# mine\n" {
		t.Fatalf("init --stdout changed the file: %q", got)
	}

	code, _, errOut = run(t, dir, offline, "init", "--force")
	if code != 0 {
		t.Fatalf("init --force: exit %d, stderr %q", code, errOut)
	}
	if got, _ := os.ReadFile(file); string(got) != string(written) {
		t.Fatalf("init --force wrote %q", got)
	}
}
