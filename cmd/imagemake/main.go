// Command imagemake builds every image of a repository in dependency order, rebuilding only what
// changed. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/imagemake/imagemake/internal/cli"
)

func main() {
	// A no-op run allocates a few hundred thousand small objects and exits: collecting less
	// often keeps it as cheap as `git status` (docs/benchmarks.md). GOGC still overrides this.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Stdio())
	stop()
	os.Exit(code)
}
