package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/imagemake/imagemake/internal/plan"
	imagerun "github.com/imagemake/imagemake/internal/run"
)

type planOptions struct {
	asJSON  bool
	format  string
	check   bool
	verbose bool
}

func newPlan(g *global) *cobra.Command {
	var o planOptions
	cmd := &cobra.Command{
		Use:   "plan [IMAGE|GROUP...]",
		Short: "Tell for each image whether it is up to date, and why not",
		Long: `plan computes the inputs digest of every image (Dockerfile, build context after exclusions,
build args, target, platform, base images) and asks the engine, once, which images it holds with
that digest. Without a reachable engine every image is "unknown", and the reason says what changed
since imagemake last saw the image. An image the engine lacks but the registry holds with its
inputs (built and pushed elsewhere, or reused there by build --push) is "in-registry": a build
or run reuses it, pull fetches it, push tags it; plan --check counts it as up to date, since
nothing would build it.`,
		Example: `  imagemake plan
  imagemake plan api worker --format json
  imagemake plan --check || echo "something needs a build"`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.asJSON, err = wantJSON(o.format, o.asJSON); err != nil {
				return err
			}
			s, err := g.open(cmd.Context(), args, false)
			if err != nil {
				return err
			}
			defer s.Close()
			if s.EngineErr != nil && !o.asJSON {
				fmt.Fprintf(g.io.Err, "imagemake: engine unreachable, status unknown: %v\n", oneLine(s.EngineErr))
			}
			regErr := s.FindInRegistry(cmd.Context(), false)
			if regErr != nil && !o.asJSON {
				fmt.Fprintf(g.io.Err, "imagemake: registry unreachable, images the engine lacks are shown stale: %v\n", oneLine(regErr))
			}
			if regErr == nil { // what changed since the nearest commit's pushed image (run/reasons.go)
				s.ReasonsFromRegistry(cmd.Context(), func(w string) { fmt.Fprintln(g.io.Err, "imagemake: warning: "+w) })
			}
			if err := s.RecordSeen(); err != nil {
				return err
			}
			var caches map[string]string
			if o.verbose {
				if caches, err = s.CacheSources(cmd.Context()); err != nil {
					return err
				}
			}
			if o.asJSON {
				err = writeJSON(g.io.Out, planJSON(s, caches, regErr))
			} else {
				planText(g.io.Out, s.Images, caches)
			}
			if o.verbose {
				st := s.Scanner.Stats()
				fmt.Fprintf(g.io.Err, "imagemake: %d folders listed, %d entries stat'ed, %d files read to hash (%.1f MB), %d hashes from the stat cache\n",
					st.Listed, st.Statted, st.Hashed, float64(st.BytesHashed)/1e6, st.CacheHits)
			}
			if err == nil && o.check && !allUpToDate(s.Images) {
				return silent(ExitFailed)
			}
			return err
		},
	}
	addFormatFlag(cmd.Flags(), &o.format, &o.asJSON)
	addPullFlag(cmd.Flags(), g)
	cmd.Flags().BoolVar(&o.check, "check", false, "exit 1 when any image would build (not up to date in the engine or the registry)")
	cmd.Flags().BoolVarP(&o.verbose, "verbose", "v", false, "also show each image's inputs digest, file count and the cache source a build would use")
	return cmd
}

type planImageJSON struct {
	Name      string      `json:"name"`
	Ref       string      `json:"ref"`
	Status    plan.Status `json:"status"`
	Reason    string      `json:"reason"`
	Inputs    string      `json:"inputs"`
	CacheFrom string      `json:"cache_from,omitempty"`
}

type planOutputJSON struct {
	Images        []planImageJSON `json:"images"`
	EngineError   string          `json:"engine_error,omitempty"`
	RegistryError string          `json:"registry_error,omitempty"`
}

func planJSON(s *imagerun.Run, caches map[string]string, regErr error) planOutputJSON {
	out := planOutputJSON{Images: []planImageJSON{}}
	if s.EngineErr != nil {
		out.EngineError = oneLine(s.EngineErr)
	}
	if regErr != nil {
		out.RegistryError = oneLine(regErr)
	}
	for _, pi := range s.Images {
		if pi.Requested {
			out.Images = append(out.Images, planImageJSON{pi.Name, pi.Config.Ref, pi.Status, pi.Reason, pi.Manifest.Digest, caches[pi.Name]})
		}
	}
	return out
}

// planText prints the plan; with caches (plan -v) also digests, file counts and cache sources.
func planText(w io.Writer, images []*plan.Image, caches map[string]string) {
	verbose := caches != nil
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if verbose {
		fmt.Fprintln(tw, "IMAGE\tSTATUS\tINPUTS\tFILES\tCACHE FROM\tREASON")
	} else {
		fmt.Fprintln(tw, "IMAGE\tSTATUS\tREASON")
	}
	for _, pi := range images {
		if !pi.Requested {
			continue
		}
		if verbose {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", pi.Name, pi.Status, shortDigest(pi.Manifest.Digest),
				pi.Context.Len(), orDash(caches[pi.Name]), pi.Reason)
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", pi.Name, pi.Status, pi.Reason)
		}
	}
	tw.Flush()
}

// allUpToDate tells whether nothing requested would build: every image is up to date in the
// engine, or in the registry (a run reuses it).
func allUpToDate(images []*plan.Image) bool {
	for _, pi := range images {
		if pi.Requested && pi.Status != plan.UpToDate && pi.Status != plan.InRegistry {
			return false
		}
	}
	return true
}

func shortDigest(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}
