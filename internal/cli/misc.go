package cli

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imagemake/imagemake/internal/inputs"
)

func newContext(g *global) *cobra.Command {
	return &cobra.Command{
		Use:   "context IMAGE",
		Short: "Write to stdout the exact build context tar that would be sent to the engine",
		Example: `  imagemake context openresty | tar -tv
  imagemake context api > api-context.tar`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := g.load(cmd.Context())
			if err != nil {
				return err
			}
			img := m.Image(args[0])
			if img == nil {
				_, err := m.Expand(args)
				if err == nil {
					err = fmt.Errorf("%q is a group; context takes one image", args[0])
				}
				return usageErr(err)
			}
			sc, err := inputs.NewScanner(m.Project, inputs.WithDockerfiles(m.Dockerfiles))
			if err != nil {
				return failedErr(err)
			}
			entries, err := sc.Context(img)
			if err != nil {
				return failedErr(fmt.Errorf("image %q: %w", img.Name, err))
			}
			w := bufio.NewWriterSize(g.io.Out, 1<<20)
			if err := inputs.WriteTar(w, entries); err != nil {
				return failedErr(err)
			}
			if err := w.Flush(); err != nil {
				return failedErr(err)
			}
			return failedErrOrNil(sc.Save())
		},
	}
}

func newClean(g *global) *cobra.Command {
	return &cobra.Command{
		Use:     "clean",
		Short:   "Remove the local stat cache and recorded inputs (.imagemake/)",
		Long:    "clean removes .imagemake/ at the project root. Images in the engine are left alone; the next run re-reads every file once.",
		Example: "  imagemake clean",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := g.load(cmd.Context())
			if err != nil {
				return err
			}
			dir := filepath.Join(m.Root, ".imagemake")
			if err := os.RemoveAll(dir); err != nil {
				return failedErr(err)
			}
			fmt.Fprintf(g.io.Err, "removed %s\n", dir)
			return nil
		},
	}
}

func failedErrOrNil(err error) error {
	if err == nil {
		return nil
	}
	return failedErr(err)
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
