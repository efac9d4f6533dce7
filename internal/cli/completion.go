package cli

import (
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imagemake/imagemake/internal/progress"
	"github.com/imagemake/imagemake/internal/project"
)

// What a command's arguments name, for completion.
type argKind int

const (
	imageArgs        argKind = iota // one image (context, explain)
	imageOrGroupArgs                // images and groups, several (build, plan, push, pull)
	taskArgs                        // one task (run)
)

// completeNames completes the names of the project's images, groups or tasks. The project is
// loaded quietly (-f and -C apply): a config that does not load completes nothing, and no
// warning reaches the shell.
func completeNames(g *global, kind argKind) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if kind != imageOrGroupArgs && len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		m, err := project.Load(cmd.Context(), project.Options{File: g.file, Dir: g.dir, Env: g.io.Env})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, name := range namesOf(m, kind) {
			if strings.HasPrefix(name, toComplete) && !slices.Contains(args, name) {
				out = append(out, name)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

func namesOf(m *project.Model, kind argKind) []string {
	if kind == taskArgs {
		return slices.Sorted(maps.Keys(m.Tasks))
	}
	var out []string
	for _, img := range m.Images {
		out = append(out, img.Name)
	}
	slices.Sort(out)
	if kind == imageOrGroupArgs {
		out = append(out, slices.Sorted(maps.Keys(m.Groups))...)
	}
	return out
}

// completeArgs makes the commands that take names complete them.
func completeArgs(root *cobra.Command, g *global) {
	kinds := map[string]argKind{"build": imageOrGroupArgs, "plan": imageOrGroupArgs, "push": imageOrGroupArgs, "pull": imageOrGroupArgs,
		"context": imageArgs, "explain": imageArgs, "run": taskArgs}
	for _, c := range root.Commands() {
		if kind, ok := kinds[c.Name()]; ok {
			c.ValidArgsFunction = completeNames(g, kind)
		}
		completeOutputFlags(c)
	}
}

// completeOutputFlags completes --progress with its modes, and --format with text and json on
// the commands whose --format is addFormatFlag's or addProgressFlags' (graph completes its own).
func completeOutputFlags(c *cobra.Command) {
	fixed := func(values ...string) cobra.CompletionFunc {
		return cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp)
	}
	if c.Flags().Lookup("progress") != nil {
		c.RegisterFlagCompletionFunc("progress", fixed(progress.Modes...))
		c.RegisterFlagCompletionFunc("format", fixed("json"))
	} else if c.Flags().Lookup("json") != nil {
		c.RegisterFlagCompletionFunc("format", fixed("text", "json"))
	}
}
