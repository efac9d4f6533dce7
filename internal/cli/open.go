package cli

import (
	"context"
	"fmt"

	imagerun "github.com/imagemake/imagemake/internal/run" // cli's tests have a helper named run
)

// open loads the project and opens its run for names (see run.Open), with the lock when the
// command asked for it (g.lockAs). The caller closes the run.
func (g *global) open(ctx context.Context, names []string, rebuild bool) (*imagerun.Run, error) {
	m, err := g.load(ctx)
	if err != nil {
		return nil, err
	}
	return imagerun.Open(ctx, m, imagerun.OpenOptions{Names: names, Rebuild: rebuild, LockAs: g.lockAs, NoWait: g.noWait,
		Pull: g.pull.value(),
		Warn: func(w string) { fmt.Fprintln(g.io.Err, "imagemake: warning: "+w) },
		Waiting: func(holder string) {
			fmt.Fprintf(g.io.Err, "imagemake: waiting for another imagemake on this project (%s)\n", holder)
		}})
}
