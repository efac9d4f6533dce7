package config

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// tree writes files (path -> content) under a new temporary folder and returns it. A path
// ending in / is a folder.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			p, content = filepath.Join(p, ".keep"), ""
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func loadTree(t *testing.T, files map[string]string, env map[string]string) *Project {
	t.Helper()
	p, err := Load(context.Background(), filepath.Join(tree(t, files), FileName), env)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	df := "FROM scratch\n"
	tests := []struct {
		name  string
		yaml  string
		files map[string]string
		env   map[string]string
		check func(t *testing.T, p *Project)
	}{
		{
			name: "ref without repo or tag",
			yaml: "images: {web: {dockerfile: Dockerfile}}",
			check: func(t *testing.T, p *Project) {
				eq(t, p.Tag, "latest")
				eq(t, p.Image("web").Ref, "web:latest")
				eq(t, p.Image("web").Context, ".")
				eq(t, p.Image("web").Dockerfile, "Dockerfile")
			},
		},
		{
			name: "ref from repo and tag",
			yaml: "repo: ${DOCKER_REPO}\ntag: ${DOCKER_TAG:-dev}\nimages: {web: {dockerfile: Dockerfile}}",
			env:  map[string]string{"DOCKER_REPO": "registry.example.com:5000/team"},
			check: func(t *testing.T, p *Project) {
				eq(t, p.Image("web").Ref, "registry.example.com:5000/team/web:dev")
			},
		},
		{
			name: "image overrides the ref and gets a tag",
			yaml: "repo: acme\nimages:\n  web: {dockerfile: Dockerfile, image: registry.example.com/edge/web}\n" +
				"  api: {dockerfile: Dockerfile, image: 'docker.io/library/api:1', tags: [docker.io/acme/api]}",
			check: func(t *testing.T, p *Project) {
				eq(t, p.Image("web").Ref, "registry.example.com/edge/web:latest")
				eq(t, p.Image("api").Ref, "api:1")
				eq(t, p.Image("api").Refs(), []string{"api:1", "acme/api:latest"})
			},
		},
		{
			name:  "dockerfile alone sets the context to its folder",
			yaml:  "images: {api: {dockerfile: ./services/api/../api/Dockerfile.prod}}",
			files: map[string]string{"services/api/Dockerfile.prod": df},
			check: func(t *testing.T, p *Project) {
				eq(t, p.Image("api").Context, "services/api")
				eq(t, p.Image("api").Dockerfile, "Dockerfile.prod")
			},
		},
		{
			name:  "context alone means its Dockerfile",
			yaml:  "images: {api: {context: services/api/}}",
			files: map[string]string{"services/api/Dockerfile": df},
			check: func(t *testing.T, p *Project) {
				eq(t, p.Image("api").Context, "services/api")
				eq(t, p.Image("api").Dockerfile, "Dockerfile")
			},
		},
		{
			name:  "dockerfile is relative to the context",
			yaml:  "images: {api: {context: api, dockerfile: docker/prod.Dockerfile}}",
			files: map[string]string{"api/docker/prod.Dockerfile": df},
			check: func(t *testing.T, p *Project) {
				eq(t, p.Image("api").Dockerfile, "docker/prod.Dockerfile")
			},
		},
		{
			name:  "include to defaults to from",
			yaml:  "images: {web: {dockerfile: Dockerfile, include: [src/lua/, {from: ./conf}, {from: conf, to: etc/nginx/}]}}",
			files: map[string]string{"src/lua/": "", "conf/": ""},
			check: func(t *testing.T, p *Project) {
				eq(t, p.Image("web").Include, []Include{{"src/lua", "src/lua"}, {"conf", "conf"}, {"conf", "etc/nginx"}})
			},
		},
		{
			name: "cache and tasks",
			yaml: "cache: {tags: ['${DOCKER_CACHE_TAG:-}', main]}\ntasks: {test: {run: make test}}",
			check: func(t *testing.T, p *Project) {
				eq(t, p.Cache, Cache{Tags: []string{"main"}, Inline: true})
				eq(t, p.Tasks["test"].Dir, ".")
			},
		},
		{
			name: "cache inline off",
			yaml: "version: '1'\ncache: {inline: false}",
			check: func(t *testing.T, p *Project) {
				eq(t, p.Cache.Inline, false)
			},
		},
		{
			name: "scalars keep their source text",
			yaml: "images:\n  web:\n    dockerfile: Dockerfile\n    args: {PYVER: 3.10, ON: true, N: 010, NONE: ~}\n    labels: {v: 1.0}",
			check: func(t *testing.T, p *Project) {
				eq(t, p.Image("web").Args, map[string]string{"PYVER": "3.10", "ON": "true", "N": "010", "NONE": ""})
				eq(t, p.Image("web").Labels, map[string]string{"v": "1.0"})
			},
		},
		{
			name: "groups may hold groups",
			yaml: "images: {web: {dockerfile: Dockerfile}}\ngroups: {front: [web], all: [front, web], none: []}",
			check: func(t *testing.T, p *Project) {
				eq(t, p.Groups, map[string][]string{"front": {"web"}, "all": {"front", "web"}, "none": {}})
			},
		},
		{
			name: "images are sorted by name",
			yaml: "images: {b: {dockerfile: Dockerfile}, a: {dockerfile: Dockerfile}, c: {dockerfile: Dockerfile}}",
			check: func(t *testing.T, p *Project) {
				eq(t, imageNames(p), []string{"a", "b", "c"})
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{FileName: tc.yaml, "Dockerfile": df}
			for k, v := range tc.files {
				files[k] = v
			}
			tc.check(t, loadTree(t, files, tc.env))
		})
	}
}

func eq(t *testing.T, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}

func TestLoadDoesNotModifyEnv(t *testing.T) {
	env := map[string]string{"CI": "true", "DOCKER_TAG": ""}
	dir := tree(t, map[string]string{FileName: ""})
	_, err := Load(context.Background(), filepath.Join(dir, FileName), env)
	if err == nil {
		t.Fatal("CI in a folder without git: want an error")
	}
	eq(t, env, map[string]string{"CI": "true", "DOCKER_TAG": ""})
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestCITagIsTheCommit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := tree(t, map[string]string{FileName: "tag: ${DOCKER_TAG:-development}\n"})
	git(t, dir, "init", "-q")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-q", "-m", "init")
	hash := git(t, dir, "rev-parse", "--short=12", "HEAD")

	p, err := Load(context.Background(), filepath.Join(dir, FileName), map[string]string{"CI": "true"})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, p.Tag, hash)
	eq(t, p.Env, map[string]string{"CI": "true", "DOCKER_TAG": hash})

	p, err = Load(context.Background(), filepath.Join(dir, FileName), map[string]string{"CI": "true", "DOCKER_TAG": "pr-7"})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, p.Tag, "pr-7")
}

func TestEnv(t *testing.T) {
	noGit := t.TempDir()
	for _, env := range []map[string]string{nil, {"CI": "false"}, {"CI": "true", "DOCKER_TAG": "x"}} {
		got, err := Env(context.Background(), noGit, env)
		if err != nil {
			t.Fatalf("Env(%v): %v", env, err)
		}
		if got == nil || got["DOCKER_TAG"] != env["DOCKER_TAG"] {
			t.Errorf("Env(%v) = %v", env, got)
		}
	}
	_, err := Env(context.Background(), noGit, map[string]string{"CI": "1"})
	if err == nil || !strings.Contains(err.Error(), "git rev-parse --short=12 HEAD failed") {
		t.Errorf("CI outside git: err = %v", err)
	}
}

func TestLoadErrorsAreErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(context.Background(), filepath.Join(dir, FileName), nil)
	var errs *Errors
	if !errors.As(err, &errs) || len(errs.List) != 1 || !strings.HasSuffix(err.Error(), ": cannot read: no such file or directory") {
		t.Fatalf("missing file: %#v", err)
	}
}

func TestFind(t *testing.T) {
	dir := tree(t, map[string]string{FileName: "", "a/b/c/": "", "a/" + FileName + "/": ""})
	got, err := Find(filepath.Join(dir, "a", "b", "c"))
	if err != nil {
		t.Fatal(err)
	}
	// a/imagemake.yaml is a folder, so the search goes on up.
	eq(t, got, filepath.Join(dir, FileName))

	if _, err := Find(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no imagemake.yaml in") {
		t.Errorf("Find in an empty tree: err = %v", err)
	}
}

func TestErrorFormat(t *testing.T) {
	errs := &Errors{List: []Error{
		{File: "imagemake.yaml", Line: 3, Col: 5, Field: "images.web.context", Msg: "context \"web\" does not exist"},
		{File: "imagemake.yaml", Line: 1, Col: 1, Msg: "expected a map, got a list"},
		{File: "imagemake.yaml", Msg: "cannot read: permission denied"},
	}}
	errs.sort()
	eq(t, errs.Error(), "imagemake.yaml: cannot read: permission denied\n"+
		"imagemake.yaml:1:1: expected a map, got a list\n"+
		"imagemake.yaml:3:5: images.web.context: context \"web\" does not exist")
}

func TestDisplayPath(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	eq(t, displayPath("testdata/x.yaml", filepath.Join(wd, "testdata/x.yaml")), "testdata/x.yaml")
	eq(t, displayPath(filepath.Join(wd, "x.yaml"), filepath.Join(wd, "x.yaml")), "x.yaml")
	eq(t, displayPath("./x.yaml", filepath.Join(wd, "x.yaml")), "x.yaml")
}

func TestSuggest(t *testing.T) {
	candidates := []string{"context", "contexts", "dockerfile", "depends_on", "tags", "target"}
	for word, want := range map[string]string{
		"contxt": "context", "dockerfil": "dockerfile", "dependson": "depends_on", "dep": "depends_on",
		"tgas": "tags", "Target": "target", "dockerfile_path": "dockerfile", "x": "", "volumes": "",
	} {
		if got := suggest(word, candidates); got != want {
			t.Errorf("suggest(%q) = %q, want %q", word, got, want)
		}
	}
}

// An unset variable becomes "" with a warning, as in Compose; a task's command gets the $$ hint,
// since the variables imagemake sets for tasks are not set when the config is read.
func TestUnsetVariableWarnings(t *testing.T) {
	p := loadTree(t, map[string]string{
		FileName: `tag: ${DOCKER_TAG:-dev}
repo: ${REPO-acme}${SUFFIX}
tasks:
  smoke:
    run: docker run $IMAGEMAKE_IMAGE_APP && echo $${IMAGEMAKE_IMAGE_APP} ${SET} ${OPT:+x}
`}, map[string]string{"SET": "1"})
	want := []string{
		"imagemake.yaml:2:7: repo: variable SUFFIX is not set: it was replaced by an empty string",
		"imagemake.yaml:5:10: tasks.smoke.run: variable IMAGEMAKE_IMAGE_APP is not set: it was replaced by an empty string; " +
			"write $$IMAGEMAKE_IMAGE_APP (or $${IMAGEMAKE_IMAGE_APP}) to leave it to the task's shell, which has it when the task runs",
	}
	got := make([]string, len(p.Warnings))
	for i, w := range p.Warnings {
		got[i] = strings.TrimPrefix(w, p.Root+string(filepath.Separator))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warnings:\n%q\nwant\n%q", got, want)
	}
	if got := p.Tasks["smoke"].Run; got != "docker run  && echo ${IMAGEMAKE_IMAGE_APP} 1 " {
		t.Errorf("run = %q", got)
	}
}
