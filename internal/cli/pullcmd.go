package cli

import (
	"context"

	"github.com/spf13/cobra"
)

func newPull(g *global) *cobra.Command {
	var o buildOptions
	cmd := &cobra.Command{
		Use:   "pull [IMAGE|GROUP...]",
		Short: "Bring images into the engine from the registry, building nothing",
		Long: `pull makes the engine hold every named image (all images when none is named) with its current
inputs, as plan computes them: an image the engine holds already is left alone, one it holds
under another ref is tagged, one the registry holds is pulled, by its inputs-digest tag
{cache.repo or repo}/{name}:in-<digest> or else by its ref, checked for its inputs label and
tagged with every ref. Nothing is built: when neither the engine nor the registry holds an
image's inputs, pull fails before pulling anything and names it (run imagemake build).
Dependencies of the named images are not pulled.`,
		Example: `  imagemake pull
  DOCKER_TAG=$CI_COMMIT_SHORT_SHA imagemake pull services`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.resolveProgress(cmd.Flags(), g); err != nil {
				return err
			}
			return runPull(cmd.Context(), g, o, args)
		},
	}
	cmd.Flags().IntVarP(&o.jobs, "jobs", "j", 4, "pull at most `N` images at once")
	addProgressFlags(cmd.Flags(), &o)
	cmd.Flags().BoolVar(&g.noWait, "no-wait", false, "fail (exit 1) instead of waiting when another imagemake builds this project")
	return cmd
}

func runPull(ctx context.Context, g *global, o buildOptions, names []string) error {
	g.lockAs = "imagemake pull"
	r, err := g.open(ctx, names, false)
	if err != nil {
		return err
	}
	defer r.Close()
	rep := g.reporter(r, o)
	results, err := r.Pull(ctx, o.runOptions(), rep.event)
	return g.finish(ctx, r, rep, o, results, err)
}
