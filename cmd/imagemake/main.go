// Command imagemake builds every image of a repository in dependency order, rebuilding only what
// changed. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/imagemake/imagemake/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Stdio())
	stop()
	os.Exit(code)
}
