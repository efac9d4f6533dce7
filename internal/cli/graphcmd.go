package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imagemake/imagemake/internal/graphdraw"
	"github.com/imagemake/imagemake/internal/project"
)

var graphFormats = map[string]func(io.Writer, *project.Model) error{
	"text": graphText, "dot": graphDot, "mermaid": graphMermaid, "json": graphJSON,
}

func newGraph(g *global) *cobra.Command {
	var format string
	var withPlan bool
	cmd := &cobra.Command{
		Use:   "graph",
		Short: "Print the image graph (text, dot, mermaid, json, or a picture: svg or png)",
		Example: `  imagemake graph
  imagemake graph --format svg --plan > graph.svg   # stale images highlighted
  imagemake graph --format png > graph.png
  imagemake graph --format dot | dot -Tsvg > graph.svg
  imagemake graph --format mermaid >> docs/images.md`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if draw, ok := graphPictures[format]; ok {
				return g.graphPicture(cmd.Context(), draw, withPlan)
			}
			write, ok := graphFormats[format]
			if !ok {
				return usageErr(fmt.Errorf("unknown --format %q (want text, dot, mermaid, json, svg or png)", format))
			}
			if withPlan {
				return usageErr(fmt.Errorf("--plan goes with --format svg or png"))
			}
			m, err := g.load(cmd.Context())
			if err != nil {
				return err
			}
			return write(g.io.Out, m)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text, dot, mermaid, json, svg or png")
	cmd.Flags().BoolVar(&withPlan, "plan", false, "with --format svg or png: plan first (asks the engine) and colour stale images")
	formats := append(slices.Sorted(maps.Keys(graphFormats)), slices.Sorted(maps.Keys(graphPictures))...)
	if err := cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp)); err != nil {
		panic(err) // the flag is defined just above
	}
	return cmd
}

// graphPictures draw the graph, laid out by graphdraw (no Graphviz needed).
var graphPictures = map[string]func(io.Writer, []graphdraw.Node) error{"svg": graphdraw.WriteSVG, "png": graphdraw.WritePNG}

// graphPicture draws the graph; withPlan colours each image by its plan status.
func (g *global) graphPicture(ctx context.Context, draw func(io.Writer, []graphdraw.Node) error, withPlan bool) error {
	m, err := g.load(ctx)
	if err != nil {
		return err
	}
	status := map[string]string{}
	if withPlan {
		s, err := g.open(ctx, nil, false)
		if err != nil {
			return err
		}
		defer s.Close()
		if s.EngineErr != nil {
			fmt.Fprintf(g.io.Err, "imagemake: engine unreachable, status unknown: %v\n", oneLine(s.EngineErr))
		}
		for _, pi := range s.Images {
			status[pi.Name] = string(pi.Status)
		}
	}
	var nodes []graphdraw.Node
	for _, name := range m.Graph.Order() {
		nodes = append(nodes, graphdraw.Node{Name: name, Deps: m.Graph.DepNames(name), Status: status[name]})
	}
	return failedErrOrNil(draw(g.io.Out, nodes))
}

// graphText prints each image in build order with what it is built on.
func graphText(w io.Writer, m *project.Model) error {
	for _, name := range m.Graph.Order() {
		deps := m.Graph.DepNames(name)
		if len(deps) == 0 {
			fmt.Fprintln(w, name)
			continue
		}
		fmt.Fprintf(w, "%s <- %s\n", name, strings.Join(deps, ", "))
	}
	return nil
}

func graphDot(w io.Writer, m *project.Model) error {
	fmt.Fprintln(w, "digraph images {\n  rankdir=BT;\n  node [shape=box];")
	for _, name := range m.Graph.Order() {
		fmt.Fprintf(w, "  %q;\n", name)
		for _, d := range m.Graph.Deps(name) {
			fmt.Fprintf(w, "  %q -> %q [tooltip=%q];\n", name, d.Name, d.Why)
		}
	}
	fmt.Fprintln(w, "}")
	return nil
}

func graphMermaid(w io.Writer, m *project.Model) error {
	fmt.Fprintln(w, "graph BT")
	ids := map[string]string{}
	id := func(name string) string { return ids[name] }
	for i, name := range m.Graph.Order() {
		ids[name] = fmt.Sprintf("n%d", i)
		fmt.Fprintf(w, "  %s[\"%s\"]\n", id(name), name)
	}
	for _, name := range m.Graph.Order() {
		for _, d := range m.Graph.DepNames(name) {
			fmt.Fprintf(w, "  %s --> %s\n", id(name), id(d))
		}
	}
	return nil
}

type graphEdge struct {
	From string `json:"from"`
	To   string `json:"to"`
	Why  string `json:"why"`
}

func graphJSON(w io.Writer, m *project.Model) error {
	out := struct {
		Nodes []string    `json:"nodes"`
		Edges []graphEdge `json:"edges"`
	}{Nodes: m.Graph.Order(), Edges: []graphEdge{}}
	for _, name := range out.Nodes {
		for _, d := range m.Graph.Deps(name) {
			out.Edges = append(out.Edges, graphEdge{From: name, To: d.Name, Why: d.Why})
		}
	}
	return writeJSON(w, out)
}
