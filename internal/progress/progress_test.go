package progress

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/imagemake/imagemake/internal/schedule"
)

func run(t *testing.T, mode string) (string, []schedule.Result) {
	t.Helper()
	var buf bytes.Buffer
	r, err := New(mode, &buf, []string{"pybase", "svc"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	results := []schedule.Result{
		{Name: "pybase", Status: schedule.Failed, Reason: "exit code: 3", Duration: 1500 * time.Millisecond},
		{Name: "svc", Status: schedule.Skipped, Reason: "dependency pybase failed"},
	}
	r.Event(schedule.Event{Kind: schedule.Started, Image: "pybase", Reason: "never built", Action: "building"})
	for i := 1; i <= 40; i++ {
		r.Event(schedule.Event{Kind: schedule.Log, Image: "pybase", Line: fmt.Sprintf("#%d step", i)})
	}
	for i := range results {
		r.Event(schedule.Event{Kind: schedule.Finished, Image: results[i].Name, Result: &results[i]})
	}
	r.Close(results)
	return buf.String(), results
}

func TestLineMode(t *testing.T) {
	out, _ := run(t, "line")
	for _, want := range []string{
		"pybase | building: never built\n",
		"pybase | #1 step\n",
		"pybase | failed in 1.5s: exit code: 3\n",
		"svc    | skipped: dependency pybase failed\n",
		"pybase  failed          1.5s  exit code: 3\n",
		"--- pybase: last 30 log lines ---\n#11 step\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "---\n#10 step\n") {
		t.Errorf("tail longer than 30 lines")
	}
}

func TestGroupedKeepsLogsTogether(t *testing.T) {
	out, _ := run(t, "grouped")
	start := strings.Index(out, "pybase | #1 step")
	end := strings.Index(out, "pybase | #40 step")
	if start < 0 || end < 0 || strings.Count(out[start:end], "\n") != 39 {
		t.Fatalf("grouped log not contiguous:\n%s", out)
	}
}

func TestJSONMode(t *testing.T) {
	out, _ := run(t, "json")
	var results int
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		if m["event"] == "result" {
			results++
			for _, k := range []string{"image", "status", "reason", "duration_ms"} {
				if _, ok := m[k]; !ok {
					t.Errorf("result lacks %s: %s", k, line)
				}
			}
		}
	}
	if results != 2 {
		t.Fatalf("%d result events, want 2", results)
	}
}

func TestUnknownMode(t *testing.T) {
	if _, err := New("fancy", &bytes.Buffer{}, nil, nil); err == nil {
		t.Fatal("want an error")
	}
}

func TestPlainIsLine(t *testing.T) {
	plain, _ := run(t, "plain")
	line, _ := run(t, "line")
	if plain != line {
		t.Fatalf("plain differs from line:\n%s\n---\n%s", plain, line)
	}
}

func TestQuietShowsOnlyFailuresAndSummary(t *testing.T) {
	out, _ := run(t, "quiet")
	for _, want := range []string{
		"pybase | failed in 1.5s: exit code: 3\n",
		"pybase  failed          1.5s  exit code: 3\n",
		"--- pybase: last 30 log lines ---\n#11 step\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("quiet output lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasPrefix(out, "pybase | failed") {
		t.Errorf("quiet output does not start with the failure:\n%s", out)
	}
	for _, not := range []string{"building: never built", "pybase | #1 step", "svc    | skipped"} {
		if strings.Contains(out, not) {
			t.Errorf("quiet output has %q:\n%s", not, out)
		}
	}
}

func TestRawJSONPassesBuilderLinesOnly(t *testing.T) {
	var buf bytes.Buffer
	r, err := New("rawjson", &buf, []string{"a"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Event(schedule.Event{Kind: schedule.Message, Line: "imagemake: 1 of 1 images to build"})
	r.Event(schedule.Event{Kind: schedule.Started, Image: "a", Action: "building"})
	r.Event(schedule.Event{Kind: schedule.Log, Image: "a", Line: `{"vertexes":[{"digest":"sha256:1"}]}`})
	r.Event(schedule.Event{Kind: schedule.Log, Image: "a", Line: "loading into the engine"})
	res := schedule.Result{Name: "a", Status: schedule.Built}
	r.Event(schedule.Event{Kind: schedule.Finished, Image: "a", Result: &res})
	r.Close([]schedule.Result{res})
	if got, want := buf.String(), `{"vertexes":[{"digest":"sha256:1"}]}`+"\n"; got != want {
		t.Fatalf("rawjson wrote %q, want %q", got, want)
	}
}
