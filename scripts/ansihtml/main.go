// Command ansihtml turns a terminal capture with colour escapes (tmux capture-pane -e) into an
// HTML page of one <pre>, for scripts/tty-screenshot.sh to photograph with headless Chromium.
package main

import (
	"fmt"
	"html"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// sgr matches one Select Graphic Rendition sequence; other escapes are dropped.
var (
	sgr    = regexp.MustCompile(`\x1b\[([0-9;]*)m`)
	others = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)
)

// colours are the 8 ANSI foreground colours as a dark terminal theme draws them.
var colours = []string{"#2e3436", "#ef5350", "#8bc34a", "#fdd835", "#64b5f6", "#ce93d8", "#4dd0e1", "#eeeeee"}

type pen struct {
	fg          int // -1 for the default
	bold, faint bool
}

func (p pen) style() string {
	var s []string
	if p.fg >= 0 {
		s = append(s, "color:"+colours[p.fg])
	}
	if p.bold {
		s = append(s, "font-weight:bold")
	}
	if p.faint {
		s = append(s, "opacity:0.6")
	}
	return strings.Join(s, ";")
}

// apply changes the pen by the parameters of one SGR sequence.
func (p pen) apply(params string) pen {
	for _, f := range strings.Split(params, ";") {
		n, _ := strconv.Atoi(f) // "" is 0, a reset
		switch {
		case n == 0:
			p = pen{fg: -1}
		case n == 1:
			p.bold = true
		case n == 2:
			p.faint = true
		case n == 22:
			p.bold, p.faint = false, false
		case n >= 30 && n <= 37:
			p.fg = n - 30
		case n == 39:
			p.fg = -1
		}
	}
	return p
}

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ansihtml:", err)
		os.Exit(1)
	}
	os.Stdout.WriteString(toHTML(string(in)))
}

// toHTML turns text with SGR sequences into a page whose <pre> has one span per change of pen.
func toHTML(text string) string {
	text = strings.TrimRight(text, "\n")
	var b strings.Builder
	b.WriteString(`<!doctype html><meta charset="utf-8"><body style="margin:0;background:#1e1e1e">` +
		`<pre style="margin:0;padding:14px 18px;color:#eeeeee;font:15px/1.35 'DejaVu Sans Mono',monospace">`)
	p, open := pen{fg: -1}, false
	for len(text) > 0 {
		loc := sgr.FindStringSubmatchIndex(text)
		if loc == nil {
			loc = []int{len(text), len(text), len(text), len(text)}
		}
		b.WriteString(html.EscapeString(others.ReplaceAllString(text[:loc[0]], "")))
		if loc[0] == len(text) {
			break
		}
		p = p.apply(text[loc[2]:loc[3]])
		if open {
			b.WriteString("</span>")
		}
		fmt.Fprintf(&b, `<span style="%s">`, p.style())
		open = true
		text = text[loc[1]:]
	}
	if open {
		b.WriteString("</span>")
	}
	b.WriteString("</pre></body>\n")
	return b.String()
}
