package graphdraw

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// WriteSVG draws nodes (in any order; edges go from each dep to the node built on it) as SVG.
func WriteSVG(w io.Writer, nodes []Node) error {
	sc := newScene(nodes)
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="13">`+"\n",
		sc.width, sc.height, sc.width, sc.height)
	fmt.Fprintf(bw, `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="%s"/></marker></defs>`+"\n", edgeColour)
	for _, e := range sc.edges {
		fmt.Fprintf(bw, `<path class="edge" data-from="%s" data-to="%s" d="%s" fill="none" stroke="%s" stroke-width="1.5" marker-end="url(#arrow)"/>`+"\n",
			esc(e.from), esc(e.to), svgPath(e), edgeColour)
	}
	for _, b := range sc.boxes {
		fmt.Fprintf(bw, `<g class="node" data-name="%s" data-status="%s" data-layer="%d"><title>%s</title>`, esc(b.name), esc(b.status), b.layer, esc(title(b)))
		fmt.Fprintf(bw, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.0f" rx="6" fill="%s" stroke="%s"/>`, b.x, b.y, b.w, b.h, fill(b.status), borderColour)
		fmt.Fprintf(bw, `<text x="%.1f" y="%.1f" text-anchor="middle" dominant-baseline="central">%s</text></g>`+"\n", b.x+b.w/2, b.y+b.h/2, esc(b.name))
	}
	if sc.legend {
		y := sc.height - float64(len(legendStatuses)*legendRow)
		for _, st := range legendStatuses {
			fmt.Fprintf(bw, `<g class="legend"><rect x="%d" y="%.1f" width="14" height="14" fill="%s" stroke="%s"/><text x="%d" y="%.1f" dominant-baseline="central">%s</text></g>`+"\n",
				margin, y, statusFill[st], borderColour, margin+20, y+7, st)
			y += legendRow
		}
	}
	fmt.Fprintln(bw, "</svg>")
	return bw.Flush()
}

func svgPath(e edgePath) string {
	var b strings.Builder
	fmt.Fprintf(&b, "M%.1f,%.1f", e.start.x, e.start.y)
	for _, s := range e.segs {
		if s.line {
			fmt.Fprintf(&b, " L%.1f,%.1f", s.end.x, s.end.y)
		} else {
			fmt.Fprintf(&b, " C%.1f,%.1f %.1f,%.1f %.1f,%.1f", s.c1.x, s.c1.y, s.c2.x, s.c2.y, s.end.x, s.end.y)
		}
	}
	return b.String()
}

func title(b box) string {
	if b.status == "" {
		return b.name
	}
	return b.name + ": " + b.status
}

func fill(status string) string {
	if f, ok := statusFill[status]; ok {
		return f
	}
	return statusFill[""]
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // writing to a strings.Builder does not fail
	return b.String()
}
