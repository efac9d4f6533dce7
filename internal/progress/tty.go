package progress

import (
	"io"
	"os"
	"strings"
	"time"

	"github.com/morikuni/aec"
	"golang.org/x/term"

	"github.com/imagemake/imagemake/internal/schedule"
)

// Redraw is how often the terminal view redraws, at most; it redraws only what changed.
const Redraw = 100 * time.Millisecond

// LiveTailLines is how many log lines of an image are printed above the live area when it fails.
const LiveTailLines = 10

// tty is the live terminal view: lines that scroll up (messages, finished images, failed images'
// logs) above a live area redrawn in place (running images, the count).
type tty struct {
	w         io.Writer
	size      func() (cols, rows int)
	now       func() time.Time
	style     style
	nameWidth int
	state     live
	above     []string // printed above the live area at the next draw
	drawn     int      // rows of the live area now on the screen
	last      string   // the live area as last drawn
}

// terminalSize returns a size function when w is a terminal.
func terminalSize(w io.Writer) (func() (int, int), bool) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, false
	}
	return func() (int, int) {
		cols, rows, err := term.GetSize(int(f.Fd()))
		if err != nil || cols < 1 || rows < 1 {
			return 80, 24
		}
		return cols, rows
	}, true
}

// colour tells whether the environment allows colours (https://no-color.org).
func colour(env map[string]string) bool {
	return env["NO_COLOR"] == "" && env["TERM"] != "dumb"
}

func newTTY(w io.Writer, names []string, size func() (int, int), colour bool, now func() time.Time) *tty {
	t := &tty{w: w, size: size, now: now, style: style{colour}, state: live{total: len(names)}}
	for _, n := range names {
		t.nameWidth = max(t.nameWidth, len(n))
	}
	return t
}

// event takes an event; logTail is the image's last log lines when it failed.
func (t *tty) event(e schedule.Event, logTail []string) {
	switch e.Kind {
	case schedule.Message:
		t.above = append(t.above, printable(e.Line))
	case schedule.Started:
		t.state.running = append(t.state.running, &runner{name: e.Image, step: e.Action, start: t.now(), seen: map[string]bool{}})
	case schedule.Log:
		if r := t.runner(e.Image); r != nil {
			r.log(e.Line)
		}
	case schedule.Finished:
		t.finished(e.Result, logTail)
	}
}

func (t *tty) runner(name string) *runner {
	for _, r := range t.state.running {
		if r.name == name {
			return r
		}
	}
	return nil
}

func (t *tty) finished(res *schedule.Result, logTail []string) {
	s := &t.state
	for i, r := range s.running {
		if r.name == res.Name {
			s.running = append(s.running[:i:i], s.running[i+1:]...)
			break
		}
	}
	s.done++
	if res.Status == schedule.UpToDate {
		s.upToDate = append(s.upToDate, res.Name)
		return
	}
	cols, _ := t.size()
	t.above = append(t.above, finishedLine(t.style, res, t.nameWidth, cols))
	if res.Status == schedule.Failed {
		s.failed++
		logTail = tail(logTail, LiveTailLines)
		t.above = append(t.above, t.style.paint(aec.Faint, "  ┌ "+res.Name+": last log lines"))
		for _, l := range logTail {
			t.above = append(t.above, t.style.paint(aec.Faint, "  │ ")+l)
		}
	}
}

// draw prints the lines waiting to scroll up and redraws the live area, when either changed.
func (t *tty) draw() {
	cols, rows := t.size()
	area := t.state.frame(t.style, t.now(), t.nameWidth, cols, rows)
	text := strings.Join(area, "\n")
	if len(t.above) == 0 && text == t.last {
		return
	}
	var b strings.Builder
	if t.drawn > 0 {
		b.WriteString(aec.PreviousLine(uint(t.drawn)).String())
		b.WriteString(aec.EraseDisplay(aec.EraseModes.Tail).String())
	}
	for _, l := range append(t.above, area...) {
		b.WriteString(l + "\n")
	}
	io.WriteString(t.w, b.String())
	t.above, t.last, t.drawn = nil, text, len(area)
}

// live starts the view's redraws.
func (r *Reporter) live(t *tty) {
	r.tty, r.stop, r.done = t, make(chan struct{}), make(chan struct{})
	go func() {
		defer close(r.done)
		tick := time.NewTicker(Redraw)
		defer tick.Stop()
		for {
			select {
			case <-r.stop:
				return
			case <-tick.C:
				r.mu.Lock()
				r.tty.draw()
				r.mu.Unlock()
			}
		}
	}()
}

// stopLive stops the redraws and draws the final state, which stays on the screen.
func (r *Reporter) stopLive() {
	if r.stop == nil {
		return
	}
	close(r.stop)
	<-r.done
	r.stop = nil
	r.mu.Lock()
	r.tty.draw()
	r.mu.Unlock()
}

func (r *Reporter) ttyEvent(e schedule.Event) {
	var logTail []string
	switch e.Kind {
	case schedule.Log:
		r.keep(e.Image, e.Line)
	case schedule.Finished:
		if e.Result.Status == schedule.Failed {
			r.failed[e.Image] = tail(r.logs[e.Image], TailLines)
			logTail = r.failed[e.Image]
		}
		delete(r.logs, e.Image)
	}
	r.tty.event(e, logTail)
}
