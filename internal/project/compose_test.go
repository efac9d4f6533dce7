package project

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/imagemake/imagemake/internal/config"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestComposeMergeOrdersServices(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"imagemake.yaml": "version: 1\nrepo: acme\ntag: t1\ncompose: [c.yml]\nimages:\n  tool:\n    context: tool\n",
		"c.yml": "services:\n  base:\n    build: base\n  app:\n    image: acme/app:custom\n    build:\n      context: app\n" +
			"  db:\n    image: postgres\n",
		"base/Dockerfile": "FROM scratch\n",
		"app/Dockerfile":  "ARG DOCKER_REPO\nARG DOCKER_TAG\nFROM ${DOCKER_REPO}/base:${DOCKER_TAG}\n",
		"tool/Dockerfile": "FROM acme/app:custom\n",
	})
	m, err := Load(context.Background(), Options{Dir: dir, Env: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, img := range m.Images {
		names = append(names, img.Name)
	}
	if want := []string{"app", "base", "tool"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("images %v, want %v", names, want)
	}
	if got := m.Image("base").Ref; got != "acme/base:t1" {
		t.Errorf("base ref %q", got)
	}
	if got := m.Graph.DepNames("app"); !reflect.DeepEqual(got, []string{"base"}) {
		t.Errorf("app deps %v, want [base]", got)
	}
	if got := m.Graph.DepNames("tool"); !reflect.DeepEqual(got, []string{"app"}) {
		t.Errorf("tool deps %v, want [app]", got)
	}
}

func TestComposeNameClash(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"imagemake.yaml": "version: 1\ncompose: [c.yml]\nimages:\n  api:\n    context: api\n",
		"c.yml":          "services:\n  api:\n    build: api\n",
		"api/Dockerfile": "FROM scratch\n",
	})
	_, err := Load(context.Background(), Options{Dir: dir, Env: map[string]string{}})
	if err == nil || !strings.Contains(err.Error(), "images.api (") || !strings.Contains(err.Error(), "imagemake.yaml:4:3) and service api in c.yml") {
		t.Fatalf("err = %v", err)
	}
}

func TestComposeDuplicateRef(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"imagemake.yaml": "version: 1\nrepo: acme\ntag: t1\ncompose: [c.yml]\nimages:\n  api:\n    context: api\n",
		"c.yml":          "services:\n  web:\n    image: acme/api:t1\n    build: api\n",
		"api/Dockerfile": "FROM scratch\n",
	})
	_, err := Load(context.Background(), Options{Dir: dir, Env: map[string]string{}})
	if err == nil || !strings.Contains(err.Error(), "same ref acme/api:t1") {
		t.Fatalf("err = %v", err)
	}
}

func TestImagesEntryExtendsComposeService(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"imagemake.yaml": "version: 1\nrepo: acme\ntag: t1\ncompose: [c.yml]\nimages:\n  api:\n    include: [shared]\n" +
			"    args: {EXTRA: \"1\"}\n",
		"c.yml":          "services:\n  api:\n    build:\n      context: api\n      args: {FROM_COMPOSE: x}\n",
		"api/Dockerfile": "FROM scratch\n",
		"shared/lib.txt": "x",
	})
	m, err := Load(context.Background(), Options{Dir: dir, Env: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	api := m.Image("api")
	if api.Context != "api" || len(api.Include) != 1 || api.Include[0].From != "shared" ||
		api.Args["EXTRA"] != "1" || api.Args["FROM_COMPOSE"] != "x" {
		t.Fatalf("extended image: %+v", api)
	}
}

func TestExtensionWithoutComposeService(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"imagemake.yaml": "version: 1\ncompose: [c.yml]\nimages:\n  web:\n    args: {A: b}\n",
		"c.yml":          "services:\n  api:\n    build: api\n",
		"api/Dockerfile": "FROM scratch\n",
	})
	_, err := Load(context.Background(), Options{Dir: dir, Env: map[string]string{}})
	if err == nil || !strings.Contains(err.Error(), "images.web: needs context or dockerfile: no compose service web to extend") {
		t.Fatalf("err = %v", err)
	}
}

func TestConfigNamesComposeServices(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"imagemake.yaml": "version: 1\ncompose: [c.yml]\nimages:\n  web:\n    context: web\n    depends_on: [api]\n" +
			"groups:\n  all: [web, api]\ntasks:\n  t:\n    needs: [api]\n    run: 'true'\n",
		"c.yml":          "services:\n  api:\n    build: api\n",
		"api/Dockerfile": "FROM scratch\n",
		"web/Dockerfile": "FROM scratch\n",
	})
	m, err := Load(context.Background(), Options{Dir: dir, Env: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Expand([]string{"all"}); !reflect.DeepEqual(got, []string{"api", "web"}) {
		t.Errorf("group all = %v", got)
	}
	if got := m.Graph.DepNames("web"); !reflect.DeepEqual(got, []string{"api"}) {
		t.Errorf("web deps %v", got)
	}
}

// A Compose file in a subfolder, as `docker compose -f deploy/compose.yml` reads it: its paths
// and .env from deploy/, the profiles: setting, and its warnings in Model.Warnings.
func TestComposeInSubfolder(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"imagemake.yaml": "version: 1\nrepo: acme\ntag: t1\ncompose: [deploy/compose.yml]\nprofiles: [tools]\n",
		"deploy/compose.yml": "services:\n  app:\n    build:\n      context: ..\n      dockerfile: app/Dockerfile\n" +
			"      args: {BASE_TAG: \"${BASE_TAG-none}\"}\n      shm_size: 1g\n" +
			"  tool:\n    profiles: [tools]\n    build: ../tool\n  debug:\n    profiles: [debug]\n    build: ../tool\n",
		"deploy/.env":     "BASE_TAG=from-dotenv\n",
		"app/Dockerfile":  "FROM scratch\n",
		"tool/Dockerfile": "FROM scratch\n",
	})
	m, err := Load(context.Background(), Options{Dir: dir, Env: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, img := range m.Images {
		names = append(names, img.Name)
	}
	if want := []string{"app", "tool"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("images %v, want %v (debug's profile is not active)", names, want)
	}
	app := m.Image("app")
	if app.Context != "." || app.Dockerfile != "app/Dockerfile" || app.Args["BASE_TAG"] != "from-dotenv" || app.Ref != "acme/app:t1" {
		t.Errorf("app = %+v", app)
	}
	if tool := m.Image("tool"); tool.Context != "tool" {
		t.Errorf("tool = %+v", tool)
	}
	want := "services.app.build.shm_size in deploy/compose.yml:7 is not supported by imagemake and was ignored"
	if !slices.Contains(m.Warnings, want) {
		t.Errorf("warnings %q, want %q", m.Warnings, want)
	}
}

func TestComposeErrorsAllAtOnce(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"imagemake.yaml":     "version: 1\ncompose: [deploy/compose.yml]\n",
		"deploy/compose.yml": "services:\n  a:\n    build: ../nope\n  b:\n    build:\n      context: ..\n      dockerfile: b/Dockerfile\n",
	})
	_, err := Load(context.Background(), Options{Dir: dir, Env: map[string]string{}})
	want := "deploy/compose.yml:3:5: services.a.build.context: nope (from the project root) is not a folder\n" +
		"deploy/compose.yml:7:7: services.b.build.dockerfile: b/Dockerfile is not a file (from the project root)"
	if err == nil || err.Error() != want {
		t.Fatalf("err =\n%v\nwant\n%s", err, want)
	}
}

func TestImagesEntryExtendsComposeBuildOptions(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"imagemake.yaml": "version: 1\ncompose: [c.yml]\nimages:\n  api:\n    ssh: [default]\n    cache_from: [acme/api:own]\n" +
			"    secrets: [{id: tok, env: OWN_TOKEN}]\n",
		"c.yml": "services:\n  api:\n    build:\n      context: api\n      ssh: [default=/run/agent.sock, github=/keys/gh]\n" +
			"      cache_from: [acme/api:compose]\n      secrets: [tok, other]\n" +
			"secrets:\n  tok:\n    environment: TOKEN\n  other:\n    file: ./other.txt\n",
		"api/Dockerfile": "FROM scratch\n",
		"other.txt":      "x",
	})
	m, err := Load(context.Background(), Options{Dir: dir, Env: map[string]string{"TOKEN": "t", "OWN_TOKEN": "o"}})
	if err != nil {
		t.Fatal(err)
	}
	api := m.Image("api")
	if want := []string{"github=/keys/gh", "default"}; !reflect.DeepEqual(api.SSH, want) {
		t.Errorf("ssh %v, want %v", api.SSH, want)
	}
	if want := []string{"acme/api:compose", "acme/api:own"}; !reflect.DeepEqual(api.CacheFrom, want) {
		t.Errorf("cache_from %v, want %v", api.CacheFrom, want)
	}
	if want := []config.Secret{{ID: "other", Src: "other.txt"}, {ID: "tok", Env: "OWN_TOKEN"}}; !reflect.DeepEqual(api.Secrets, want) {
		t.Errorf("secrets %v, want %v", api.Secrets, want)
	}
}
