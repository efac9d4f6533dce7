// Package graph holds the image graph: dependencies with their reasons, cycle detection with the
// cycle's path, dependency order and the length of each image's chain of dependents. No I/O.
package graph

import (
	"fmt"
	"sort"
	"strings"
)

// Dep is one edge: the image depends on Name because of Why.
type Dep struct {
	Name string
	Why  string // e.g. "depends_on", "FROM acme/pybase:dev (Dockerfile line 1)", "contexts.base"
}

// Node is an image with the images it depends on.
type Node struct {
	Name string
	Deps []Dep
}

// Graph is an acyclic image graph.
type Graph struct {
	nodes      map[string]*Node
	order      []string
	dependents map[string][]string
	height     map[string]int
}

// CycleError reports a dependency cycle; Path starts and ends with the same image.
type CycleError struct{ Path []string }

func (e *CycleError) Error() string {
	return "dependency cycle: " + strings.Join(e.Path, " -> ")
}

// New checks that every dependency names a node and that there is no cycle.
func New(nodes []Node) (*Graph, error) {
	g := &Graph{nodes: map[string]*Node{}, dependents: map[string][]string{}, height: map[string]int{}}
	for i := range nodes {
		n := nodes[i]
		n.Deps = dedupe(n.Deps)
		g.nodes[n.Name] = &n
	}
	for _, n := range g.nodes {
		for _, d := range n.Deps {
			if g.nodes[d.Name] == nil {
				return nil, fmt.Errorf("image %q depends on unknown image %q (%s)", n.Name, d.Name, d.Why)
			}
			g.dependents[d.Name] = append(g.dependents[d.Name], n.Name)
		}
	}
	for _, list := range g.dependents {
		sort.Strings(list)
	}
	order, err := g.sort()
	if err != nil {
		return nil, err
	}
	g.order = order
	for i := len(order) - 1; i >= 0; i-- {
		name := order[i]
		for _, d := range g.dependents[name] {
			if h := g.height[d] + 1; h > g.height[name] {
				g.height[name] = h
			}
		}
	}
	return g, nil
}

// dedupe keeps the first reason for each dependency and sorts by name.
func dedupe(deps []Dep) []Dep {
	seen := map[string]bool{}
	var out []Dep
	for _, d := range deps {
		if !seen[d.Name] {
			seen[d.Name] = true
			out = append(out, d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// sort is a depth-first topological sort visiting names alphabetically, so the order is stable.
func (g *Graph) sort() ([]string, error) {
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var order, stack []string
	var visit func(name string) error
	visit = func(name string) error {
		switch state[name] {
		case done:
			return nil
		case visiting:
			return &CycleError{Path: cyclePath(stack, name)}
		}
		state[name] = visiting
		stack = append(stack, name)
		for _, d := range g.nodes[name].Deps {
			if err := visit(d.Name); err != nil {
				return err
			}
		}
		stack = stack[:len(stack)-1]
		state[name] = done
		order = append(order, name)
		return nil
	}
	for _, name := range g.Names() {
		if err := visit(name); err != nil {
			return nil, err
		}
	}
	return order, nil
}

func cyclePath(stack []string, name string) []string {
	for i, s := range stack {
		if s == name {
			return append(append([]string{}, stack[i:]...), name)
		}
	}
	return []string{name, name}
}

// Names returns every image name, sorted.
func (g *Graph) Names() []string {
	names := make([]string, 0, len(g.nodes))
	for n := range g.nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Order returns every image, dependencies before dependents.
func (g *Graph) Order() []string { return append([]string(nil), g.order...) }

// Deps returns the direct dependencies of an image, sorted by name.
func (g *Graph) Deps(name string) []Dep { return g.nodes[name].Deps }

// DepNames returns the names of the direct dependencies of an image.
func (g *Graph) DepNames(name string) []string {
	var out []string
	for _, d := range g.nodes[name].Deps {
		out = append(out, d.Name)
	}
	return out
}

// Dependents returns the images that depend directly on name, sorted.
func (g *Graph) Dependents(name string) []string { return g.dependents[name] }

// Height is the length of the longest chain of dependents below an image (0 for a leaf).
func (g *Graph) Height(name string) int { return g.height[name] }

// Has tells whether the graph holds an image of that name.
func (g *Graph) Has(name string) bool { return g.nodes[name] != nil }

// Closure returns the named images and everything they depend on, in dependency order.
func (g *Graph) Closure(names []string) []string {
	want := map[string]bool{}
	var mark func(string)
	mark = func(n string) {
		if want[n] {
			return
		}
		want[n] = true
		for _, d := range g.nodes[n].Deps {
			mark(d.Name)
		}
	}
	for _, n := range names {
		mark(n)
	}
	var out []string
	for _, n := range g.order {
		if want[n] {
			out = append(out, n)
		}
	}
	return out
}
