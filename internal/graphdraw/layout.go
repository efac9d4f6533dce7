// Package graphdraw draws the image graph as an SVG or PNG picture without Graphviz: a layered
// layout (longest-path layers, barycentre ordering against crossings) with edges as curves
// ending in arrowheads, from each image to the images built on it.
package graphdraw

import (
	"slices"
)

// Node is one image: its name, the images it is built on, and a status that colours it ("" for
// none).
type Node struct {
	Name   string
	Deps   []string
	Status string
}

// slot is a place in a layer: a node, or a dummy point of an edge that crosses layers.
type slot struct {
	node  int // index in nodes; -1 for a dummy
	bary  float64
	layer int
	pos   int
}

// layout is where everything goes: layers of slots, and each edge's chain of slots from the
// image built on (upper layer) down to the image built on it.
type layout struct {
	layers [][]*slot
	edges  []edge
}

type edge struct {
	from, to string
	chain    []*slot
}

// sweeps is how many down-and-up passes of barycentre ordering run; a few settle small graphs.
const sweeps = 4

func newLayout(nodes []Node) *layout {
	index := map[string]int{}
	for i, n := range nodes {
		index[n.Name] = i
	}
	layerOf := layers(nodes, index)
	l := &layout{}
	slots := make([]*slot, len(nodes))
	for i := range nodes {
		slots[i] = l.add(i, layerOf[i])
	}
	for i, n := range nodes {
		for _, d := range n.Deps {
			j, ok := index[d]
			if !ok {
				continue
			}
			chain := []*slot{slots[j]}
			for k := layerOf[j] + 1; k < layerOf[i]; k++ {
				chain = append(chain, l.add(-1, k))
			}
			l.edges = append(l.edges, edge{from: d, to: n.Name, chain: append(chain, slots[i])})
		}
	}
	l.order()
	return l
}

// layers puts every node one layer below the deepest image it is built on (longest path).
func layers(nodes []Node, index map[string]int) []int {
	out := make([]int, len(nodes))
	done := make([]bool, len(nodes))
	var visit func(i int, seen map[int]bool) int
	visit = func(i int, seen map[int]bool) int {
		if done[i] || seen[i] { // seen: a cycle, which the graph package already rejects
			return out[i]
		}
		seen[i] = true
		for _, d := range nodes[i].Deps {
			if j, ok := index[d]; ok {
				out[i] = max(out[i], visit(j, seen)+1)
			}
		}
		done[i] = true
		return out[i]
	}
	for i := range nodes {
		visit(i, map[int]bool{})
	}
	return out
}

func (l *layout) add(node, layer int) *slot {
	for len(l.layers) <= layer {
		l.layers = append(l.layers, nil)
	}
	s := &slot{node: node, layer: layer, pos: len(l.layers[layer])}
	l.layers[layer] = append(l.layers[layer], s)
	return s
}

// order sorts each layer by the mean position of its neighbours in the layer before (going
// down) or after (going up), which removes most crossings.
func (l *layout) order() {
	up, down := map[*slot][]*slot{}, map[*slot][]*slot{}
	for _, e := range l.edges {
		for k := 1; k < len(e.chain); k++ {
			up[e.chain[k]] = append(up[e.chain[k]], e.chain[k-1])
			down[e.chain[k-1]] = append(down[e.chain[k-1]], e.chain[k])
		}
	}
	for range sweeps {
		for k := 1; k < len(l.layers); k++ {
			l.sortLayer(k, up)
		}
		for k := len(l.layers) - 2; k >= 0; k-- {
			l.sortLayer(k, down)
		}
	}
}

func (l *layout) sortLayer(k int, neighbours map[*slot][]*slot) {
	layer := l.layers[k]
	for _, s := range layer {
		s.bary = float64(s.pos)
		if ns := neighbours[s]; len(ns) > 0 {
			sum := 0.0
			for _, n := range ns {
				sum += float64(n.pos)
			}
			s.bary = sum / float64(len(ns))
		}
	}
	slices.SortStableFunc(layer, func(a, b *slot) int {
		switch {
		case a.bary < b.bary:
			return -1
		case a.bary > b.bary:
			return 1
		}
		return 0
	})
	for i, s := range layer {
		s.pos = i
	}
}
