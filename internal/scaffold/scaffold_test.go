package scaffold

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/project"
)

// fixture copies testdata/NAME/tree to a temp folder named NAME (the root's name is the default
// repo) and returns it.
func fixture(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if out, err := exec.Command("cp", "-a", filepath.Join("testdata", name, "tree"), dir).CombinedOutput(); err != nil {
		t.Fatalf("copy fixture: %v %s", err, out)
	}
	return dir
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// golden compares got with testdata/NAME; UPDATE_GOLDEN=1 rewrites it.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestGenerate(t *testing.T) {
	for _, c := range []struct {
		name    string
		deps    map[string][]string // image -> dependencies the loaded model infers
		compose int
		bake    int
		checks  int
		ignore  []string // ignore files that should exclude .git
	}{
		{name: "nested", deps: map[string][]string{
			"base": nil, "legacy-api": {"base"}, "my-app": nil, "services-api": {"base"}, "worker": {"services-api"}}},
		// FROM $BASE_IMAGE whose default is $REGISTRY/$OWNER/base: wired to base's ref
		{name: "argchain", deps: map[string][]string{
			"app": {"base"}, "base": nil, "cli": nil, "tool": {"base"}}, checks: 1},
		{name: "nodefault", deps: map[string][]string{
			"base": nil, "other": nil, "py": nil, "svc": {"base"}}, checks: 3},
		{name: "twoinfolder", deps: map[string][]string{
			"twoinfolder": nil, "app": nil, "app-prod": {"app"}, "app-test": nil}, checks: 1},
		// the default file with its override merged; a file without build: left out
		{name: "compose", deps: map[string][]string{"web": nil}, compose: 2},
		{name: "broken", deps: map[string][]string{"good": nil}, checks: 1},
		// a Dockerfile written for the root as context: its COPY sources are there
		{name: "outside", deps: map[string][]string{"api": {"base"}, "base": nil}},
		// repo and refs from the ARG defaults of FROM $REGISTRY/$OWNER/base
		{name: "registry", deps: map[string][]string{"app": {"base"}, "base": nil, "notebook": {"app"}}},
		// db/Dockerfile copies db/src, bin/dbctl, pyproject.toml: the root; sources nowhere said once
		{name: "rootctx", deps: map[string][]string{"base": nil, "db": {"base"}}, checks: 1},
		// FROM and COPY --from=org/db-debug:dev; python:3.12-slim and busybox:1.36 are the
		// official images, not ./python (built on it) nor ./busybox (nothing builds it as
		// busybox), and mvdan/shfmt is not ./shfmt, which is built on it
		{name: "hardcoded", deps: map[string][]string{
			"app": {"db-debug"}, "busybox": nil, "db-debug": nil, "lint": nil, "python": nil, "shell": {"db-debug"},
			"shfmt": nil, "tool": nil}},
		// a Compose file in a subfolder with the root as context; another Dockerfile FROM its service
		{name: "composesub", deps: map[string][]string{"base": nil, "lint": {"web"}, "web": {"base"}}, compose: 1},
		// one Dockerfile, stages only --target builds: one image each
		{name: "targets", deps: map[string][]string{
			"targets": {"toolchain"}, "targets-api": {"toolchain"}, "targets-test": {"toolchain"}, "targets-worker": {"toolchain"},
			"toolchain": nil}},
		// variants of one Dockerfile through Compose args; another Dockerfile names one by another tag
		// a Makefile's docker build commands: the context COPY . cannot tell, repo and tag; COPY .
		// reads the whole root, and the Dockerfile's own ignore file does not exclude .git
		// (and two variants of one Dockerfile, by their build args)
		{name: "makefile", deps: map[string][]string{"api": {"base"}, "app": nil, "app-cuda": nil, "base": nil, "lint": {"api"},
			"serve": {"app-cuda"}},
			ignore: []string{"docker/api.Dockerfile.dockerignore"}},
		// a GitHub Actions workflow's builds (context, tags, build args), a .gitlab-ci.yml's
		{name: "workflow", deps: map[string][]string{"api": {"base"}, "base": nil, "tools": nil}, ignore: []string{".dockerignore"}},
		// bake files, one in a subfolder: a target: context, a matrix of variants another
		// Dockerfile's FROM names by its tag. A bake file in a subfolder written to run there
		// (no context: the root) is not imported, nor a Compose file whose service has the ref
		// of a target.
		{name: "bake", deps: map[string][]string{"api": {"base"}, "bake": nil, "base": nil, "certs": nil, "foundation-cpu": nil,
			"foundation-cuda": nil, "lint": nil, "runtime": {"foundation-cuda"}}, bake: 2},
		// a submodule folder not cloned yet is there for COPY; what is nowhere is said once
		{name: "submodule", deps: map[string][]string{"submodule": nil}, checks: 1},
		// a bake file whose targets share a ref is not imported: its Dockerfile is an image
		{name: "bakedup", deps: map[string][]string{"app": nil}},
		// a context its COPY lines name a file of, and sources from parent folders: merged (include:)
		{name: "include", deps: map[string][]string{"openresty": nil}, checks: 1},
		{name: "variants", deps: map[string][]string{"app": nil, "app-cuda": nil, "serve": {"app-cuda"}}, compose: 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := fixture(t, c.name)
			// .git cannot live in testdata: add one here, with a Dockerfile that must be skipped.
			writeFile(t, filepath.Join(dir, ".git/objects/Dockerfile"), "FROM alpine\n")
			writeFile(t, filepath.Join(dir, ".imagemake/Dockerfile"), "FROM alpine\n")
			writeFile(t, filepath.Join(dir, "node_modules/x/Dockerfile"), "FROM alpine\n")
			writeFile(t, filepath.Join(dir, "pkg/testdata/fixture/Dockerfile"), "FROM alpine\n")
			found, err := Scan(os.DirFS(dir), filepath.Base(dir))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Generate(context.Background(), dir, found, map[string]string{})
			if err != nil {
				t.Fatal(err)
			}
			golden(t, c.name+".yaml", res.YAML)
			if len(res.Compose) != c.compose || len(res.Bake) != c.bake || res.Checks != c.checks {
				t.Errorf("compose files %d, bake files %d, checks %d; want %d, %d, %d",
					len(res.Compose), len(res.Bake), res.Checks, c.compose, c.bake, c.checks)
			}
			var ignore []string
			for _, ig := range res.Ignore {
				ignore = append(ignore, ig.File)
			}
			if !reflect.DeepEqual(ignore, c.ignore) {
				t.Errorf("ignore files to fix %v, want %v", ignore, c.ignore)
			}
			file := filepath.Join(dir, "imagemake.yaml")
			writeFile(t, file, string(res.YAML))
			if _, err := config.Load(context.Background(), file, map[string]string{}); err != nil {
				t.Fatalf("config.Load: %v", err)
			}
			m, err := project.Load(context.Background(), project.Options{Dir: dir, Env: map[string]string{}})
			if err != nil {
				t.Fatalf("project.Load: %v", err)
			}
			got := map[string][]string{}
			for _, img := range m.Images {
				got[img.Name] = m.Graph.DepNames(img.Name)
				slices.Sort(got[img.Name])
				if len(got[img.Name]) == 0 {
					got[img.Name] = nil
				}
			}
			if !reflect.DeepEqual(got, c.deps) {
				t.Errorf("images and dependencies:\n got %v\nwant %v", got, c.deps)
			}
		})
	}
}

func TestNames(t *testing.T) {
	for _, c := range []struct {
		in, want []string
	}{
		{[]string{"a/Dockerfile", "b/Dockerfile"}, []string{"a", "b"}},
		{[]string{"x/api/Dockerfile", "y/api/Dockerfile"}, []string{"x-api", "y-api"}},
		{[]string{"x/api/Dockerfile", "x/api/Dockerfile.prod"}, []string{"api", "api-prod"}},
		{[]string{"api/Dockerfile.prod"}, []string{"api"}},
		{[]string{"Dockerfile", "dev.Dockerfile"}, []string{"root", "root-dev"}},
		{[]string{"API_V2/Dockerfile"}, []string{"api-v2"}},
		{[]string{"a/api/Dockerfile", "api/Dockerfile"}, []string{"a-api", "api"}},
		{[]string{"api/Dockerfile", "api/Dockerfile.PROD", "api/prod.Dockerfile"}, []string{"api", "api-prod", "api-prod-2"}},
		{[]string{"docker/api.Dockerfile", "docker/worker.Dockerfile", "hack/dockerfiles/lint.Dockerfile"}, []string{"api", "worker", "lint"}},
		{[]string{"api/Dockerfile", "docker/api.Dockerfile", "docker/Dockerfile"}, []string{"api", "api-2", "docker"}},
	} {
		if got := nameImages("root", c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("nameImages(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestIsDockerfileAndCompose(t *testing.T) {
	for name, want := range map[string]bool{
		"Dockerfile": true, "Dockerfile.prod": true, "prod.Dockerfile": true, "Dockerfile.dockerignore": false,
		"Dockerfile.md": false, "Dockerfile.": false, ".Dockerfile": false, "dockerfile": false, "README.md": false,
	} {
		if got := IsDockerfile(name); got != want {
			t.Errorf("IsDockerfile(%q) = %v", name, got)
		}
	}
	for name, want := range map[string]bool{
		"docker-compose.yml": true, "docker-compose.prod.yaml": true, "compose.yaml": true, "compose-dev.yml": true,
		"compose.override.yml": true, "compose.json": false, "mycompose.yml": false,
	} {
		if got := IsCompose(name); got != want {
			t.Errorf("IsCompose(%q) = %v", name, got)
		}
	}
	for name, want := range map[string]bool{
		"docker-bake.hcl": true, "docker-bake.json": true, "docker-bake.override.hcl": true, "docker-bake.prod.json": true,
		"docker-bake.yml": false, "bake.hcl": false, "docker-bake.hcl.bak": false,
	} {
		if got := IsBake(name); got != want {
			t.Errorf("IsBake(%q) = %v", name, got)
		}
	}
}

func TestMakeBuilds(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ci/Makefile"), `R ?= acme
R ?= ignored
T := $(shell git rev-parse HEAD)
X = docker buildx build --platform linux/amd64 --build-arg A=1
all:
	$(X) --tag=$(R)/web:1 -t other/web:$(T) --file web/Dockerfile.prod ..
	cd sub && docker build -t $(R)/sub:1 .
	docker build -t $(R)/pipe:1 - < Dockerfile
	docker image build db | tee log
	docker build --target=test --build-arg=A=2 --build-arg B -t $(R)/t:1 -f t.Dockerfile t
`)
	got := makeBuilds(os.DirFS(dir), "ci/Makefile")
	want := []dockerBuild{
		{context: ".", dockerfile: "ci/web/Dockerfile.prod", tags: []string{"acme/web:1"}, args: map[string]string{"A": "1"}, where: "ci/Makefile:6"},
		{context: "ci/db", dockerfile: "ci/db/Dockerfile", where: "ci/Makefile:9"},
		{context: "ci/t", dockerfile: "ci/t.Dockerfile", tags: []string{"acme/t:1"}, args: map[string]string{"A": "2"},
			target: "test", where: "ci/Makefile:10"},
	}
	for i := range got {
		got[i].written = ""
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("makeBuilds:\n got %+v\nwant %+v", got, want)
	}
}
