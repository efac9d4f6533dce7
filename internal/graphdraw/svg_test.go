package graphdraw

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"regexp"
	"testing"
)

type svgDoc struct {
	Paths []struct {
		Class string `xml:"class,attr"`
		From  string `xml:"data-from,attr"`
		To    string `xml:"data-to,attr"`
		D     string `xml:"d,attr"`
	} `xml:"path"`
	Groups []struct {
		Class  string `xml:"class,attr"`
		Name   string `xml:"data-name,attr"`
		Status string `xml:"data-status,attr"`
		Rect   struct {
			X float64 `xml:"x,attr"`
			Y float64 `xml:"y,attr"`
			W float64 `xml:"width,attr"`
			H float64 `xml:"height,attr"`
		} `xml:"rect"`
		Text string `xml:"text"`
	} `xml:"g"`
}

type rect struct{ x, y, w, h float64 }

// parse reads the SVG back and returns node boxes by name and edges "from->to" with their path.
func parse(t *testing.T, data []byte) (map[string]rect, map[string]string, map[string]string) {
	t.Helper()
	var doc svgDoc
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, data)
	}
	boxes := map[string]rect{}
	status := map[string]string{}
	for _, g := range doc.Groups {
		if g.Class == "node" {
			boxes[g.Name] = rect{g.Rect.X, g.Rect.Y, g.Rect.W, g.Rect.H}
			status[g.Name] = g.Status
			if g.Text != g.Name {
				t.Errorf("node %q is labelled %q", g.Name, g.Text)
			}
		}
	}
	edges := map[string]string{}
	for _, p := range doc.Paths {
		if p.Class == "edge" {
			edges[p.From+"->"+p.To] = p.D
		}
	}
	return boxes, edges, status
}

func TestWriteDrawsEveryNodeAndEdgeDownward(t *testing.T) {
	nodes := []Node{
		{Name: "api", Deps: []string{"pybase"}, Status: "stale"},
		{Name: "pybase", Status: "up-to-date"},
		{Name: "worker", Deps: []string{"pybase"}},
		{Name: "luabase"},
		{Name: "openresty", Deps: []string{"luabase"}},
		{Name: "gateway", Deps: []string{"openresty", "pybase", "luabase"}, Status: "unknown"}, // spans two layers
		{Name: `a<&">b`, Deps: []string{"api"}},
	}
	var buf bytes.Buffer
	if err := WriteSVG(&buf, nodes); err != nil {
		t.Fatal(err)
	}
	boxes, edges, status := parse(t, buf.Bytes())
	for _, n := range nodes {
		if _, ok := boxes[n.Name]; !ok {
			t.Errorf("node %q not drawn", n.Name)
		}
		if status[n.Name] != n.Status {
			t.Errorf("node %q: status %q, want %q", n.Name, status[n.Name], n.Status)
		}
		for _, d := range n.Deps {
			path, ok := edges[d+"->"+n.Name]
			if !ok {
				t.Errorf("edge %s -> %s not drawn", d, n.Name)
				continue
			}
			checkDownward(t, path, boxes[d], boxes[n.Name], d+"->"+n.Name)
		}
	}
	if edgeCount := 7; len(edges) != edgeCount {
		t.Errorf("%d edges drawn, want %d", len(edges), edgeCount)
	}
	for a, ba := range boxes {
		for b, bb := range boxes {
			if a < b && ba.x < bb.x+bb.w && bb.x < ba.x+ba.w && ba.y < bb.y+bb.h && bb.y < ba.y+ba.h {
				t.Errorf("nodes %q %v and %q %v overlap", a, ba, b, bb)
			}
		}
	}
}

// checkDownward checks that a path starts at the bottom of from, ends at the top of to, and
// never goes up.
func checkDownward(t *testing.T, d string, from, to rect, name string) {
	t.Helper()
	nums := regexp.MustCompile(`-?[\d.]+,-?[\d.]+`).FindAllString(d, -1)
	var ys []float64
	for _, n := range nums {
		var x, y float64
		fmt.Sscanf(n, "%g,%g", &x, &y)
		ys = append(ys, y)
	}
	if len(ys) < 2 || ys[0] != from.y+from.h || ys[len(ys)-1] != to.y {
		t.Errorf("edge %s: path %q does not run from the bottom of %v to the top of %v", name, d, from, to)
	}
	for i := 1; i < len(ys); i++ {
		if ys[i] < ys[i-1] {
			t.Errorf("edge %s goes up: %q", name, d)
		}
	}
	if from.y >= to.y {
		t.Errorf("edge %s: %v is not in a layer above %v", name, from, to)
	}
}

func TestBarycentreOrderingUncrossesEdges(t *testing.T) {
	// Given in an order that crosses both edges; the layout must lay them side by side.
	nodes := []Node{{Name: "a"}, {Name: "b"}, {Name: "on-b", Deps: []string{"b"}}, {Name: "on-a", Deps: []string{"a"}}}
	var buf bytes.Buffer
	if err := WriteSVG(&buf, nodes); err != nil {
		t.Fatal(err)
	}
	boxes, _, _ := parse(t, buf.Bytes())
	if (boxes["a"].x < boxes["b"].x) != (boxes["on-a"].x < boxes["on-b"].x) {
		t.Errorf("edges cross: %v", boxes)
	}
}
