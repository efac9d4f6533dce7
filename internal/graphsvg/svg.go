package graphsvg

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Sizes in SVG user units (pixels).
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

// Write draws nodes (in any order; edges go from each dep to the node built on it) as SVG.
func Write(w io.Writer, nodes []Node) error {
	l := newLayout(nodes)
	d := &drawing{nodes: nodes, nodeW: nodeWidth(nodes)}
	d.place(l)
	bw := bufio.NewWriter(w)
	d.write(bw, l)
	return bw.Flush()
}

func nodeWidth(nodes []Node) float64 {
	longest := 1
	for _, n := range nodes {
		longest = max(longest, len(n.Name))
	}
	return float64(longest)*charWidth + 2*padding
}

type point struct{ x, y float64 }

type drawing struct {
	nodes         []Node
	nodeW         float64
	at            map[*slot]point // top-left of a node, top of a dummy's centre line
	width, height float64
}

func (d *drawing) slotWidth(s *slot) float64 {
	if s.node < 0 {
		return dummyWidth
	}
	return d.nodeW
}

// place gives every slot its coordinates: layers top to bottom, each centred.
func (d *drawing) place(l *layout) {
	d.at = map[*slot]point{}
	widths := make([]float64, len(l.layers))
	for k, layer := range l.layers {
		for i, s := range layer {
			widths[k] += d.slotWidth(s)
			if i > 0 {
				widths[k] += gapX
			}
		}
	}
	d.width = slices.Max(append(widths, d.nodeW)) + 2*margin
	for k, layer := range l.layers {
		x := (d.width - widths[k]) / 2
		y := float64(margin + k*(nodeHeight+gapY))
		for _, s := range layer {
			d.at[s] = point{x, y}
			x += d.slotWidth(s) + gapX
		}
	}
	d.height = float64(2*margin + len(l.layers)*(nodeHeight+gapY) - gapY)
	if d.hasStatus() {
		d.height += float64(len(legendStatuses)) * legendRow
	}
}

func (d *drawing) hasStatus() bool {
	return slices.ContainsFunc(d.nodes, func(n Node) bool { return n.Status != "" })
}

func (d *drawing) write(w io.Writer, l *layout) {
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="13">`+"\n",
		d.width, d.height, d.width, d.height)
	fmt.Fprintln(w, `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>`)
	for _, e := range l.edges {
		fmt.Fprintf(w, `<path class="edge" data-from="%s" data-to="%s" d="%s" fill="none" stroke="#555" stroke-width="1.5" marker-end="url(#arrow)"/>`+"\n",
			esc(e.from), esc(e.to), d.path(e.chain))
	}
	for _, layer := range l.layers {
		for _, s := range layer {
			if s.node >= 0 {
				d.node(w, s)
			}
		}
	}
	if d.hasStatus() {
		d.legend(w)
	}
	fmt.Fprintln(w, "</svg>")
}

// path runs from the bottom of the upper node through each dummy to the top of the lower node.
func (d *drawing) path(chain []*slot) string {
	var b strings.Builder
	first := d.at[chain[0]]
	prev := point{first.x + d.nodeW/2, first.y + nodeHeight}
	fmt.Fprintf(&b, "M%.1f,%.1f", prev.x, prev.y)
	for _, s := range chain[1:] {
		p := d.at[s]
		top := point{p.x + d.slotWidth(s)/2, p.y}
		mid := (prev.y + top.y) / 2
		fmt.Fprintf(&b, " C%.1f,%.1f %.1f,%.1f %.1f,%.1f", prev.x, mid, top.x, mid, top.x, top.y)
		prev = point{top.x, top.y + nodeHeight}
		if s.node < 0 {
			fmt.Fprintf(&b, " L%.1f,%.1f", prev.x, prev.y)
		}
	}
	return b.String()
}

func (d *drawing) node(w io.Writer, s *slot) {
	n := d.nodes[s.node]
	p := d.at[s]
	fmt.Fprintf(w, `<g class="node" data-name="%s" data-status="%s" data-layer="%d"><title>%s</title>`, esc(n.Name), esc(n.Status), s.layer, esc(title(n)))
	fmt.Fprintf(w, `<rect x="%.1f" y="%.1f" width="%.1f" height="%d" rx="6" fill="%s" stroke="#333"/>`, p.x, p.y, d.nodeW, nodeHeight, fill(n.Status))
	fmt.Fprintf(w, `<text x="%.1f" y="%.1f" text-anchor="middle" dominant-baseline="central">%s</text></g>`+"\n", p.x+d.nodeW/2, p.y+nodeHeight/2, esc(n.Name))
}

func title(n Node) string {
	if n.Status == "" {
		return n.Name
	}
	return n.Name + ": " + n.Status
}

func fill(status string) string {
	if f, ok := statusFill[status]; ok {
		return f
	}
	return statusFill[""]
}

func (d *drawing) legend(w io.Writer) {
	y := d.height - float64(len(legendStatuses)*legendRow)
	for _, st := range legendStatuses {
		fmt.Fprintf(w, `<g class="legend"><rect x="%d" y="%.1f" width="14" height="14" fill="%s" stroke="#333"/><text x="%d" y="%.1f" dominant-baseline="central">%s</text></g>`+"\n",
			margin, y, statusFill[st], margin+20, y+7, st)
		y += legendRow
	}
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // writing to a strings.Builder does not fail
	return b.String()
}
