package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/imagemake/imagemake/internal/scaffold"
)

func newInit(g *global) *cobra.Command {
	var force, toStdout bool
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Scan the tree for Dockerfiles and Compose files and write a starting imagemake.yaml",
		Long: `init scans the working directory (or -C DIR) for Dockerfiles (Dockerfile, *.Dockerfile,
Dockerfile.*) and Compose files, skipping .git, vendor, node_modules, .imagemake and hidden
folders, and writes a commented imagemake.yaml there: one image per Dockerfile, named after its
folder, with the dependencies FROM lines imply. "# check:" comments mark what it had to guess.`,
		Example: `  imagemake init
  imagemake init --stdout | less
  imagemake -C path/to/repo init --force`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir := g.dir
			if dir == "" {
				dir = "."
			}
			target := filepath.Join(dir, "imagemake.yaml")
			if g.file != "" {
				target = g.file
				if !filepath.IsAbs(target) {
					target = filepath.Join(dir, target)
				}
			}
			root, err := filepath.Abs(filepath.Dir(target))
			if err != nil {
				return failedErr(err)
			}
			if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
				return usageErr(fmt.Errorf("%s: not a folder", root))
			}
			if !toStdout && !force {
				if _, err := os.Lstat(target); err == nil {
					return usageErr(fmt.Errorf("%s already exists; use --force to overwrite it, or --stdout to print the new one", target))
				} else if !errors.Is(err, fs.ErrNotExist) {
					return failedErr(err)
				}
			}
			found, err := scaffold.Scan(os.DirFS(root), filepath.Base(root))
			if err != nil {
				return failedErr(err)
			}
			res, err := scaffold.Generate(os.DirFS(root), found)
			if err != nil {
				return failedErr(err)
			}
			where := target
			if toStdout {
				if _, err := g.io.Out.Write(res.YAML); err != nil {
					return failedErr(err)
				}
				where = "stdout"
			} else if err := os.WriteFile(target, res.YAML, 0o644); err != nil {
				return failedErr(err)
			}
			fmt.Fprintf(g.io.Err, "imagemake: wrote %s: %d images, %d compose files, %d things to check (\"# check:\")\n",
				where, len(res.Images), len(res.Compose), res.Checks)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing imagemake.yaml")
	cmd.Flags().BoolVar(&toStdout, "stdout", false, "print the config instead of writing it")
	return cmd
}
