package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// example copies examples/monorepo into a temp dir (with a stand-in busybox) and returns it.
func example(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "monorepo")
	cmd := exec.Command("cp", "-a", "../../examples/monorepo", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("copy example: %v %s", err, out)
	}
	os.RemoveAll(filepath.Join(dir, ".imagemake"))
	writeFile(t, filepath.Join(dir, "third_party/busybox"), "not really busybox")
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

// offline is an environment whose engine cannot be reached.
var offline = map[string]string{"DOCKER_HOST": "unix:///nonexistent/docker.sock", "DOCKER_TAG": "dev"}

func run(t *testing.T, dir string, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), append([]string{"-C", dir}, args...),
		IO{In: strings.NewReader(""), Out: &out, Err: &errOut, Env: env})
	return code, out.String(), errOut.String()
}

// golden compares got with testdata/NAME; UPDATE_GOLDEN=1 rewrites it.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestListAndGraphGolden(t *testing.T) {
	dir := example(t)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"ls.txt", []string{"ls"}},
		{"ls.json", []string{"ls", "--json"}},
		{"graph.txt", []string{"graph"}},
		{"graph.dot", []string{"graph", "--format", "dot"}},
		{"graph.mermaid", []string{"graph", "--format", "mermaid"}},
		{"graph.json", []string{"graph", "--format", "json"}},
	} {
		code, out, errOut := run(t, dir, offline, c.args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", c.args, code, errOut)
		}
		golden(t, c.name, out)
	}
}

func TestLsJSONContract(t *testing.T) {
	_, out, _ := run(t, example(t), offline, "ls", "--json")
	var v struct {
		Images []struct {
			Name, Ref, Context, Dockerfile, Target string
			DependsOn                              []string `json:"depends_on"`
		}
		Groups map[string][]string
		Tasks  map[string]any
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Images) != 6 || v.Groups["python"] == nil || v.Tasks["smoke"] == nil {
		t.Fatalf("ls --json: %+v", v)
	}
	for _, img := range v.Images {
		if img.Name == "worker" && (len(img.DependsOn) != 1 || img.DependsOn[0] != "pybase" || img.Ref != "acme/worker:dev") {
			t.Errorf("worker: %+v", img)
		}
		if img.Name == "openresty" && img.Target != "runtime" {
			t.Errorf("openresty: target %q, want runtime (images.openresty.target)", img.Target)
		}
	}
}

type planned struct {
	Images []struct{ Name, Ref, Status, Reason, Inputs string }
}

func planJSONOf(t *testing.T, dir string, args ...string) (int, map[string]string, map[string]string) {
	t.Helper()
	code, out, errOut := run(t, dir, offline, append([]string{"plan", "--json"}, args...)...)
	var p planned
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("plan --json: %v\n%s\n%s", err, out, errOut)
	}
	reasons, digests := map[string]string{}, map[string]string{}
	for _, img := range p.Images {
		if img.Status != "unknown" {
			t.Errorf("%s: status %q without an engine", img.Name, img.Status)
		}
		reasons[img.Name], digests[img.Name] = img.Reason, img.Inputs
	}
	return code, reasons, digests
}

func TestPlanWithoutEngineExplainsChanges(t *testing.T) {
	dir := example(t)
	_, reasons, before := planJSONOf(t, dir)
	if reasons["api"] != "never seen before" {
		t.Errorf("first plan: api reason %q", reasons["api"])
	}
	writeFile(t, filepath.Join(dir, "services/api/__pycache__/x.pyc"), "junk")
	_, reasons, same := planJSONOf(t, dir)
	for name, d := range before {
		if same[name] != d || reasons[name] != "inputs unchanged since the last plan or build" {
			t.Errorf("%s changed after touching an excluded file: %q", name, reasons[name])
		}
	}
	writeFile(t, filepath.Join(dir, "src/pylib/acme/log.py"), "changed")
	_, reasons, after := planJSONOf(t, dir)
	changed := map[string]string{
		"pybase":   "file changed: src/pylib/acme/log.py",
		"api":      "base image pybase rebuilt",
		"worker":   "base image pybase rebuilt",
		"notifier": "base image pybase rebuilt",
	}
	for name := range before {
		if want, ok := changed[name]; ok {
			if after[name] == before[name] || reasons[name] != want {
				t.Errorf("%s: reason %q, want %q (digest changed: %v)", name, reasons[name], want, after[name] != before[name])
			}
		} else if after[name] != before[name] {
			t.Errorf("%s: digest changed though none of its inputs did", name)
		}
	}
	writeFile(t, filepath.Join(dir, "services/api/main.py"), "changed")
	writeFile(t, filepath.Join(dir, "conf/nginx/nginx.conf"), "changed")
	_, reasons, _ = planJSONOf(t, dir)
	if reasons["api"] != "file changed: services/api/main.py" || reasons["openresty"] != "file changed: conf/nginx/nginx.conf" {
		t.Errorf("reasons name context paths, not the files edited: api %q, openresty %q", reasons["api"], reasons["openresty"])
	}
}

func TestPlanCheckAndSubset(t *testing.T) {
	dir := example(t)
	code, reasons, _ := planJSONOf(t, dir, "--check", "python")
	if code != 1 {
		t.Errorf("plan --check with unknown images: exit %d, want 1", code)
	}
	if len(reasons) != 3 || reasons["openresty"] != "" {
		t.Errorf("plan python listed %v", reasons)
	}
}

func TestContextTarIsDeterministic(t *testing.T) {
	dir := example(t)
	_, first, _ := run(t, dir, offline, "context", "openresty")
	os.RemoveAll(filepath.Join(dir, ".imagemake"))
	_, second, _ := run(t, dir, offline, "context", "openresty")
	if first != second || len(first) == 0 {
		t.Fatal("two context tars differ")
	}
	cmd := exec.Command("tar", "-t")
	cmd.Stdin = strings.NewReader(first)
	list, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "context-openresty.txt", string(list))
}

func TestUsageErrors(t *testing.T) {
	dir := example(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"build", "nope"}, `no image or group named "nope"`},
		{[]string{"graph", "--format", "gif"}, `unknown --format "gif"`},
		{[]string{"context", "nope"}, `no image or group named "nope"`},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"build", "--jobz", "3"}, "unknown flag: --jobz"},
		{[]string{"build", "--progress", "fancy"}, `unknown progress "fancy"`},
		{[]string{"build", "--output", "fancy"}, `unknown progress "fancy"`},
		{[]string{"build", "--format", "yaml"}, `unknown format "yaml"`},
		{[]string{"plan", "--format", "yaml"}, `unknown format "yaml"`},
	} {
		code, _, errOut := run(t, dir, offline, c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}

func TestBuildWithoutEngineFails(t *testing.T) {
	code, _, errOut := run(t, example(t), offline, "build")
	if code != 1 || !strings.Contains(errOut, "unix:///nonexistent/docker.sock") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestSecretLookingArgWarns(t *testing.T) {
	dir := example(t)
	cfg := filepath.Join(dir, "imagemake.yaml")
	b, _ := os.ReadFile(cfg)
	writeFile(t, cfg, strings.Replace(string(b), `args: {PORT: "8080"}`, `args: {PORT: "8080", NPM_TOKEN: "abc"}`, 1))
	code, _, errOut := run(t, dir, offline, "ls")
	want := "imagemake: warning: images.api.args.NPM_TOKEN looks like a secret"
	if code != 0 || !strings.Contains(errOut, want) || strings.Contains(errOut, "PORT") {
		t.Fatalf("exit %d, stderr %q; want a warning %q", code, errOut, want)
	}
}
