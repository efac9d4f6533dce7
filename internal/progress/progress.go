// Package progress turns the events of a build run into what a person or a program reads:
// a live terminal view, prefixed lines, grouped logs, JSON lines, BuildKit's raw status JSON,
// and the closing summary.
package progress

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/imagemake/imagemake/internal/schedule"
)

// Modes are the --progress values, as docker buildx names them: auto (tty on a terminal, else
// plain), plain (one prefixed line per log line and event), tty (the live view), quiet (only
// failures and the summary) and rawjson (BuildKit's status JSON, one object per line, as the
// builder sends it; the builder must be asked for it: see schedule.Request.RawProgress), and
// imagemake's own grouped (plain, each image's log at once when it ends).
var Modes = []string{"auto", "plain", "tty", "quiet", "rawjson", "grouped"}

// New also takes "json" (imagemake's own events as JSON lines, --format json) and "line", the
// deprecated --output's name for plain.

// TailLines is how many log lines of a failed image are repeated under the summary.
const TailLines = 30

// Reporter receives the events of a run and writes them out; it is safe for concurrent use.
type Reporter struct {
	mu     sync.Mutex
	w      io.Writer
	mode   string
	width  int
	logs   map[string][]string // grouped: whole logs; otherwise the last TailLines lines
	failed map[string][]string
	tty    *tty          // the live view, in tty mode
	stop   chan struct{} // closed by Close to stop the live view's redraws
	done   chan struct{} // closed when the redraws stopped
}

// New returns a reporter for mode (Modes, otherModes). "auto" and "tty" are the live terminal
// view when w is a terminal and env's TERM is not "dumb", and "plain" otherwise; env's NO_COLOR
// turns colours off.
// names are the images of the run, used to align prefixes and count.
func New(mode string, w io.Writer, names []string, env map[string]string) (*Reporter, error) {
	var size func() (int, int)
	switch mode {
	case "auto", "", "tty":
		mode = "line"
		if s, ok := terminalSize(w); ok && env["TERM"] != "dumb" {
			mode, size = "tty", s
		}
	case "plain":
		mode = "line"
	case "line", "grouped", "json", "quiet", "rawjson":
	default:
		return nil, fmt.Errorf("unknown progress %q (want one of %s)", mode, strings.Join(Modes, ", "))
	}
	r := &Reporter{w: w, mode: mode, logs: map[string][]string{}, failed: map[string][]string{}}
	for _, n := range names {
		r.width = max(r.width, len(n))
	}
	if mode == "tty" {
		r.live(newTTY(w, names, size, colour(env), time.Now))
	}
	return r, nil
}

// Event writes one event.
func (r *Reporter) Event(e schedule.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.Kind == schedule.Log && strings.TrimSpace(e.Line) == "" {
		return // BuildKit's plain output separates steps with blank lines; prefixes do that here
	}
	switch {
	case r.mode == "json":
		r.json(e)
		return
	case r.mode == "rawjson":
		if e.Kind == schedule.Log && strings.HasPrefix(e.Line, "{") {
			fmt.Fprintln(r.w, e.Line) // BuildKit's JSON; imagemake's own lines (loading, pushing) are left out
		}
		return
	case r.mode == "quiet" && e.Kind == schedule.Log:
		r.keep(e.Image, e.Line) // a failure's tail is shown under the summary
		return
	case r.mode == "quiet" && e.Kind == schedule.Message:
		if strings.HasPrefix(e.Line, "imagemake: warning") {
			fmt.Fprintln(r.w, printable(e.Line))
		}
		return
	case r.mode == "quiet" && e.Kind == schedule.Started:
		return
	case r.tty != nil:
		r.ttyEvent(e)
		return
	}
	switch e.Kind {
	case schedule.Message:
		fmt.Fprintln(r.w, printable(e.Line))
	case schedule.Started:
		r.line(e.Image, e.Action+": "+printable(e.Reason))
	case schedule.Log:
		r.keep(e.Image, e.Line)
		if r.mode == "line" {
			r.line(e.Image, e.Line)
		}
	case schedule.Finished:
		r.finished(e.Result)
	}
}

func (r *Reporter) keep(image, line string) {
	logs := append(r.logs[image], line)
	if r.mode != "grouped" && len(logs) > TailLines {
		logs = logs[len(logs)-TailLines:]
	}
	r.logs[image] = logs
}

func (r *Reporter) finished(res *schedule.Result) {
	if res.Status == schedule.Failed {
		r.failed[res.Name] = tail(r.logs[res.Name], TailLines)
	}
	if r.mode == "grouped" {
		for _, l := range r.logs[res.Name] {
			r.line(res.Name, l)
		}
	}
	delete(r.logs, res.Name)
	if res.Status == schedule.UpToDate || (r.mode == "quiet" && res.Status != schedule.Failed) {
		return // the summary lists them; a no-op run stays quiet
	}
	msg := string(res.Status)
	if res.Duration > 0 {
		msg += " in " + Duration(res.Duration)
	}
	if res.Status != schedule.Built {
		msg += ": " + printable(res.Reason)
	}
	r.line(res.Name, msg)
}

func (r *Reporter) line(image, text string) {
	fmt.Fprintf(r.w, "%-*s | %s\n", r.width, image, text)
}

func tail(lines []string, n int) []string {
	if len(lines) > n {
		return lines[len(lines)-n:]
	}
	return lines
}

type jsonEvent struct {
	Event      string `json:"event"`
	Image      string `json:"image,omitempty"`
	Line       string `json:"line,omitempty"`
	Status     string `json:"status,omitempty"`
	Reason     string `json:"reason,omitempty"`
	DurationMS *int64 `json:"duration_ms,omitempty"`
}

func (r *Reporter) json(e schedule.Event) {
	je := jsonEvent{Image: e.Image, Line: e.Line, Reason: e.Reason}
	switch e.Kind {
	case schedule.Message:
		je.Event = "message"
	case schedule.Started:
		je.Event = "start"
		je.Line = e.Action
	case schedule.Log:
		je.Event = "log"
	case schedule.Finished:
		ms := e.Result.Duration.Milliseconds()
		je = jsonEvent{Event: "result", Image: e.Image, Status: string(e.Result.Status), Reason: e.Result.Reason, DurationMS: &ms}
	}
	b, _ := json.Marshal(je)
	r.w.Write(append(b, '\n'))
}

// Close writes the summary table and the log tail of each failed image (nothing in json and
// rawjson modes).
func (r *Reporter) Close(results []schedule.Result) {
	r.stopLive()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mode == "json" || r.mode == "rawjson" || len(results) == 0 {
		return
	}
	if r.mode != "quiet" { // quiet printed nothing to set the summary apart from
		fmt.Fprintln(r.w)
	}
	Table(r.w, results)
	fmt.Fprintln(r.w, schedule.Summary(results))
	for _, res := range results {
		if lines, ok := r.failed[res.Name]; ok {
			fmt.Fprintf(r.w, "\n--- %s: last %d log lines ---\n", res.Name, len(lines))
			for _, l := range lines {
				fmt.Fprintln(r.w, l)
			}
		}
	}
}

// Table writes image, result, duration and reason, one row per result.
func Table(w io.Writer, results []schedule.Result) {
	width := len("IMAGE")
	for _, res := range results {
		width = max(width, len(res.Name))
	}
	fmt.Fprintf(w, "%-*s  %-10s  %8s  %s\n", width, "IMAGE", "RESULT", "TIME", "REASON")
	for _, res := range results {
		d := "-"
		if res.Duration > 0 {
			d = Duration(res.Duration)
		}
		fmt.Fprintf(w, "%-*s  %-10s  %8s  %s\n", width, res.Name, res.Status, d, printable(firstLine(res.Reason)))
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// Duration formats a duration for people: 0.4s, 12.3s, 2m05s.
func Duration(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}
