package cli

import (
	"github.com/spf13/cobra"

	"github.com/imagemake/imagemake/docs"
)

func newSchema(g *global) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of imagemake.yaml, for editors to complete and check the config",
		Long: `schema prints the JSON Schema (draft 2020-12) of imagemake.yaml, the same as
docs/imagemake.schema.json. Point an editor's YAML support at it, for example with the first line
# yaml-language-server: $schema=docs/imagemake.schema.json`,
		Example: `  imagemake schema > imagemake.schema.json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := g.io.Out.Write(docs.Schema)
			return failedErrOrNil(err)
		},
	}
}
