package progress

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/imagemake/imagemake/internal/schedule"
)

// fakeTerm is a terminal of a fixed size with a clock the test moves.
type fakeTerm struct {
	out        bytes.Buffer
	now        time.Time
	cols, rows int
}

func (f *fakeTerm) view(names []string, colour bool) *tty {
	return newTTY(&f.out, names, func() (int, int) { return f.cols, f.rows }, colour, func() time.Time { return f.now })
}

// frame returns what was written since the last call, and forgets it.
func (f *fakeTerm) frame() string {
	s := f.out.String()
	f.out.Reset()
	return s
}

func started(name string) schedule.Event {
	return schedule.Event{Kind: schedule.Started, Image: name, Action: "building", Reason: "never built"}
}

func logLine(name, line string) schedule.Event {
	return schedule.Event{Kind: schedule.Log, Image: name, Line: line}
}

func finished(res schedule.Result) schedule.Event {
	return schedule.Event{Kind: schedule.Finished, Image: res.Name, Result: &res}
}

func TestTTYFrames(t *testing.T) {
	ft := &fakeTerm{now: time.Unix(1000, 0), cols: 60, rows: 10}
	v := ft.view([]string{"base", "api", "web", "old"}, false)
	v.event(schedule.Event{Kind: schedule.Message, Line: "imagemake: 3 of 4 images to build"}, nil)
	v.event(started("base"), nil)
	v.draw()
	want := "imagemake: 3 of 4 images to build\n" +
		"▸ base   0.0s  building\n" +
		"0/4 done · 1 running\n"
	if got := ft.frame(); got != want {
		t.Fatalf("first frame:\n%q\nwant\n%q", got, want)
	}
	v.draw()
	if got := ft.frame(); got != "" {
		t.Fatalf("redraw without a change wrote %q", got)
	}
	ft.now = ft.now.Add(1500 * time.Millisecond)
	v.event(logLine("base", "#3 [base 2/3] RUN make"), nil)
	v.event(logLine("base", "#3 0.512 compiling"), nil)
	v.event(logLine("base", "#3 DONE 0.9s"), nil)
	v.event(finished(schedule.Result{Name: "old", Status: schedule.UpToDate}), nil)
	v.draw()
	want = "\x1b[2F\x1b[0J" +
		"▸ base   1.5s  [base 2/3] RUN make\n" +
		"= up to date: old\n" +
		"1/4 done · 1 running · 1 up to date\n"
	if got := ft.frame(); got != want {
		t.Fatalf("frame after a step:\n%q\nwant\n%q", got, want)
	}
	v.event(finished(schedule.Result{Name: "base", Status: schedule.Built, Reason: "never built", Duration: 2 * time.Second}), nil)
	v.event(started("api"), nil)
	v.event(finished(schedule.Result{Name: "api", Status: schedule.Failed, Reason: "exit code: 3\nmore", Duration: time.Second}),
		[]string{"#4 [api 1/1] RUN false", "#4 ERROR: exit code: 3"})
	v.event(finished(schedule.Result{Name: "web", Status: schedule.Skipped, Reason: "dependency api failed"}), nil)
	v.draw()
	want = "\x1b[3F\x1b[0J" +
		"✔ base  built 2.0s · never built\n" +
		"✖ api   failed 1.0s · exit code: 3\n" +
		"  ┌ api: last log lines\n" +
		"  │ #4 [api 1/1] RUN false\n" +
		"  │ #4 ERROR: exit code: 3\n" +
		"– web   skipped · dependency api failed\n" +
		"= up to date: old\n" +
		"4/4 done · 0 running · 1 up to date · 1 failed\n"
	if got := ft.frame(); got != want {
		t.Fatalf("frame after the end:\n%q\nwant\n%q", got, want)
	}
}

func TestTTYFitsTheTerminal(t *testing.T) {
	ft := &fakeTerm{now: time.Unix(1000, 0), cols: 24, rows: 5}
	names := []string{"a", "b", "c", "d", "e"}
	v := ft.view(names, false)
	for _, n := range names {
		v.event(started(n), nil)
		v.event(logLine(n, "#1 [1/1] RUN 日本語のとても長いコマンド"), nil)
	}
	v.draw()
	want := "▸ a   0.0s  [1/1] RUN …\n" +
		"▸ b   0.0s  [1/1] RUN …\n" +
		"  … 3 more running\n" +
		"0/5 done · 5 running\n"
	if got := ft.frame(); got != want {
		t.Fatalf("frame:\n%q\nwant\n%q", got, want)
	}
	ft.cols = 25 // the terminal grew: the next redraw uses the new width
	v.draw()
	if got := ft.frame(); !strings.Contains(got, "▸ a   0.0s  [1/1] RUN 日…\n") {
		t.Fatalf("frame after a resize:\n%q", got)
	}
}

func TestCells(t *testing.T) {
	for s, want := range map[string]int{"abc": 3, "✔ ok": 4, "日本": 4, "": 0} {
		if got := cells(s); got != want {
			t.Errorf("cells(%q) = %d, want %d", s, got, want)
		}
	}
	if got := fit(style{}, 5, seg{"日本語", nil}); got != "日本…" {
		t.Errorf("fit = %q", got)
	}
}

func TestTTYColours(t *testing.T) {
	for _, colour := range []bool{true, false} {
		ft := &fakeTerm{now: time.Unix(1000, 0), cols: 80, rows: 24}
		v := ft.view([]string{"a"}, colour)
		v.event(finished(schedule.Result{Name: "a", Status: schedule.Built, Duration: time.Second}), nil)
		v.draw()
		got := ft.frame()
		if strings.Contains(got, "\x1b[32m✔") != colour || !colour && strings.Contains(got, "\x1b[") {
			t.Errorf("colour %v: %q", colour, got)
		}
	}
}

func TestColourFromEnv(t *testing.T) {
	for env, want := range map[string]bool{"": true, "NO_COLOR=1": false, "TERM=dumb": false, "TERM=xterm": true} {
		k, v, _ := strings.Cut(env, "=")
		if got := colour(map[string]string{k: v}); got != want {
			t.Errorf("%q: colour %v, want %v", env, got, want)
		}
	}
}

func TestTTYFallsBackToLine(t *testing.T) {
	f, err := os.Create(t.TempDir() + "/out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, w := range []io.Writer{f, &bytes.Buffer{}} {
		r, err := New("tty", w, []string{"a"}, nil)
		if err != nil || r.mode != "line" || r.tty != nil {
			t.Errorf("%T: mode %q, tty %v, err %v; want line", w, r.mode, r.tty != nil, err)
		}
	}
}

func TestReporterCloseDrawsTheEnd(t *testing.T) {
	ft := &fakeTerm{now: time.Unix(1000, 0), cols: 80, rows: 24}
	r := &Reporter{w: &ft.out, mode: "tty", width: 1, logs: map[string][]string{}, failed: map[string][]string{}}
	r.live(ft.view([]string{"a"}, false))
	res := schedule.Result{Name: "a", Status: schedule.Failed, Reason: "exit code: 1", Duration: time.Second}
	r.Event(started("a"))
	r.Event(logLine("a", "#1 ERROR: exit code: 1"))
	r.Event(finished(res))
	r.Close([]schedule.Result{res})
	out := ft.frame()
	for _, want := range []string{
		"✖ a  failed 1.0s · exit code: 1\n  ┌ a: last log lines\n  │ #1 ERROR: exit code: 1\n",
		"1/1 done · 0 running · 1 failed\n\nIMAGE  RESULT",
		"--- a: last 1 log lines ---\n#1 ERROR: exit code: 1\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
