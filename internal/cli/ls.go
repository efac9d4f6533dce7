package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/imagemake/imagemake/internal/project"
)

func newLs(g *global) *cobra.Command {
	var asJSON bool
	var format string
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List images, refs, contexts, dependencies, groups and tasks",
		Example: `  imagemake ls
  imagemake ls --format json | jq '.images[] | select(.depends_on | index("pybase")) | .name'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if asJSON, err = wantJSON(format, asJSON); err != nil {
				return err
			}
			m, err := g.load(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(g.io.Out, lsJSON(m))
			}
			lsText(g.io.Out, m)
			return nil
		},
	}
	addFormatFlag(cmd.Flags(), &format, &asJSON)
	return cmd
}

type lsImage struct {
	Name         string            `json:"name"`
	Ref          string            `json:"ref"`
	Tags         []string          `json:"tags"`
	Context      string            `json:"context"`
	Dockerfile   string            `json:"dockerfile"`
	DependsOn    []string          `json:"depends_on"`
	Dependencies []lsDep           `json:"dependencies"`
	Include      []lsInclude       `json:"include,omitempty"`
	Args         map[string]string `json:"args,omitempty"`
	Target       string            `json:"target,omitempty"`
	Platform     string            `json:"platform,omitempty"`
	Platforms    []string          `json:"platforms,omitempty"`
	Contexts     map[string]string `json:"contexts,omitempty"`
}

type lsDep struct {
	Name string `json:"name"`
	Why  string `json:"why"`
}

type lsInclude struct {
	From string `json:"from"`
	To   string `json:"to"`
}

type lsTask struct {
	Needs []string `json:"needs"`
	Run   string   `json:"run"`
}

type lsOutput struct {
	Images []lsImage           `json:"images"`
	Groups map[string][]string `json:"groups"`
	Tasks  map[string]lsTask   `json:"tasks"`
}

func lsJSON(m *project.Model) lsOutput {
	out := lsOutput{Images: []lsImage{}, Groups: map[string][]string{}, Tasks: map[string]lsTask{}}
	for _, img := range m.Images {
		li := lsImage{Name: img.Name, Ref: img.Ref, Tags: nonNil(img.Tags), Context: img.Context,
			Dockerfile: img.Dockerfile, DependsOn: nonNil(m.Graph.DepNames(img.Name)), Dependencies: []lsDep{}, Args: img.Args,
			Target: img.Target, Platform: img.Platform, Platforms: img.Platforms, Contexts: img.Contexts}
		for _, d := range m.Graph.Deps(img.Name) {
			li.Dependencies = append(li.Dependencies, lsDep(d))
		}
		for _, inc := range img.Include {
			li.Include = append(li.Include, lsInclude(inc))
		}
		out.Images = append(out.Images, li)
	}
	for name, members := range m.Groups {
		out.Groups[name] = members
	}
	for name, t := range m.Tasks {
		out.Tasks[name] = lsTask{Needs: nonNil(t.Needs), Run: t.Run}
	}
	return out
}

func lsText(w io.Writer, m *project.Model) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "IMAGE\tREF\tCONTEXT\tDEPENDS ON")
	for _, img := range m.Images {
		ctx := img.Context
		if img.Dockerfile != "Dockerfile" {
			ctx += " (" + path.Join(img.Context, img.Dockerfile) + ")"
		}
		for _, inc := range img.Include {
			ctx += " +" + inc.From
			if inc.To != inc.From {
				ctx += ":" + inc.To
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", img.Name, strings.Join(img.Refs(), ", "), ctx, depList(m, img.Name))
	}
	tw.Flush()
	if len(m.Groups) > 0 {
		fmt.Fprintln(w, "\nGROUPS")
		for _, name := range slices.Sorted(maps.Keys(m.Groups)) {
			fmt.Fprintf(w, "  %s: %s\n", name, strings.Join(m.Groups[name], ", "))
		}
	}
	if len(m.Tasks) > 0 {
		fmt.Fprintln(w, "\nTASKS")
		for _, name := range slices.Sorted(maps.Keys(m.Tasks)) {
			t := m.Tasks[name]
			fmt.Fprintf(w, "  %s (needs %s): %s\n", name, orDash(strings.Join(t.Needs, ", ")), t.Run)
		}
	}
}

func depList(m *project.Model, name string) string {
	var parts []string
	for _, d := range m.Graph.Deps(name) {
		parts = append(parts, d.Name+" ("+d.Why+")")
	}
	return orDash(strings.Join(parts, ", "))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
