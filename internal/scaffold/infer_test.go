package scaffold

import (
	"reflect"
	"testing"
	"testing/fstest"
)

func TestExtraTargets(t *testing.T) {
	for _, c := range []struct {
		name, src string
		want      []string
	}{
		{"one stage", "FROM alpine\n", nil},
		{"a chain", "FROM alpine AS base\nFROM base AS build\nFROM build\n", nil},
		{"stages beside the last", "FROM alpine AS base\nFROM base AS api\nFROM base AS worker\nFROM base AS migrate\n",
			[]string{"api", "worker"}},
		{"copied from, by name or index", "FROM alpine AS build\nFROM alpine AS tools\nFROM alpine\nCOPY --from=build /a /a\nCOPY --from=1 /b /b\n", nil},
		{"a stage another unused one reads", "FROM alpine AS build\nFROM build AS test\nFROM alpine AS prod\n", []string{"test"}},
		{"unnamed stages cannot be targets", "FROM alpine\nFROM alpine AS last\n", nil},
		{"a mount from a stage", "FROM alpine AS deps\nFROM alpine AS dev\nFROM alpine\nRUN --mount=from=deps,target=/d true\n", []string{"dev"}},
	} {
		if got := extraTargets([]byte(c.src)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: extraTargets = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestChooseContext(t *testing.T) {
	fsys := fstest.MapFS{
		"pyproject.toml":        {Data: []byte("x")},
		"bin/dbctl":             {Data: []byte("x")},
		"db/src/schema.sql":     {Data: []byte("x")},
		"db/requirements.txt":   {Data: []byte("x")},
		"requirements.txt":      {Data: []byte("x")},
		"svc/api/main.py":       {Data: []byte("x")},
		"svc/shared/util.py":    {Data: []byte("x")},
		"svc/api/docker/run.sh": {Data: []byte("x")},
	}
	src := func(paths ...string) []source {
		var out []source
		for i, p := range paths {
			out = append(out, source{Path: p, Raw: p, Line: i + 2})
		}
		return out
	}
	for _, c := range []struct {
		name, dockerfile string
		srcs             []source
		dir              string
		missing          []string
	}{
		{"sources beside it", "db/Dockerfile", src("requirements.txt"), "db", nil},
		{"sources from the root", "db/Dockerfile", src("pyproject.toml", "db/src", "bin/dbctl"), ".", nil},
		{"the nearest folder holding them", "svc/api/docker/Dockerfile", src("api/main.py", "shared/*.py"), "svc", nil},
		{"most found wins, the rest named", "db/Dockerfile", src("db/src", "dist/app.whl"), ".", []string{"dist/app.whl (line 3)"}},
		{"found nowhere: its own folder", "db/Dockerfile", src("dist/app.whl"), "db", []string{"dist/app.whl (line 2)"}},
		{"COPY . says nothing", "db/Dockerfile", src("."), "db", nil},
		{"nothing copied", "Dockerfile", nil, ".", nil},
	} {
		got := chooseContext(fsys, c.dockerfile, c.srcs)
		if got.Dir != c.dir || !reflect.DeepEqual(got.Missing, c.missing) {
			t.Errorf("%s: context %q missing %v, want %q %v", c.name, got.Dir, got.Missing, c.dir, c.missing)
		}
	}
	got := chooseContext(fsys, "svc/api/docker/Dockerfile", src("run.sh", "api/main.py", "requirements.txt"))
	want := []contextExtra{{From: "svc/api/main.py", To: "api/main.py", Base: "svc", Line: 3},
		{From: "requirements.txt", To: "requirements.txt", Base: ".", Line: 4}}
	if got.Dir != "svc/api/docker" || !reflect.DeepEqual(got.Include, want) || got.Missing != nil {
		t.Errorf("sources in parents: context %q include %+v missing %v, want svc/api/docker %+v", got.Dir, got.Include, got.Missing, want)
	}
	if got := chooseContext(fsys, "db/Dockerfile", []source{{Raw: "$SVC/src", Line: 3}, {Raw: "$SVC/src", Line: 4}}); !reflect.DeepEqual(got.Unknown, []string{"$SVC/src"}) {
		t.Errorf("unknown sources %v, want one", got.Unknown)
	}
}

func TestComposeUnits(t *testing.T) {
	got := composeUnits([]string{
		"compose.override.yaml", "deploy/docker-compose.prod.yml", "deploy/docker-compose.yml",
		"docker-compose.override.yml", "docker-compose.yml",
	})
	want := [][]string{
		{"docker-compose.yml", "compose.override.yaml"}, {"docker-compose.override.yml"},
		{"deploy/docker-compose.prod.yml"}, {"deploy/docker-compose.yml"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("composeUnits = %v, want %v", got, want)
	}
}

func TestParseUse(t *testing.T) {
	for ref, want := range map[string]refUse{
		"registry.example.com/team/base":      {prefix: "registry.example.com/team", base: "base", tag: "latest"},
		"org/db-debug:dev":                    {prefix: "org", base: "db-debug", tag: "dev"},
		"python:3.12":                         {base: "python", tag: "3.12"},
		"localhost:5000/x:1":                  {prefix: "localhost:5000", base: "x", tag: "1"},
		repoSentinel + "/base:" + tagSentinel: {prefix: repoSentinel, base: "base", tag: tagSentinel},
	} {
		if got, ok := parseUse(ref); !ok || got != want {
			t.Errorf("parseUse(%q) = %+v %v, want %+v", ref, got, ok, want)
		}
	}
	if _, ok := parseUse("alpine@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"); ok {
		t.Error("a digest ref names no image of the tree")
	}
}
