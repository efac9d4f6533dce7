package cli

import (
	"context"

	"github.com/spf13/cobra"
)

func newPush(g *global) *cobra.Command {
	var o buildOptions
	cmd := &cobra.Command{
		Use:   "push [IMAGE|GROUP...]",
		Short: "Push the refs of up-to-date images, and their inputs-digest tags, to the registry",
		Long: `push sends every ref of each named image (all images when none is named) and its
inputs-digest tag {cache.repo or repo}/{name}:in-<digest> to the registry. Images the registry
already holds under their inputs tag are tagged there, without sending layers. Every image must
be up to date in the engine, or in the registry (plan's "in-registry": built and pushed elsewhere,
or reused there by build --push), which push tags there without pulling it: run imagemake build
first (or build --push).`,
		Example: `  imagemake push
  imagemake push api worker`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.resolveProgress(cmd.Flags(), g); err != nil {
				return err
			}
			return runPush(cmd.Context(), g, o, args)
		},
	}
	cmd.Flags().IntVarP(&o.jobs, "jobs", "j", 4, "push at most `N` images at once")
	addProgressFlags(cmd.Flags(), &o)
	cmd.Flags().BoolVar(&g.noWait, "no-wait", false, "fail (exit 1) instead of waiting when another imagemake builds this project")
	return cmd
}

func runPush(ctx context.Context, g *global, o buildOptions, names []string) error {
	o.push = true
	g.lockAs = "imagemake push"
	r, err := g.open(ctx, names, false)
	if err != nil {
		return err
	}
	defer r.Close()
	rep := g.reporter(r, o)
	results, err := r.Push(ctx, o.runOptions(), rep.event)
	return g.finish(ctx, r, rep, o, results, err)
}
