package report

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imagemake/imagemake/internal/schedule"
)

func results() ([]schedule.Result, map[string][]string) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	res := []schedule.Result{
		{Name: "pybase", Status: schedule.Built, Reason: "never built", Start: at(0), Duration: 2000 * time.Millisecond},
		{Name: "luabase", Status: schedule.UpToDate, Reason: "inputs unchanged", Start: at(1), Duration: 0},
		{Name: "api", Status: schedule.Built, Reason: "file changed: services/api/<main>.py", Start: at(2000), Duration: 3000 * time.Millisecond},
		{Name: "worker", Status: schedule.Failed, Reason: "exit 1", Err: errors.New("RUN make: exit 1"), Start: at(2001), Duration: 1000 * time.Millisecond},
		{Name: "openresty", Status: schedule.Reused, Reason: "inputs found in registry", Start: at(5), Duration: 500 * time.Millisecond},
		{Name: "edge", Status: schedule.Skipped, Reason: "worker failed", Start: at(3001)},
	}
	deps := map[string][]string{"api": {"pybase"}, "worker": {"pybase"}, "openresty": {"luabase"}, "edge": {"worker", "openresty"}}
	return res, deps
}

func TestWriteHTMLAndJSON(t *testing.T) {
	res, deps := results()
	file := filepath.Join(t.TempDir(), "report.html")
	if err := Write(file, res, deps); err != nil {
		t.Fatal(err)
	}
	var r Report
	data, err := os.ReadFile(filepath.Join(filepath.Dir(file), "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, img := range r.Images {
		order = append(order, img.Name)
	}
	if want := []string{"pybase", "luabase", "openresty", "api", "worker", "edge"}; !slices.Equal(order, want) {
		t.Errorf("images in start order: %v, want %v", order, want)
	}
	if want := []string{"pybase", "api"}; !slices.Equal(r.CriticalPath, want) {
		t.Errorf("critical path %v, want %v", r.CriticalPath, want)
	}
	if r.DurationMS != 5000 || r.Counts["built"] != 2 || r.Counts["failed"] != 1 {
		t.Errorf("duration %d, counts %v", r.DurationMS, r.Counts)
	}
	page, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	bars := regexp.MustCompile(`<g class="bar( critical)?" data-image="([^"]+)" data-status="([^"]+)"`).FindAllStringSubmatch(html, -1)
	var barOrder, critical []string
	for _, b := range bars {
		barOrder = append(barOrder, b[2])
		if b[1] != "" {
			critical = append(critical, b[2])
		}
	}
	if !slices.Equal(barOrder, order) || !slices.Equal(critical, r.CriticalPath) {
		t.Errorf("bars %v (critical %v), want %v (critical %v)", barOrder, critical, order, r.CriticalPath)
	}
	for _, want := range []string{"file changed: services/api/&lt;main&gt;.py", "RUN make: exit 1", "#d9534f", "2 built, 1 up-to-date, 1 reused, 1 failed, 1 skipped"} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(html, "http") || strings.Contains(html, "<script") {
		t.Errorf("page is not self-contained: it names a URL or has a script")
	}
}

func TestWriteNamesTheFileItCannotWrite(t *testing.T) {
	res, deps := results()
	file := filepath.Join(t.TempDir(), "missing-dir", "report.html")
	err := Write(file, res, deps)
	if err == nil || !strings.Contains(err.Error(), filepath.Join("missing-dir", "report.json")) {
		t.Errorf("err = %v, want it to name the file", err)
	}
}

func TestJSONPath(t *testing.T) {
	for in, want := range map[string]string{"out/r.html": "out/r.json", "r": "r.json", "r.htm": "r.json", "r.json": "r.json.json"} {
		if got := JSONPath(in); got != want {
			t.Errorf("JSONPath(%q) = %q, want %q", in, got, want)
		}
	}
}
