package graphdraw

import (
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"strconv"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

const (
	curveSteps = 16  // straight pieces per curve
	edgeWidth  = 1.5 // as the SVG's stroke-width
	arrowLen   = 9
)

// WritePNG draws the same picture as WriteSVG as a PNG, with a bitmap font.
func WritePNG(w io.Writer, nodes []Node) error {
	sc := newScene(nodes)
	img := image.NewRGBA(image.Rect(0, 0, int(math.Ceil(sc.width)), int(math.Ceil(sc.height))))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	for _, e := range sc.edges {
		strokeEdge(img, e)
	}
	for _, b := range sc.boxes {
		fillRect(img, b.x, b.y, b.w, b.h, fill(b.status))
		label(img, b.name, b.x+b.w/2-float64(len(b.name))*7/2, b.y+b.h/2+4)
	}
	if sc.legend {
		y := sc.height - float64(len(legendStatuses)*legendRow)
		for _, st := range legendStatuses {
			fillRect(img, margin, y, 14, 14, statusFill[st])
			label(img, st, margin+20, y+11)
			y += legendRow
		}
	}
	return png.Encode(w, img)
}

func rgb(hex string) color.RGBA {
	v, _ := strconv.ParseUint(hex[1:], 16, 32) // the colours above are all #rrggbb
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 0xff}
}

// fillRect fills a rectangle with a one-pixel border.
func fillRect(img *image.RGBA, x, y, w, h float64, colour string) {
	r := image.Rect(int(x), int(y), int(x+w), int(y+h))
	draw.Draw(img, r, image.NewUniform(rgb(borderColour)), image.Point{}, draw.Src)
	draw.Draw(img, r.Inset(1), image.NewUniform(rgb(colour)), image.Point{}, draw.Src)
}

func label(img *image.RGBA, text string, x, baseline float64) {
	d := font.Drawer{Dst: img, Src: image.Black, Face: basicfont.Face7x13, Dot: fixed.P(int(x), int(baseline))}
	d.DrawString(text)
}

// strokeEdge draws an edge as thin quads along its flattened path, and its arrowhead.
func strokeEdge(img *image.RGBA, e edgePath) {
	pts := flatten(e)
	z := vector.NewRasterizer(img.Bounds().Dx(), img.Bounds().Dy())
	for i := 1; i < len(pts); i++ {
		quad(z, pts[i-1], pts[i])
	}
	tip, from := pts[len(pts)-1], pts[len(pts)-2]
	dx, dy := unit(from, tip)
	base := point{tip.x - dx*arrowLen, tip.y - dy*arrowLen}
	z.MoveTo(float32(tip.x), float32(tip.y))
	z.LineTo(float32(base.x-dy*arrowLen/2), float32(base.y+dx*arrowLen/2))
	z.LineTo(float32(base.x+dy*arrowLen/2), float32(base.y-dx*arrowLen/2))
	z.ClosePath()
	z.Draw(img, img.Bounds(), image.NewUniform(rgb(edgeColour)), image.Point{})
}

// flatten turns an edge's curves into points.
func flatten(e edgePath) []point {
	pts := []point{e.start}
	for _, s := range e.segs {
		p0 := pts[len(pts)-1]
		if s.line {
			pts = append(pts, s.end)
			continue
		}
		for i := 1; i <= curveSteps; i++ {
			t := float64(i) / curveSteps
			u := 1 - t
			pts = append(pts, point{
				u*u*u*p0.x + 3*u*u*t*s.c1.x + 3*u*t*t*s.c2.x + t*t*t*s.end.x,
				u*u*u*p0.y + 3*u*u*t*s.c1.y + 3*u*t*t*s.c2.y + t*t*t*s.end.y,
			})
		}
	}
	return pts
}

func unit(a, b point) (float64, float64) {
	dx, dy := b.x-a.x, b.y-a.y
	n := math.Hypot(dx, dy)
	if n == 0 {
		return 0, 1
	}
	return dx / n, dy / n
}

// quad adds the line from a to b, edgeWidth wide; every quad turns the same way, so the
// rasterizer's coverage adds up (and is clamped) where they overlap instead of cancelling.
func quad(z *vector.Rasterizer, a, b point) {
	dx, dy := unit(a, b)
	nx, ny := -dy*edgeWidth/2, dx*edgeWidth/2
	z.MoveTo(float32(a.x+nx), float32(a.y+ny))
	z.LineTo(float32(b.x+nx), float32(b.y+ny))
	z.LineTo(float32(b.x-nx), float32(b.y-ny))
	z.LineTo(float32(a.x-nx), float32(a.y-ny))
	z.ClosePath()
}
