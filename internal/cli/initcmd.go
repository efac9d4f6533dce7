package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imagemake/imagemake/internal/project"
	"github.com/imagemake/imagemake/internal/scaffold"
)

func newInit(g *global) *cobra.Command {
	var force, toStdout, ignore bool
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Scan the tree for Dockerfiles, Compose and bake files and write a starting imagemake.yaml",
		Long: `init scans the working directory (or -C DIR) for Dockerfiles (Dockerfile, *.Dockerfile,
Dockerfile.*), Compose files and bake files (docker-bake.hcl, docker-bake.json, ...), skipping
.git, vendor, node_modules, testdata, .imagemake and hidden folders, and writes a commented imagemake.yaml
there. Compose and bake files that build images are imported (compose:, bake:); every other
Dockerfile is an image, with the context the docker build commands of Makefiles and GitHub
workflows give it or its COPY sources were written for, and one more image per stage only
--target builds. repo:, tag:, image: and tags: are taken from the refs the tree builds and names
its images by (build commands' -t, Compose image: keys, bake tags, FROM and COPY --from lines
after ARG expansion), so those lines are dependencies. Each guess is written with its evidence
as a comment; "# check:" comments mark what init could not decide.

An image that reads its whole context (COPY .) when that is the repository root, with no
ignore line excluding .git, would be rebuilt by every commit: init says so and, with
--dockerignore, appends the line to that ignore file.`,
		Example: `  imagemake init
  imagemake init --stdout | less
  imagemake -C path/to/repo init --force --dockerignore`,
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
			res, err := scaffold.Generate(cmd.Context(), root, found, g.io.Env)
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
			fmt.Fprintf(g.io.Err, "imagemake: wrote %s: %d images, %d more from %d compose and %d bake files, %d things to check (\"# check:\")\n",
				where, len(res.Images), res.Imports, len(res.Compose), len(res.Bake), res.Checks)
			if !toStdout {
				checkWritten(cmd.Context(), g, target)
			}
			return proposeIgnores(g, root, res.Ignore, ignore)
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing imagemake.yaml")
	cmd.Flags().BoolVar(&toStdout, "stdout", false, "print the config instead of writing it")
	cmd.Flags().BoolVar(&ignore, "dockerignore", false, "append .git to the ignore file of images whose context is the whole root")
	return cmd
}

// checkWritten loads the written config as ls will, so that a file which does not load (an
// imported file that needs a variable set, ...) is said now rather than by the next command.
func checkWritten(ctx context.Context, g *global, file string) {
	if _, err := project.Load(ctx, project.Options{File: file, Env: g.io.Env}); err != nil {
		fmt.Fprintf(g.io.Err, "imagemake: warning: %s does not load as written: %v\n", file, err)
	}
}

// proposeIgnores says, for each ignore file that should exclude .git, which images every commit
// would rebuild; with write it appends the line.
func proposeIgnores(g *global, root string, ignores []scaffold.Ignore, write bool) error {
	for _, ig := range ignores {
		what := fmt.Sprintf("%s does not exclude .git", ig.File)
		if !ig.Exists {
			what = fmt.Sprintf("there is no %s", ig.File)
		}
		if write {
			if err := ig.AddGitLine(root); err != nil {
				return failedErr(fmt.Errorf("writing %s: %w", ig.File, err))
			}
			fmt.Fprintf(g.io.Err, "imagemake: %s, the context of %s: added the line .git\n", ig.File, initList(ig.Images, 6))
			continue
		}
		fmt.Fprintf(g.io.Err, "imagemake: %s read the whole repository root (%s) and %s: every commit would rebuild them. "+
			"Add the line .git to %s (imagemake init --dockerignore does).\n", initList(ig.Images, 6), initList(initDistinct(ig.Why), 3), what, ig.File)
	}
	return nil
}

// initList joins at most n items, saying how many more there are.
func initList(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

func initDistinct(items []string) []string {
	var out []string
	for _, s := range items {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
