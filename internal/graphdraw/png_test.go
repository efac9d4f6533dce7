package graphdraw

import (
	"bytes"
	"image/png"
	"testing"
)

// TestWritePNGDrawsEveryNodeAndEdge decodes the PNG and looks, where the scene put them, for
// each node's fill colour and each edge's ink.
func TestWritePNGDrawsEveryNodeAndEdge(t *testing.T) {
	nodes := []Node{
		{Name: "pybase", Status: "up-to-date"}, {Name: "api", Deps: []string{"pybase"}, Status: "stale"},
		{Name: "luabase"}, {Name: "openresty", Deps: []string{"luabase"}},
		{Name: "gateway", Deps: []string{"openresty", "pybase"}, Status: "unknown"},
	}
	var buf bytes.Buffer
	if err := WritePNG(&buf, nodes); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	sc := newScene(nodes)
	if b := img.Bounds(); b.Dx() != int(sc.width) || b.Dy() != int(sc.height) {
		t.Errorf("size %v, the scene is %.0fx%.0f", b, sc.width, sc.height)
	}
	if len(sc.boxes) != len(nodes) || len(sc.edges) != 4 {
		t.Fatalf("scene: %d boxes, %d edges", len(sc.boxes), len(sc.edges))
	}
	for _, b := range sc.boxes {
		r, g, bl, _ := img.At(int(b.x)+3, int(b.y)+3).RGBA()
		want := rgb(fill(b.status))
		if uint8(r>>8) != want.R || uint8(g>>8) != want.G || uint8(bl>>8) != want.B {
			t.Errorf("node %s: colour %02x%02x%02x at its corner, want %v", b.name, r>>8, g>>8, bl>>8, want)
		}
	}
	for _, e := range sc.edges {
		pts := flatten(e)
		mid := pts[len(pts)/2]
		inked := false
		for dx := -1; dx <= 1; dx++ {
			for dy := -1; dy <= 1; dy++ {
				r, g, b, _ := img.At(int(mid.x)+dx, int(mid.y)+dy).RGBA()
				inked = inked || (r>>8 < 0x90 && g>>8 < 0x90 && b>>8 < 0x90)
			}
		}
		if !inked {
			t.Errorf("edge %s -> %s: no ink around %v", e.from, e.to, mid)
		}
	}
}
