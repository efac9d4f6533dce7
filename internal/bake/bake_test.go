package bake

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	bk "github.com/docker/buildx/bake"
)

// UPDATE_GOLDEN=1 go test ./internal/bake/ rewrites each case's want.json from what Load gives.
var update = os.Getenv("UPDATE_GOLDEN") == "1"

func TestMain(m *testing.M) {
	// bake falls back to the process environment for a variable the map lacks; the cases give
	// every variable they use, so nothing from the machine running the tests leaks in.
	os.Setenv("BUILDX_BAKE_DISABLE_VARS_ENV_LOOKUP", "1")
	os.Exit(m.Run())
}

// TestGolden loads each testdata case: `files` lists the bake files, `env` the environment
// (KEY=VALUE lines), want.json the targets, groups and warnings, or the error.
func TestGolden(t *testing.T) {
	cases, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name(), func(t *testing.T) {
			dir, err := filepath.Abs(filepath.Join("testdata", c.Name()))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Load(context.Background(), Options{Root: dir, Files: lines(t, dir, "files"),
				Env: env(t, dir), Platform: "linux/amd64"})
			golden(t, filepath.Join(dir, "want.json"), render(dir, res, err))
		})
	}
}

// result is what a golden file holds: paths under the case folder shown from it.
type result struct {
	Targets  []Target            `json:"targets,omitempty"`
	Groups   map[string][]string `json:"groups,omitempty"`
	Warnings []string            `json:"warnings,omitempty"`
	Errors   []string            `json:"errors,omitempty"`
}

func render(dir string, res *Result, err error) []byte {
	var out result
	if err != nil {
		var errs *Errors
		if !errors.As(err, &errs) {
			out.Errors = []string{"not an *Errors: " + err.Error()}
		}
		for _, e := range errs.List {
			out.Errors = append(out.Errors, e.Error())
		}
	} else {
		out = result{Targets: res.Targets, Groups: res.Groups, Warnings: res.Warnings}
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	return []byte(strings.ReplaceAll(string(b), dir, "$ROOT") + "\n")
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs (UPDATE_GOLDEN=1 rewrites it); got:\n%s", path, got)
	}
}

func lines(t *testing.T, dir, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, name))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	for s := bufio.NewScanner(f); s.Scan(); {
		if l := strings.TrimSpace(s.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func env(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	for _, l := range lines(t, dir, "env") {
		k, v, _ := strings.Cut(l, "=")
		out[k] = v
	}
	return out
}

// TestEveryTargetField holds carried and ignoredFields against bake's Target: a field buildx
// adds must be carried over or warned about, not dropped silently.
func TestEveryTargetField(t *testing.T) {
	known := slices.Clone(carried)
	for _, f := range ignoredFields {
		known = append(known, f.field)
	}
	typ := reflect.TypeOf(bk.Target{})
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("hcl"), ",")
		if !f.IsExported() || tag == "" || tag == "name" {
			continue
		}
		if !slices.Contains(known, tag) {
			t.Errorf("bake's target field %q (%s) is neither carried over nor warned about", tag, f.Name)
		}
	}
}

// TestWarningsNameFileTargetField checks one ignored field set on a target, and one inherited.
func TestWarningsNameFileTargetField(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "Dockerfile", "FROM scratch\n")
	write(t, dir, "docker-bake.hcl", "target \"_t\" {\n  no-cache = true\n}\n\ntarget \"a\" {\n  inherits = [\"_t\"]\n  shm-size = \"1g\"\n}\n")
	res, err := Load(context.Background(), Options{Root: dir, Files: []string{"docker-bake.hcl"}, Env: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"target.a.no-cache in docker-bake.hcl:2 (inherited from target _t) is not supported by imagemake and was ignored",
		"target.a.shm-size in docker-bake.hcl:7 is not supported by imagemake and was ignored",
	}
	if !reflect.DeepEqual(res.Warnings, want) {
		t.Errorf("warnings:\n%q\nwant\n%q", res.Warnings, want)
	}
}

// TestEnvironmentIsTheMap: a variable comes from Options.Env only, and BAKE_LOCAL_PLATFORM
// from Options.Platform.
func TestEnvironmentIsTheMap(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "Dockerfile", "FROM scratch\n")
	write(t, dir, "docker-bake.hcl", "variable \"TAG\" {\n  default = \"dev\"\n}\n"+
		"target \"a\" {\n  tags = [\"acme/a:${TAG}\"]\n  platforms = [BAKE_LOCAL_PLATFORM]\n}\n")
	t.Setenv("TAG", "from-process")
	for env, want := range map[string]string{"": "acme/a:dev", "t2": "acme/a:t2"} {
		m := map[string]string{}
		if env != "" {
			m["TAG"] = env
		}
		res, err := Load(context.Background(), Options{Root: dir, Files: []string{"docker-bake.hcl"}, Env: m, Platform: "linux/arm64"})
		if err != nil {
			t.Fatal(err)
		}
		img := res.Targets[0].Image
		if img.Ref != want || img.Platform != "linux/arm64" {
			t.Errorf("TAG=%q: ref %q platform %q, want %q linux/arm64", env, img.Ref, img.Platform, want)
		}
	}
}

// platforms = ["local"] is buildx's "the platform of the machine that builds" (buildx's own
// docker-bake.hcl says so): the builder's platform, as with no platform.
func TestLocalPlatformIsTheBuilders(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "Dockerfile", "FROM scratch\n")
	write(t, dir, "docker-bake.hcl", "target \"a\" {\n  platforms = [\"local\"]\n}\n")
	res, err := Load(context.Background(), Options{Root: dir, Files: []string{"docker-bake.hcl"}, Env: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	if img := res.Targets[0].Image; img.Platform != "" || len(res.Warnings) != 0 {
		t.Errorf("platform %q, warnings %q; want none", img.Platform, res.Warnings)
	}
}

// A list of platforms is one image index; "local" names no platform an index can hold.
func TestPlatformsList(t *testing.T) {
	for list, want := range map[string]string{
		`"linux/amd64", "linux/arm64", "linux/amd64"`: "",
		`"linux/amd64", "local"`:                      `invalid platform "local" in a list of several`,
		`"linux/amd64", "linux/"`:                     `invalid platform "linux/"`,
	} {
		dir := t.TempDir()
		write(t, dir, "Dockerfile", "FROM scratch\n")
		write(t, dir, "docker-bake.hcl", "target \"a\" {\n  platforms = ["+list+"]\n}\n")
		res, err := Load(context.Background(), Options{Root: dir, Files: []string{"docker-bake.hcl"}, Env: map[string]string{}})
		switch {
		case want == "" && err != nil:
			t.Errorf("[%s]: %v", list, err)
		case want == "" && !slices.Equal(res.Targets[0].Image.Platforms, []string{"linux/amd64", "linux/arm64"}):
			t.Errorf("[%s]: platforms %q", list, res.Targets[0].Image.Platforms)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("[%s]: err = %v, want %q", list, err, want)
		}
	}
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
