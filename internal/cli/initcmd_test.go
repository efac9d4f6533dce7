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
	if code != 0 || out != "" || !strings.Contains(errOut, "2 images, 0 more from 0 compose and 0 bake files, 0 things to check") ||
		strings.Contains(errOut, "warning") {
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

// A Dockerfile written for the root as context gets the root; it reads all of it (COPY .), so
// the root's .dockerignore, which does not exclude .git, is named, and --dockerignore adds the line.
func TestInitRootContextProposesGitIgnoreLine(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "plant")
	writeFile(t, filepath.Join(dir, ".git/HEAD"), "ref: refs/heads/main\n")
	writeFile(t, filepath.Join(dir, ".dockerignore"), "**/__pycache__")
	writeFile(t, filepath.Join(dir, "pyproject.toml"), "[project]\n")
	writeFile(t, filepath.Join(dir, "db/src/schema.sql"), "create table t();\n")
	writeFile(t, filepath.Join(dir, "db/Dockerfile"), "FROM scratch\nCOPY pyproject.toml /\nCOPY db/src /src\nCOPY . /all\n")

	code, _, errOut := run(t, dir, offline, "init", "--stdout")
	if code != 0 || !strings.Contains(errOut, "db read the whole repository root (line 4: COPY .) and .dockerignore does not exclude .git") ||
		!strings.Contains(errOut, "init --dockerignore") {
		t.Fatalf("init --stdout: exit %d, stderr %q", code, errOut)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, ".dockerignore")); string(got) != "**/__pycache__" {
		t.Fatalf("init without --dockerignore changed .dockerignore: %q", got)
	}

	code, _, errOut = run(t, dir, offline, "init", "--dockerignore")
	if code != 0 || !strings.Contains(errOut, ".dockerignore, the context of db: added the line .git") {
		t.Fatalf("init --dockerignore: exit %d, stderr %q", code, errOut)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, ".dockerignore")); string(got) != "**/__pycache__\n.git\n" {
		t.Fatalf(".dockerignore is %q", got)
	}
	code, out, errOut := run(t, dir, offline, "ls", "--json")
	if code != 0 || !strings.Contains(out, `"context": "."`) || !strings.Contains(out, `"dockerfile": "db/Dockerfile"`) {
		t.Fatalf("ls --json: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = run(t, dir, offline, "init", "--force")
	if code != 0 || strings.Contains(errOut, "exclude .git") {
		t.Fatalf("init after the line was added: exit %d, stderr %q", code, errOut)
	}
}

// A written file that does not load in this environment (a Compose secret's variable unset) is
// said at once, with what is wrong.
func TestInitSaysWhenTheWrittenFileDoesNotLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shop")
	writeFile(t, filepath.Join(dir, "api/Dockerfile"), "FROM alpine:3.20\n")
	writeFile(t, filepath.Join(dir, "docker-compose.yml"),
		"services:\n  api:\n    build:\n      context: api\n      secrets: [token]\nsecrets:\n  token:\n    environment: API_TOKEN\n")
	code, _, errOut := run(t, dir, offline, "init")
	if code != 0 || !strings.Contains(errOut, "imagemake.yaml does not load as written") || !strings.Contains(errOut, "API_TOKEN") {
		t.Fatalf("init: exit %d, stderr %q", code, errOut)
	}
	written, err := os.ReadFile(filepath.Join(dir, "imagemake.yaml"))
	if err != nil || !strings.Contains(string(written), "# check: docker-compose.yml loads only with what it needs set") {
		t.Fatalf("the written file does not say what the Compose file needs: %v\n%s", err, written)
	}
}
