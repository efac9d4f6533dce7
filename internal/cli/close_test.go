package cli

import (
	"context"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/lock"
)

// A command run in-process leaves the process as it found it: the garbage collector's settings
// restored and the project lock free, whether it succeeds (plan) or fails (build offline).
func TestCommandsRestoreGCAndReleaseLock(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	percent := debug.SetGCPercent(73)
	defer debug.SetGCPercent(percent)
	limit := debug.SetMemoryLimit(3 << 30)
	defer debug.SetMemoryLimit(limit)
	dir := example(t)
	for _, args := range [][]string{{"plan"}, {"plan", "--json"}, {"build"}, {"build", "--dry-run"}, {"build", "--push", "--builder", "tcp://127.0.0.1:1"}, {"push"}, {"explain", "api"}} {
		code, _, stderr := run(t, dir, offline, args...)
		if code == ExitUsage {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		if got := debug.SetGCPercent(73); got != 73 {
			t.Errorf("%v left GC percent %d, want 73", args, got)
		}
		if got := debug.SetMemoryLimit(-1); got != 3<<30 {
			t.Errorf("%v left memory limit %d, want %d", args, got, 3<<30)
		}
		release, err := lock.Acquire(context.Background(), filepath.Join(dir, inputs.StateDir), "test", false, nil)
		if err != nil {
			t.Fatalf("%v left the lock held: %v", args, err)
		}
		release()
	}
}
