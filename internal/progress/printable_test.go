package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/imagemake/imagemake/internal/schedule"
)

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"file changed: src/app.py":     "file changed: src/app.py",
		"ünïcödé · 日本":                 "ünïcödé · 日本",
		"two\nlines\tand tab":          "two\nlines\tand tab",
		`file changed: "a\x1b[31m"`:    `file changed: "a\x1b[31m"`,
		"raw \x1b[2J clear":            `raw \x1b[2J clear`,
		"cr\rover":                     `cr\rover`,
		"bidi \u202eexe.txt":           `bidi \u202eexe.txt`,
		"c1 \u009b31m":                 `c1 \u009b31m`,
		"bad \xff\xfe utf8":            `bad \xff\xfe utf8`,
		"replacement char \uFFFD kept": "replacement char \uFFFD kept",
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestNoRawEscapesInReasons: a reason or message with escape sequences reaches no view raw.
func TestNoRawEscapesInReasons(t *testing.T) {
	evil := "open x\x1b]0;pwned\x07\r\u202e\xff: permission denied"
	for _, mode := range []string{"line", "grouped", "quiet", "tty"} {
		var buf bytes.Buffer
		r, err := New(mode, &buf, []string{"app"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if mode == "tty" {
			r.stopLive()
			r.live(newTTY(&buf, []string{"app"}, func() (int, int) { return 200, 20 }, false, time.Now))
		}
		res := []schedule.Result{{Name: "app", Status: schedule.Failed, Reason: evil, Duration: time.Second}}
		r.Event(schedule.Event{Kind: schedule.Message, Line: "imagemake: warning: " + evil})
		r.Event(schedule.Event{Kind: schedule.Started, Image: "app", Action: "building", Reason: evil})
		r.Event(schedule.Event{Kind: schedule.Finished, Image: "app", Result: &res[0]})
		r.Close(res)
		out := buf.String()
		if mode == "tty" {
			out = strings.NewReplacer("\x1b[", "", "\r", "").Replace(out) // the view's own cursor moves
		}
		if strings.ContainsAny(out, "\x07\u202e\xff") || strings.Contains(out, "\x1b]") || !strings.Contains(out, `x\x1b]0;pwned\a\r\u202e\xff`) {
			t.Errorf("%s: the reason reached the output raw, or not escaped:\n%q", mode, out)
		}
	}
}
