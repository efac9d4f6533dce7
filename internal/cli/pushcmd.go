package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imagemake/imagemake/internal/plan"
)

func newPush(g *global) *cobra.Command {
	var o buildOptions
	cmd := &cobra.Command{
		Use:   "push [IMAGE|GROUP...]",
		Short: "Push the refs of up-to-date images, and their inputs-digest tags, to the registry",
		Long: `push sends every ref of each named image (all images when none is named) and its
inputs-digest tag {cache.repo or repo}/{name}:in-<digest> to the registry. Images the registry
already holds under their inputs tag are tagged there, without sending layers. Every image must
be up to date in the engine: run imagemake build first (or build --push).`,
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
	s, err := g.prepare(ctx, names, false)
	if err != nil {
		return err
	}
	defer s.Close()
	if s.engineErr != nil {
		return failedErr(fmt.Errorf("cannot push: %w", s.engineErr))
	}
	if stale := notUpToDate(s.images); len(stale) > 0 {
		return failedErr(fmt.Errorf("not up to date, build first: %s", strings.Join(stale, "; ")))
	}
	if s.openRegistry(ctx, false); s.checkPush(o) != nil {
		return s.checkPush(o)
	}
	if err := s.findInRegistry(ctx, s.images); err != nil {
		return err
	}
	return s.schedule(ctx, g, o)
}

func notUpToDate(images []*plan.Image) []string {
	var out []string
	for _, pi := range images {
		if pi.Status != plan.UpToDate {
			out = append(out, pi.Name+" ("+pi.Reason+")")
		}
	}
	return out
}
