package main

import (
	"strings"
	"testing"
)

func TestToHTML(t *testing.T) {
	got := toHTML("\x1b[2F\x1b[0J\x1b[32m✔ \x1b[39mapi <x>\x1b[1m bold\x1b[0;2m faint\x1b[0m\n\n")
	for _, want := range []string{
		`<span style="color:#8bc34a">✔ </span><span style="">api &lt;x&gt;</span>`,
		`<span style="font-weight:bold"> bold</span><span style="opacity:0.6"> faint</span><span style=""></span></pre>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("toHTML lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "\x1b") {
		t.Errorf("an escape is left: %q", got)
	}
}
