package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestWatchArguments(t *testing.T) {
	dir := example(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"watch", "dev", "test"}, "watch runs one task; got dev and test"},
		{[]string{"watch", "nosuch"}, "nosuch"},
		{[]string{"watch", "--format", "yaml"}, `unknown format "yaml"`},
	} {
		code, _, errOut := run(t, dir, offline, c.args...)
		if code != ExitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%q: exit %d, %q; want exit 2 and %q", c.args, code, errOut, c.want)
		}
	}
}

// TestWatchGoesOnAfterAFailedRoundAndExits130: without an engine the first round fails; the
// loop says why and goes on watching until interrupted, which exits 130.
func TestWatchGoesOnAfterAFailedRoundAndExits130(t *testing.T) {
	dir := example(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code := Run(ctx, []string{"-C", dir, "watch", "api"},
		IO{In: strings.NewReader(""), Out: &out, Err: &errOut, Env: offline})
	if code != ExitInterrupted {
		t.Errorf("exit %d, want 130\n%s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), "nonexistent/docker.sock") || !strings.HasSuffix(errOut.String(), "imagemake: interrupted\n") {
		t.Errorf("stderr does not say why the round failed, then that it was interrupted:\n%s", errOut.String())
	}
}
