package project

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
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
