package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// --format json is the one spelling of JSON; --json still works, silently.
func TestFormatJSONAndDeprecatedJSON(t *testing.T) {
	dir := example(t)
	for _, cmd := range []string{"ls", "plan"} {
		code, out, errOut := run(t, dir, offline, cmd, "--format", "json")
		var v map[string]any
		if code != 0 || json.Unmarshal([]byte(out), &v) != nil || strings.Contains(errOut, "deprecated") {
			t.Errorf("%s --format json: exit %d, stdout %q, stderr %q", cmd, code, out, errOut)
		}
		code, old, errOut := run(t, dir, offline, cmd, "--json")
		if code != 0 || json.Unmarshal([]byte(old), &v) != nil || errOut != "" {
			t.Errorf("%s --json: exit %d, stdout %q, stderr %q", cmd, code, old, errOut)
		}
	}
}

// --progress beats $BUILDKIT_PROGRESS, which beats the deprecated --output; --format json beats all.
func TestProgressModeResolution(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  string
		want string
		warn bool
	}{
		{nil, "", "auto", false},
		{nil, "plain", "plain", false},
		{[]string{"--progress", "quiet"}, "plain", "quiet", false},
		{[]string{"--output", "line"}, "", "line", true},
		{[]string{"--output", "json"}, "tty", "json", true},
		{[]string{"--output", "grouped", "--progress", "tty"}, "", "tty", true},
		{[]string{"--progress", "grouped"}, "", "grouped", false},
		{[]string{"--format", "json", "--progress", "tty"}, "", "json", false},
		{[]string{"--progress", "rawjson"}, "", "rawjson", false},
	} {
		var errOut strings.Builder
		g := &global{io: IO{Err: &errOut, Env: map[string]string{}}}
		if c.env != "" {
			g.io.Env["BUILDKIT_PROGRESS"] = c.env
		}
		var o buildOptions
		f := pflag.NewFlagSet("build", pflag.ContinueOnError)
		addProgressFlags(f, &o)
		if err := f.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		if err := o.resolveProgress(f, g); err != nil || o.mode != c.want || strings.Contains(errOut.String(), "deprecated") != c.warn {
			t.Errorf("%v with BUILDKIT_PROGRESS=%q: mode %q, err %v, stderr %q; want %q (warning: %v)", c.args, c.env, o.mode, err, errOut.String(), c.want, c.warn)
		}
	}
}

func TestOutputFlagsComplete(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"__complete", "build", "--progress", ""}, "auto\nplain\ntty\nquiet\nrawjson\ngrouped\n:4\n"},
		{[]string{"__complete", "push", "--format", ""}, "json\n:4\n"},
		{[]string{"__complete", "plan", "--format", ""}, "text\njson\n:4\n"},
	} {
		if code, out, _ := run(t, dir, offline, c.args...); code != 0 || out != c.want {
			t.Errorf("%v: exit %d, %q; want %q", c.args, code, out, c.want)
		}
	}
}
