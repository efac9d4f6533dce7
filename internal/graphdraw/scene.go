package graphdraw

import "slices"

// Sizes in pixels (SVG user units).
const (
	charWidth  = 7.5 // of the 13px sans-serif labels, a little over most fonts' mean
	nodeHeight = 32
	padding    = 12 // inside a node, left and right of its label
	gapX       = 24 // between slots of a layer
	gapY       = 56 // between layers
	dummyWidth = 12 // an edge passing through a layer
	margin     = 16
	legendRow  = 22
)

// Colours of the statuses plan gives; a node without status is neutral.
var statusFill = map[string]string{"stale": "#f4b860", "up-to-date": "#9fd89f", "unknown": "#d0d0d0", "": "#dde7f5"}

// legendStatuses are the statuses the legend explains, in its order.
var legendStatuses = []string{"stale", "up-to-date", "unknown"}

const (
	edgeColour   = "#555555"
	borderColour = "#333333"
)

type point struct{ x, y float64 }

// box is a node as drawn: its rectangle's top-left corner and size.
type box struct {
	name, status string
	layer        int
	x, y, w, h   float64
}

// segment is one piece of an edge from the previous point: a cubic curve with control points
// c1, c2, or a straight line when line is set.
type segment struct {
	c1, c2, end point
	line        bool
}

type edgePath struct {
	from, to string
	start    point
	segs     []segment
}

// scene is the graph placed on the page: what both the SVG and the PNG draw.
type scene struct {
	width, height float64
	boxes         []box
	edges         []edgePath
	legend        bool
}

func newScene(nodes []Node) *scene {
	l := newLayout(nodes)
	nodeW := nodeWidth(nodes)
	slotW := func(s *slot) float64 {
		if s.node < 0 {
			return dummyWidth
		}
		return nodeW
	}
	sc := &scene{legend: slices.ContainsFunc(nodes, func(n Node) bool { return n.Status != "" })}
	at := sc.place(l, slotW)
	for _, layer := range l.layers {
		for _, s := range layer {
			if s.node >= 0 {
				p := at[s]
				sc.boxes = append(sc.boxes, box{nodes[s.node].Name, nodes[s.node].Status, s.layer, p.x, p.y, nodeW, nodeHeight})
			}
		}
	}
	for _, e := range l.edges {
		sc.edges = append(sc.edges, route(e, at, slotW))
	}
	return sc
}

func nodeWidth(nodes []Node) float64 {
	longest := 1
	for _, n := range nodes {
		longest = max(longest, len(n.Name))
	}
	return float64(longest)*charWidth + 2*padding
}

// place gives every slot its top-left corner: layers top to bottom, each centred.
func (sc *scene) place(l *layout, slotW func(*slot) float64) map[*slot]point {
	at := map[*slot]point{}
	widths := make([]float64, len(l.layers))
	for k, layer := range l.layers {
		for i, s := range layer {
			widths[k] += slotW(s)
			if i > 0 {
				widths[k] += gapX
			}
		}
	}
	sc.width = slices.Max(append(widths, 120)) + 2*margin // 120: room for the legend
	for k, layer := range l.layers {
		x := (sc.width - widths[k]) / 2
		y := float64(margin + k*(nodeHeight+gapY))
		for _, s := range layer {
			at[s] = point{x, y}
			x += slotW(s) + gapX
		}
	}
	sc.height = float64(2*margin + len(l.layers)*(nodeHeight+gapY) - gapY)
	if sc.legend {
		sc.height += float64(len(legendStatuses)) * legendRow
	}
	return at
}

// route runs an edge from the bottom of the upper node through each dummy (straight down
// through its layer) to the top of the lower node, as curves between layers.
func route(e edge, at map[*slot]point, slotW func(*slot) float64) edgePath {
	first := at[e.chain[0]]
	prev := point{first.x + slotW(e.chain[0])/2, first.y + nodeHeight}
	p := edgePath{from: e.from, to: e.to, start: prev}
	for _, s := range e.chain[1:] {
		top := point{at[s].x + slotW(s)/2, at[s].y}
		mid := (prev.y + top.y) / 2
		p.segs = append(p.segs, segment{c1: point{prev.x, mid}, c2: point{top.x, mid}, end: top})
		prev = point{top.x, top.y + nodeHeight}
		if s.node < 0 {
			p.segs = append(p.segs, segment{end: prev, line: true})
		}
	}
	return p
}
