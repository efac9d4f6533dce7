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
