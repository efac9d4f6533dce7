package compose

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/imagemake/imagemake/internal/config"
)

func load(t *testing.T, opt Options) (map[string]Service, []string) {
	t.Helper()
	svcs, warnings, err := Load(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Service{}
	for _, s := range svcs {
		out[s.Image.Name] = s
	}
	return out, warnings
}

func names(svcs map[string]Service) []string {
	var out []string
	for n := range svcs {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

var subFiles = []string{"deploy/compose.yml", "deploy/compose.override.yml"}

// A Compose file in a subfolder reads as `docker compose -f deploy/compose.yml` reads it:
// paths from deploy/, deploy/.env (not the root's), ${VAR-default}, the override file.
func TestSubfolderProject(t *testing.T) {
	env := map[string]string{"FROM_ENV": "env-value", "EMPTY_VAR": "", "API_TOKEN": "t"}
	svcs, warnings := load(t, Options{Root: "testdata/sub", Files: subFiles, Env: env})
	if len(warnings) != 0 {
		t.Errorf("warnings: %q", warnings)
	}
	if got := names(svcs); !reflect.DeepEqual(got, []string{"app", "base"}) {
		t.Fatalf("images %v, want app and base (base: named by app's service: context though its profile is off; "+
			"debug: profile off; db: no build)", got)
	}
	app := svcs["app"]
	if app.File != "deploy/compose.override.yml" {
		t.Errorf("app file %q, want the last file with its build:", app.File)
	}
	img := app.Image
	want := &config.Image{
		Name: "app", Context: ".", Dockerfile: "svc/Dockerfile", Target: "runtime", Network: "none",
		Platform: "linux/arm64", Ref: "acme/app:dotenvtag",
		Args: map[string]string{
			"BASE": "acme/base:dotenvtag", "DASH_DEFAULT": "fallback", "DASH_EMPTY": "", "COLON_EMPTY": "used",
			"FROM_ENV": "env-value", "FROM_DOTENV": "dotenv-value",
		},
		Labels:    map[string]string{"team": "core"},
		Tags:      []string{"registry.example.com/app:dotenvtag"},
		Contexts:  map[string]string{"shared": "shared", "basectx": "image:base", "alpine": "docker-image://alpine:3"},
		Secrets:   []config.Secret{{ID: "npmrc", Src: "secret.txt"}, {ID: "api_token", Env: "API_TOKEN"}},
		CacheFrom: []string{"acme/app:cache", "acme/app:buildcache"},
	}
	keyDir, _ := filepath.Abs("testdata/sub/keys/id")
	want.SSH = []string{"default", "github=" + keyDir}
	if !reflect.DeepEqual(img, want) {
		t.Errorf("app =\n%+v\nwant\n%+v", img, want)
	}
	if base := svcs["base"].Image; base.Context != "svc" || base.Dockerfile != "Dockerfile" || base.Ref != "" {
		t.Errorf("base = %+v", base)
	}
}

func TestProfiles(t *testing.T) {
	for _, tc := range []struct {
		name     string
		env      map[string]string
		profiles []string
		want     []string
	}{
		{"none", nil, nil, []string{"app", "base"}},
		{"COMPOSE_PROFILES", map[string]string{"COMPOSE_PROFILES": "other, debug"}, nil, []string{"app", "base", "debug"}},
		{"profiles setting", nil, []string{"debug"}, []string{"app", "base", "debug"}},
		{"both", map[string]string{"COMPOSE_PROFILES": "bases"}, []string{"debug"}, []string{"app", "base", "debug"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"API_TOKEN": "t"}
			maps.Copy(env, tc.env)
			svcs, _ := load(t, Options{Root: "testdata/sub", Files: subFiles, Env: env, Profiles: tc.profiles})
			if got := names(svcs); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("images %v, want %v", got, tc.want)
			}
		})
	}
}

// A service that depends_on (required) a service of an inactive profile is compose's error,
// found only when the files are loaded together, and named in the file that says depends_on.
func TestProfileDependencyIsComposesError(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"c/compose.yml": "services:\n  app:\n    build: .\n    depends_on: [tool]\n",
		"c/tools.yml":   "services:\n  tool:\n    profiles: [x]\n    build: .\n",
		"c/Dockerfile":  "FROM scratch\n",
	})
	files := []string{"c/compose.yml", "c/tools.yml"}
	_, _, err := Load(context.Background(), Options{Root: dir, Files: files})
	if err == nil || !strings.HasPrefix(err.Error(), `c/compose.yml:4:5: service "app" depends on undefined service "tool"`) {
		t.Fatalf("err = %v", err)
	}
	svcs, _ := load(t, Options{Root: dir, Files: files, Profiles: []string{"x"}})
	if got := names(svcs); !reflect.DeepEqual(got, []string{"app", "tool"}) {
		t.Errorf("with profile x: %v", got)
	}
}

func TestWarnings(t *testing.T) {
	svcs, warnings := load(t, Options{Root: "testdata/warn", Files: []string{"compose/compose.yml"}})
	if got := names(svcs); !reflect.DeepEqual(got, []string{"quiet", "web"}) {
		t.Errorf("images %v: inline must be left out", got)
	}
	web := svcs["web"].Image
	if web.Platform != "" || web.Network != "" || len(web.CacheFrom) != 0 || len(web.Secrets) != 1 {
		t.Errorf("web = %+v", web)
	}
	if want := []string{"linux/amd64", "linux/arm64"}; !reflect.DeepEqual(web.Platforms, want) {
		t.Errorf("web.Platforms = %q, want %q: one image index", web.Platforms, want)
	}
	const f = " in compose/compose.yml:"
	want := []string{
		"services.inline.build.dockerfile_inline" + f + "29 is not supported by imagemake: service inline was left out",
		"services.web.build.network" + f + "21 is \"backend\", which BuildKit does not take",
		"services.web.build.cache_from[0]" + f + "22 is \"type=local,src=/tmp/cache\", which is not an image ref",
		"services.web.build.secrets[0]" + f + "24 sets uid, gid or mode",
		"services.web.build.x-bake" + f + "18 is an extension imagemake does not read",
	}
	for _, k := range []struct {
		key  string
		line int
	}{
		{"cache_to", 5}, {"entitlements", 6}, {"extra_hosts", 7}, {"isolation", 8}, {"no_cache", 9},
		{"no_cache_filter", 10}, {"privileged", 11}, {"provenance", 12}, {"pull", 13}, {"sbom", 14},
		{"shm_size", 15}, {"ulimits", 16},
	} {
		want = append(want, "services.web.build."+k.key+f+strconv.Itoa(k.line)+" is not supported by imagemake and was ignored")
	}
	for _, w := range want {
		if !slices.ContainsFunc(warnings, func(s string) bool { return strings.HasPrefix(s, w) }) {
			t.Errorf("no warning %q", w)
		}
	}
	if len(warnings) != len(want) {
		t.Errorf("%d warnings, want %d (quiet's no_cache: false and pull: false drop nothing):\n%s",
			len(warnings), len(want), strings.Join(warnings, "\n"))
	}
}

func write(t *testing.T, dir string, files map[string]string) {
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

// Every key of compose-go's BuildConfig is carried over or warned about when set.
func TestEveryBuildKeyHandled(t *testing.T) {
	handled := map[string]bool{}
	for _, k := range carried {
		handled[k] = true
	}
	for _, k := range ignoredKeys {
		handled[k.key] = true
	}
	bt := reflect.TypeOf(types.BuildConfig{})
	for i := 0; i < bt.NumField(); i++ {
		tag, _, _ := strings.Cut(bt.Field(i).Tag.Get("yaml"), ",")
		if strings.HasPrefix(tag, "#") { // extensions: warned about one by one
			continue
		}
		if !handled[tag] {
			t.Errorf("build key %s (BuildConfig.%s) is neither carried over nor warned about", tag, bt.Field(i).Name)
		}
		delete(handled, tag)
	}
	for k := range handled {
		t.Errorf("%s is not a key of compose-go's BuildConfig", k)
	}
}

// Every problem of every service at once, each with its file (relative to the project root)
// and line.
func TestErrorsAllAtOnce(t *testing.T) {
	_, _, err := Load(context.Background(), Options{Root: "testdata/errs", Files: []string{"stack/compose.yml", "stack/more.yml"}})
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v", err)
	}
	want := []string{
		`stack/compose.yml:4:7: services.nodir.build.context: missing (from the project root) is not a folder`,
		`stack/compose.yml:8:7: services.nofile.build.dockerfile: ok/Dockerfile.prod is not a file (from the project root)`,
		`stack/compose.yml:10:5: services.badref.image: invalid image reference "Not A Ref"`,
		`stack/compose.yml:14:7: services.outside.build.context: ../.. is outside the project root`,
		`stack/more.yml:5:14: services.badtag.build.tags[0]: invalid image reference "web:two words"`,
		`stack/more.yml:10:11: services.secret.build.secrets[0]: secret "nofile": ok/missing.txt (secrets.nofile.file) is not a file`,
		`stack/more.yml:11:11: services.secret.build.secrets[1]: secret "noenv": environment variable "NOT_SET_ANYWHERE" is not set`,
		`stack/more.yml:13:5: services.badplatform.platform: invalid platform "not/a/plat/form"`,
	}
	if len(errs.List) != len(want) {
		t.Fatalf("%d errors, want %d:\n%v", len(errs.List), len(want), err)
	}
	for i, w := range want {
		if got := errs.List[i].Error(); !strings.HasPrefix(got, w) {
			t.Errorf("error %d:\n got %s\nwant %s…", i, got, w)
		}
	}
}

// Files that compose-go cannot load are each reported, not only the first.
func TestLoadErrorsOfEveryFile(t *testing.T) {
	files := []string{"stack/a.yml", "stack/b.yml", "stack/c.yml"}
	_, _, err := Load(context.Background(), Options{Root: "testdata/loaderrs", Files: files})
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v", err)
	}
	want := []string{
		`stack/a.yml:6:9: error while interpolating services.a.build.args.X: required variable REQUIRED is missing a value: set REQUIRED`,
		`stack/b.yml:5:6: yaml: did not find expected key`,
		`stack/c.yml:3:5: services.c.build additional properties 'shmsize' not allowed`,
	}
	got := strings.Split(err.Error(), "\n")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	abs, _ := filepath.Abs("testdata")
	if strings.Contains(err.Error(), abs) {
		t.Errorf("absolute path in %v", err)
	}
}

// The old layout: Compose files at the root, overridden and interpolated.
func TestImagesOverrideAndInterpolation(t *testing.T) {
	env := map[string]string{"DOCKER_REPO": "team", "FROM_ENV": "env-value"}
	svcs, _ := load(t, Options{Root: "testdata/basic", Files: []string{"docker-compose.build.yml", "docker-compose.override.yml"}, Env: env})
	if got := names(svcs); !reflect.DeepEqual(got, []string{"api", "base", "web"}) {
		t.Fatalf("images %v, want api base web (db has no build: and is ignored)", got)
	}
	base := svcs["base"].Image
	if base.Ref != "team/base:dotenvtag" || base.Context != "base" || base.Dockerfile != "Dockerfile" {
		t.Errorf("base = %+v", base)
	}
	api := svcs["api"].Image
	wantArgs := map[string]string{"BASE": "team/base:dotenvtag", "FROM_ENV": "env-value", "LEVEL": "override"}
	if !reflect.DeepEqual(api.Args, wantArgs) {
		t.Errorf("api args = %v, want %v", api.Args, wantArgs)
	}
	if api.Ref != "" || api.Context != "api" || api.Dockerfile != "Dockerfile.api" || api.Target != "runtime" ||
		api.Network != "none" || api.Labels["team"] != "core" || !reflect.DeepEqual(api.CacheFrom, []string{"acme/api:cache"}) {
		t.Errorf("api = %+v", api)
	}
	if want := []string{"registry.example.com/api:fromdotenv"}; !reflect.DeepEqual(api.Tags, want) {
		t.Errorf("api tags = %v, want %v", api.Tags, want)
	}
	web := svcs["web"].Image
	if web.Ref != "example.com/web:latest" {
		t.Errorf("web ref = %q", web.Ref)
	}
	if want := map[string]string{"shared": "shared", "basesvc": "image:base"}; !reflect.DeepEqual(web.Contexts, want) {
		t.Errorf("web contexts = %v, want %v", web.Contexts, want)
	}
}

func TestContextOutsideRoot(t *testing.T) {
	_, _, err := Load(context.Background(), Options{Root: "testdata/escape", Files: []string{"docker-compose.yml"}})
	if err == nil || !strings.HasPrefix(err.Error(), "docker-compose.yml:4:7: services.bad.build.context: ../basic/base is outside the project root") {
		t.Fatalf("err = %v", err)
	}
}

func TestNoFiles(t *testing.T) {
	svcs, warnings, err := Load(context.Background(), Options{Root: "."})
	if err != nil || svcs != nil || warnings != nil {
		t.Fatal(svcs, warnings, err)
	}
}

// A key set through extends or include is named in the file that brings it in: the service
// that extends, else the include: line.
func TestIncludeAndExtendsWarnings(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"deploy/compose.yml":   "include:\n  - more/inc.yml\nservices:\n  app:\n    extends:\n      file: more/base.yml\n      service: common\n",
		"deploy/more/base.yml": "services:\n  common:\n    build:\n      context: ../../app\n      shm_size: 1g\n",
		"deploy/more/inc.yml":  "services:\n  inc:\n    build:\n      context: ../../app\n      pull: true\n",
		"app/Dockerfile":       "FROM scratch\n",
	})
	svcs, warnings := load(t, Options{Root: dir, Files: []string{"deploy/compose.yml"}})
	if got := names(svcs); !reflect.DeepEqual(got, []string{"app", "inc"}) {
		t.Errorf("images %v", got)
	}
	want := []string{
		"services.app.build.shm_size in deploy/compose.yml:4 is not supported by imagemake and was ignored",
		"services.inc.build.pull in deploy/compose.yml:1 is not supported by imagemake and was ignored",
	}
	if !reflect.DeepEqual(warnings, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"), strings.Join(want, "\n"))
	}
}

// A Dockerfile beside its context (agdsn/pycroft's `context: docker/base`, `dockerfile:
// ../base.Dockerfile`) is taken as docker compose takes it; one outside the project is refused.
func TestDockerfileOutsideContext(t *testing.T) {
	root := t.TempDir()
	for name, data := range map[string]string{
		"docker/base.Dockerfile": "FROM scratch\n",
		"docker/base/file":       "x\n",
		"compose.yml": "services:\n  base:\n    build: {context: docker/base, dockerfile: ../base.Dockerfile}\n" +
			"  escape:\n    build: {context: docker/base, dockerfile: ../../../x.Dockerfile}\n",
	} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := Load(context.Background(), Options{Root: root, Files: []string{"compose.yml"}})
	want := `compose.yml:5:35: services.escape.build.dockerfile: "../../../x.Dockerfile" is outside the project root`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	if err := os.WriteFile(filepath.Join(root, "compose.yml"), []byte("services:\n  base:\n    build: {context: docker/base, dockerfile: ../base.Dockerfile}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	svcs, _ := load(t, Options{Root: root, Files: []string{"compose.yml"}})
	if img := svcs["base"].Image; img.Context != "docker/base" || img.Dockerfile != "../base.Dockerfile" {
		t.Errorf("base: context %q, dockerfile %q", img.Context, img.Dockerfile)
	}
}
