package cli

import (
	"encoding/json"
	"encoding/xml"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestCompleteNames(t *testing.T) {
	dir := example(t)
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"build", ""}, []string{"api", "luabase", "notifier", "openresty", "pybase", "worker", "python", "services"}},
		{[]string{"plan", "api", "p"}, []string{"pybase", "python"}},
		{[]string{"run", ""}, []string{"dev", "smoke", "test"}},
		{[]string{"run", "test", ""}, nil},
		{[]string{"explain", "o"}, []string{"openresty"}},
		{[]string{"context", ""}, []string{"api", "luabase", "notifier", "openresty", "pybase", "worker"}},
		{[]string{"graph", "--format", ""}, []string{"dot", "json", "mermaid", "text", "png", "svg"}},
	} {
		code, out, errOut := run(t, dir, offline, append([]string{"__complete"}, c.args...)...)
		if code != 0 {
			t.Fatalf("__complete %q: exit %d: %s", c.args, code, errOut)
		}
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if !strings.HasPrefix(line, ":") {
				got = append(got, line)
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("__complete %q: %q, want %q", c.args, got, c.want)
		}
	}
}

func TestCompleteIsQuietOnABadConfig(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "imagemake.yaml"), "imgaes: {}\n")
	code, out, errOut := run(t, dir, offline, "__complete", "build", "")
	if code != 0 || strings.TrimSpace(out) != ":4" || strings.Contains(errOut, "imgaes") {
		t.Errorf("exit %d, out %q, err %q", code, out, errOut)
	}
}

type svgPath struct {
	From string `xml:"data-from,attr"`
	To   string `xml:"data-to,attr"`
}

type svgShape struct {
	Paths []svgPath `xml:"path"`
	Nodes []struct {
		Name   string `xml:"data-name,attr"`
		Status string `xml:"data-status,attr"`
	} `xml:"g"`
}

// TestGraphSVG checks that every node and edge of graph --format json is drawn, and that --plan
// without an engine marks every image unknown and says so.
func TestGraphSVG(t *testing.T) {
	dir := example(t)
	_, js, _ := run(t, dir, offline, "graph", "--format", "json")
	var model struct {
		Nodes []string
		Edges []struct{ From, To string }
	}
	if err := json.Unmarshal([]byte(js), &model); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, dir, offline, "graph", "--format", "svg", "--plan")
	if code != 0 || !strings.Contains(errOut, "status unknown") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var svg svgShape
	if err := xml.Unmarshal([]byte(out), &svg); err != nil {
		t.Fatalf("not SVG: %v", err)
	}
	status := map[string]string{}
	for _, n := range svg.Nodes {
		if n.Name != "" {
			status[n.Name] = n.Status
		}
	}
	for _, n := range model.Nodes {
		if status[n] != "unknown" {
			t.Errorf("node %s: status %q, want unknown", n, status[n])
		}
	}
	if len(status) != len(model.Nodes) {
		t.Errorf("%d nodes drawn, the graph has %d", len(status), len(model.Nodes))
	}
	for _, e := range model.Edges { // graph json: from an image to what it is built on
		if !slices.ContainsFunc(svg.Paths, func(p svgPath) bool { return p.From == e.To && p.To == e.From }) {
			t.Errorf("edge %s -> %s not drawn", e.To, e.From)
		}
	}
	code, pic, _ := run(t, dir, offline, "graph", "--format", "png")
	if img, err := png.Decode(strings.NewReader(pic)); code != 0 || err != nil || img.Bounds().Dx() < 100 {
		t.Errorf("graph --format png: exit %d, %v", code, err)
	}
	if code, _, errOut := run(t, dir, offline, "graph", "--format", "dot", "--plan"); code != 2 || !strings.Contains(errOut, "--plan") {
		t.Errorf("--plan with dot: exit %d, %q", code, errOut)
	}
}

// TestExplainListsEveryChange: explain names each file changed since the inputs last seen, the
// engine request with its build args (secret-looking values redacted) and records nothing.
func TestExplainListsEveryChange(t *testing.T) {
	dir := example(t)
	cfg := filepath.Join(dir, "imagemake.yaml")
	data, _ := os.ReadFile(cfg)
	writeFile(t, cfg, strings.Replace(string(data), `args: {PORT: "8080"}`, `args: {PORT: "8080", API_TOKEN: "hunter2"}`, 1))
	if code, _, errOut := run(t, dir, offline, "plan"); code != 0 {
		t.Fatalf("plan: %s", errOut)
	}
	for _, f := range []string{"main.py", "VERSION"} {
		writeFile(t, filepath.Join(dir, "services/api", f), "changed "+f)
	}
	writeFile(t, filepath.Join(dir, "services/api/new/added.txt"), "new")
	var e explanation
	for range 2 { // the second run sees the same: explain records nothing
		code, out, errOut := run(t, dir, offline, "explain", "api", "--json")
		if code != 0 {
			t.Fatalf("explain: exit %d: %s", code, errOut)
		}
		if strings.Contains(out, "hunter2") {
			t.Errorf("a secret-looking build arg is printed:\n%s", out)
		}
		e = explanation{}
		if err := json.Unmarshal([]byte(out), &e); err != nil {
			t.Fatal(err)
		}
	}
	var changes []string
	for _, c := range e.Changes {
		changes = append(changes, c.String())
	}
	want := []string{"file services/api/VERSION changed", "file services/api/main.py changed",
		"folder services/api/new added", "file services/api/new/added.txt added"}
	if !slices.Equal(changes, want) {
		t.Errorf("changes %q, want %q", changes, want)
	}
	if e.Status != "unknown" || e.Request.Attrs["force-network-mode"] != "none" || e.Request.Attrs["build-arg:PORT"] != "8080" {
		t.Errorf("status %s, frontend attrs %v", e.Status, e.Request.Attrs)
	}
	if !strings.HasPrefix(e.Command, "imagemake context api | DOCKER_BUILDKIT=1 docker build --file Dockerfile") {
		t.Errorf("command %q", e.Command)
	}
	code, text, _ := run(t, dir, offline, "explain", "api")
	if code != 0 || !strings.Contains(text, "4 changes since") || !strings.Contains(text, "  file services/api/main.py changed\n") {
		t.Errorf("text output:\n%s", text)
	}
}

func TestSchemaCommandPrintsTheDocsSchema(t *testing.T) {
	want, err := os.ReadFile("../../docs/imagemake.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ := run(t, t.TempDir(), offline, "schema")
	if code != 0 || out != string(want) {
		t.Errorf("exit %d; imagemake schema differs from docs/imagemake.schema.json", code)
	}
}
