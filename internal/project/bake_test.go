package project

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestBakeTargetsAreImages(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"imagemake.yaml": "version: 1\nrepo: acme\ntag: t1\nbake: [build/docker-bake.hcl]\n" +
			"images:\n  tool:\n    context: tool\n    depends_on: [app]\n" +
			"groups:\n  mine: [tool, services]\n" +
			"tasks:\n  test:\n    needs: [services]\n    run: 'true'\n",
		"build/docker-bake.hcl": `variable "TAG" { default = "dev" }
group "services" { targets = ["app"] }
group "tool" { targets = ["base"] }
target "base" { context = "base" }
target "app" {
  context  = "app"
  contexts = { base = "target:base" }
  tags     = ["registry.example.com/app:${TAG}"]
}
`,
		"base/Dockerfile": "FROM scratch\n",
		"app/Dockerfile":  "FROM base\n",
		"tool/Dockerfile": "FROM scratch\n",
	})
	m, err := Load(context.Background(), Options{Dir: dir, Env: map[string]string{"TAG": "v2"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Image("base").Ref; got != "acme/base:t1" {
		t.Errorf("base ref %q, want the default", got)
	}
	if got := m.Image("app").Ref; got != "registry.example.com/app:v2" {
		t.Errorf("app ref %q, want tags[0] with TAG from the environment", got)
	}
	if got := m.Graph.DepNames("app"); !reflect.DeepEqual(got, []string{"base"}) {
		t.Errorf("app deps %v, want [base] (contexts base = target:base)", got)
	}
	if got, _ := m.Expand([]string{"mine"}); !reflect.DeepEqual(got, []string{"app", "tool"}) {
		t.Errorf("group mine = %v, want the bake group services expanded", got)
	}
	if _, ok := m.Groups["tool"]; ok {
		t.Errorf("bake group tool clashes with image tool and should be left out")
	}
	want := "bake group tool (build/docker-bake.hcl) was not made an imagemake group: imagemake.yaml has an image of that name"
	if !strings.Contains(strings.Join(m.Warnings, "\n"), want) {
		t.Errorf("warnings %q lack %q", m.Warnings, want)
	}
}

func TestBakeErrorNamesFileAndLine(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"imagemake.yaml":        "version: 1\nbake: [build/docker-bake.hcl]\n",
		"build/docker-bake.hcl": "target \"app\" {\n  context = \"app\"\n  tags = [\"acme/app:${NOPE}\"]\n}\n",
		"app/Dockerfile":        "FROM scratch\n",
	})
	_, err := Load(context.Background(), Options{Dir: dir, Env: map[string]string{}})
	if err == nil || !strings.HasPrefix(err.Error(), "build/docker-bake.hcl:3:") || !strings.Contains(err.Error(), "NOPE") {
		t.Fatalf("err = %v, want build/docker-bake.hcl:3:…NOPE", err)
	}
}

func TestBakeTargetAndServiceSameName(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"imagemake.yaml":  "version: 1\ncompose: [c.yml]\nbake: [docker-bake.hcl]\n",
		"c.yml":           "services:\n  app:\n    build: app\n",
		"docker-bake.hcl": "target \"app\" {\n  context = \"app\"\n}\n",
		"app/Dockerfile":  "FROM scratch\n",
	})
	_, err := Load(context.Background(), Options{Dir: dir, Env: map[string]string{}})
	if err == nil || !strings.Contains(err.Error(), "service app in c.yml and target app in docker-bake.hcl:1 both define image app") {
		t.Fatalf("err = %v", err)
	}
}

func TestImagesEntryExtendsBakeTarget(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"imagemake.yaml":  "version: 1\nbake: [docker-bake.hcl]\nimages:\n  api:\n    args: {X: \"1\"}\n",
		"docker-bake.hcl": "target \"api\" {\n  context = \"api\"\n  args = { Y = \"2\" }\n}\n",
		"api/Dockerfile":  "FROM scratch\n",
	})
	m, err := Load(context.Background(), Options{Dir: dir, Env: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	if api := m.Image("api"); api.Context != "api" || api.Args["X"] != "1" || api.Args["Y"] != "2" {
		t.Fatalf("api %+v: want the target's context and both args", api)
	}
}

func TestBakeTargetLinkCycle(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"imagemake.yaml":  "version: 1\nbake: [docker-bake.hcl]\n",
		"docker-bake.hcl": "target \"a\" {\n  context = \"a\"\n  contexts = { b = \"target:b\" }\n}\n\ntarget \"b\" {\n  context = \"a\"\n  contexts = { a = \"target:a\" }\n}\n",
		"a/Dockerfile":    "FROM scratch\n",
	})
	_, err := Load(context.Background(), Options{Dir: dir, Env: map[string]string{}})
	if err == nil || !strings.Contains(err.Error(), "a -> b -> a") {
		t.Fatalf("err = %v, want the cycle's path", err)
	}
}

// A bake group named like a Compose service would shadow the service's image in group
// expansion: it is left out with a warning, as when it clashes with imagemake.yaml's names.
func TestBakeGroupNamedLikeAComposeService(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"imagemake.yaml":  "version: 1\nrepo: acme\ncompose: [compose.yml]\nbake: [docker-bake.hcl]\n",
		"compose.yml":     "services:\n  web:\n    build: web\n",
		"docker-bake.hcl": "group \"web\" { targets = [\"api\"] }\ntarget \"api\" { context = \"api\" }\n",
		"web/Dockerfile":  "FROM scratch\n",
		"api/Dockerfile":  "FROM scratch\n",
	})
	m, err := Load(context.Background(), Options{Dir: dir, Env: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Groups["web"]; ok {
		t.Errorf("bake group web became a group beside the Compose service web")
	}
	names, err := m.Expand([]string{"web"})
	if err != nil || !reflect.DeepEqual(names, []string{"web"}) {
		t.Errorf("web expands to %v (%v), want the Compose image", names, err)
	}
	if !slices.ContainsFunc(m.Warnings, func(w string) bool {
		return strings.Contains(w, "bake group web") && strings.Contains(w, "a Compose service is an image of that name")
	}) {
		t.Errorf("no warning about bake group web: %q", m.Warnings)
	}
}
