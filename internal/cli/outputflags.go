package cli

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/imagemake/imagemake/internal/progress"
)

// addProgressFlags adds the output flags of the commands that build: --progress as docker
// buildx takes it, --format json, and --output, deprecated (hidden, it still works).
func addProgressFlags(f *pflag.FlagSet, o *buildOptions) {
	f.StringVar(&o.progress, "progress", "auto", "auto, plain, tty, quiet, rawjson or grouped (default: $BUILDKIT_PROGRESS, else auto: tty on a terminal, else plain)")
	f.StringVar(&o.format, "format", "", "json: the run's events as JSON lines, instead of progress")
	f.StringVar(&o.output, "output", "", "deprecated: use --progress, or --format json")
	f.MarkHidden("output")
}

// resolveProgress sets o.mode, the progress.New mode the flags and $BUILDKIT_PROGRESS ask for:
// --format json first, then --progress, then $BUILDKIT_PROGRESS, then the deprecated --output.
func (o *buildOptions) resolveProgress(f *pflag.FlagSet, g *global) error {
	if o.format != "" && o.format != "json" {
		return usageErr(fmt.Errorf("unknown format %q (want json)", o.format))
	}
	o.mode = o.progress
	if env := g.io.Env["BUILDKIT_PROGRESS"]; env != "" && !f.Changed("progress") {
		o.mode = env
	}
	if f.Changed("output") {
		deprecated(g, "--output", "--progress plain|tty|grouped or --format json")
		if !f.Changed("progress") {
			o.mode = o.output
		}
	}
	if o.format == "json" {
		o.mode = "json"
	}
	if _, err := progress.New(o.mode, io.Discard, nil, nil); err != nil {
		if !f.Changed("progress") && !f.Changed("output") {
			err = fmt.Errorf("$BUILDKIT_PROGRESS: %w", err)
		}
		return usageErr(err)
	}
	return nil
}

// deprecated warns, once per run, that flag is deprecated in favour of use.
func deprecated(g *global, flag, use string) {
	fmt.Fprintf(g.io.Err, "imagemake: warning: %s is deprecated and will be removed; use %s\n", flag, use)
}

// addFormatFlag adds --format json to a command that prints a report (ls, plan, explain), and
// --json, the earlier spelling: hidden, it still works, silently (scripts parse stderr too).
func addFormatFlag(f *pflag.FlagSet, format *string, asJSON *bool) {
	f.StringVar(format, "format", "text", "text or json")
	f.BoolVar(asJSON, "json", false, "deprecated: use --format json")
	f.MarkHidden("json")
}

// wantJSON tells whether --format json (or the deprecated --json) was given.
func wantJSON(format string, asJSON bool) (bool, error) {
	switch format {
	case "text":
		return asJSON, nil
	case "json":
		return true, nil
	}
	return false, usageErr(fmt.Errorf("unknown format %q (want text or json)", format))
}
