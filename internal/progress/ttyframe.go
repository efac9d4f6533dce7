package progress

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/morikuni/aec"
	"golang.org/x/text/width"

	"github.com/imagemake/imagemake/internal/schedule"
)

// live is what the terminal view shows below the lines that scrolled up: the running images,
// the up-to-date ones and the count.
type live struct {
	total    int
	done     int
	failed   int
	running  []*runner // in start order
	upToDate []string
}

// runner is an image whose job is running.
type runner struct {
	name  string
	step  string // the latest BuildKit step header, or the job's action before the first
	start time.Time
	seen  map[string]bool // BuildKit vertex numbers whose header was seen
}

// vertex matches a line of BuildKit's plain progress: "#7 [api 2/4] RUN pip install".
var vertex = regexp.MustCompile(`^#(\d+) (.+)$`)

// log moves the runner's step to line when line is the first of a BuildKit vertex (its header).
func (r *runner) log(line string) {
	m := vertex.FindStringSubmatch(line)
	if m == nil || r.seen[m[1]] {
		return
	}
	r.seen[m[1]] = true
	r.step = strings.ReplaceAll(m[2], "\t", " ")
}

// style paints text, or leaves it alone when colours are off.
type style struct{ colour bool }

func (s style) paint(a aec.ANSI, text string) string {
	if !s.colour || text == "" {
		return text
	}
	return a.Apply(text)
}

// seg is a piece of a line with its colour.
type seg struct {
	text string
	ansi aec.ANSI
}

// fit joins segs into one line at most cols cells wide, cutting the end with "…", then paints it.
func fit(st style, cols int, segs ...seg) string {
	total := 0
	for _, sg := range segs {
		total += cells(sg.text)
	}
	left := cols
	if total > cols {
		left = cols - 1 // room for the "…"
	}
	var b strings.Builder
	for _, sg := range segs {
		text := cut(sg.text, left)
		left -= cells(text)
		short := len(text) < len(sg.text)
		if short {
			text += "…"
		}
		if sg.ansi != nil {
			text = st.paint(sg.ansi, text)
		}
		b.WriteString(text)
		if short {
			break
		}
	}
	return b.String()
}

// cells is how many terminal cells s takes: East Asian wide and fullwidth runes take two.
func cells(s string) int {
	n := 0
	for _, r := range s {
		n += runeCells(r)
	}
	return n
}

func runeCells(r rune) int {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// cut returns the longest prefix of s that fits in n cells.
func cut(s string, n int) string {
	for i, r := range s {
		if n -= runeCells(r); n < 0 {
			return s[:i]
		}
	}
	return s
}

// frame renders the live area: one line per running image (as many as rows allows), the
// up-to-date images on one line, and the count.
func (l *live) frame(st style, now time.Time, nameWidth, cols, rows int) []string {
	var out []string
	room := max(rows-2, 1) // the count line, and a spare row so the area never scrolls itself
	if len(l.upToDate) > 0 {
		room = max(room-1, 1)
	}
	for i, r := range l.running {
		if i == room-1 && len(l.running) > room {
			out = append(out, fit(st, cols, seg{fmt.Sprintf("  … %d more running", len(l.running)-i), aec.Faint}))
			break
		}
		out = append(out, fit(st, cols,
			seg{"▸ ", aec.BlueF},
			seg{fmt.Sprintf("%-*s ", nameWidth, r.name), aec.Bold},
			seg{fmt.Sprintf("%6s ", Duration(now.Sub(r.start))), aec.Faint},
			seg{" " + r.step, nil}))
	}
	if len(l.upToDate) > 0 {
		out = append(out, fit(st, cols, seg{"= up to date: " + strings.Join(l.upToDate, ", "), aec.Faint}))
	}
	return append(out, fit(st, cols, seg{l.count(), aec.Bold}))
}

// count is the progress line: "12/30 done · 4 running · 2 up to date".
func (l *live) count() string {
	s := fmt.Sprintf("%d/%d done · %d running", l.done, l.total, len(l.running))
	if len(l.upToDate) > 0 {
		s += fmt.Sprintf(" · %d up to date", len(l.upToDate))
	}
	if l.failed > 0 {
		s += fmt.Sprintf(" · %d failed", l.failed)
	}
	return s
}

// marks are the symbol and colour of each result status.
var marks = map[schedule.Status]seg{
	schedule.Built:     {"✔", aec.GreenF},
	schedule.UpToDate:  {"=", aec.Faint},
	schedule.Reused:    {"↻", aec.CyanF},
	schedule.Failed:    {"✖", aec.RedF},
	schedule.Skipped:   {"–", aec.YellowF},
	schedule.Cancelled: {"–", aec.YellowF},
}

// finishedLine is the one line a finished image collapses into: "✔ api  built 12.3s · Dockerfile changed".
func finishedLine(st style, res *schedule.Result, nameWidth, cols int) string {
	status := string(res.Status)
	if res.Duration > 0 {
		status += " " + Duration(res.Duration)
	}
	why := ""
	if r := firstLine(res.Reason); r != "" {
		why = " · " + printable(r)
	}
	m := marks[res.Status]
	return fit(st, cols, seg{m.text + " ", m.ansi}, seg{fmt.Sprintf("%-*s  ", nameWidth, res.Name), nil},
		seg{status, m.ansi}, seg{why, aec.Faint})
}
