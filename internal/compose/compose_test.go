package compose

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/imagemake/imagemake/internal/config"
)

func TestImagesOverrideAndInterpolation(t *testing.T) {
	env := map[string]string{"DOCKER_REPO": "team", "FROM_ENV": "env-value"}
	imgs, err := Images(context.Background(), "testdata/basic",
		[]string{"docker-compose.build.yml", "docker-compose.override.yml"}, env)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*config.Image{}
	var names []string
	for _, img := range imgs {
		byName[img.Name] = img
		names = append(names, img.Name)
	}
	if want := []string{"api", "base", "web"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("images %v, want %v (db has no build: and is ignored)", names, want)
	}
	base := byName["base"]
	// DOCKER_REPO from env, DOCKER_TAG from .env.
	if base.Ref != "team/base:dotenvtag" || base.Context != "base" || base.Dockerfile != "Dockerfile" {
		t.Errorf("base = %+v", base)
	}
	api := byName["api"]
	wantArgs := map[string]string{"BASE": "team/base:dotenvtag", "FROM_ENV": "env-value", "LEVEL": "override"}
	if !reflect.DeepEqual(api.Args, wantArgs) {
		t.Errorf("api args = %v, want %v", api.Args, wantArgs)
	}
	if api.Ref != "" || api.Context != "api" || api.Dockerfile != "Dockerfile.api" || api.Target != "runtime" ||
		api.Network != "none" || api.Labels["team"] != "core" {
		t.Errorf("api = %+v", api)
	}
	if want := []string{"registry.example.com/api:fromdotenv"}; !reflect.DeepEqual(api.Tags, want) {
		t.Errorf("api tags = %v, want %v", api.Tags, want)
	}
	web := byName["web"]
	if web.Ref != "example.com/web:latest" {
		t.Errorf("web ref = %q", web.Ref)
	}
	if want := map[string]string{"shared": "shared", "basesvc": "image:base"}; !reflect.DeepEqual(web.Contexts, want) {
		t.Errorf("web contexts = %v, want %v", web.Contexts, want)
	}
}

func TestImagesOnlyFirstFile(t *testing.T) {
	imgs, err := Images(context.Background(), "testdata/basic", []string{"docker-compose.build.yml"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 2 || imgs[0].Name != "api" || imgs[0].Target != "" || imgs[1].Ref != "acme/base:dotenvtag" {
		t.Fatalf("got %+v %+v", imgs[0], imgs[1])
	}
}

func TestImagesContextOutsideRoot(t *testing.T) {
	_, err := Images(context.Background(), "testdata/escape", []string{"docker-compose.yml"}, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "docker-compose.yml: services.bad.build.context: ") ||
		!strings.Contains(err.Error(), "outside the project root") {
		t.Fatalf("err = %v", err)
	}
}

func TestImagesNoFiles(t *testing.T) {
	imgs, err := Images(context.Background(), ".", nil, nil)
	if err != nil || imgs != nil {
		t.Fatal(imgs, err)
	}
}
