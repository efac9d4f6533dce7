package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// Colours of the result statuses (build.Built, ...), in the legend's order.
var statuses = []struct{ Name, Colour string }{
	{"built", "#3b82c4"}, {"up-to-date", "#5cb85c"}, {"reused", "#8e6cc9"},
	{"failed", "#d9534f"}, {"skipped", "#f0ad4e"}, {"cancelled", "#9e9e9e"},
}

// Chart geometry, in pixels.
const (
	labelWidth = 170
	chartWidth = 760
	rowHeight  = 26
	barHeight  = 16
	axisHeight = 24
	minBar     = 3 // a job that took no time still shows
)

//go:embed page.html.tmpl
var pageSource string

var page = template.Must(template.New("page").Funcs(template.FuncMap{"ms": formatMS}).Parse(pageSource))

type bar struct {
	Image
	X, Y, W, TextY float64
	Colour         string
}

type tick struct {
	X     float64
	Label string
}

type pageData struct {
	*Report
	Bars          []bar
	Ticks         []tick
	Legend        []struct{ Name, Colour string }
	Width, Height int
	LabelWidth    int
	AxisY         int
	Started       string
	Summary       string // "2 built, 3 up-to-date"
}

// HTML writes the report as one HTML page.
func (r *Report) HTML(w io.Writer) error {
	d := pageData{Report: r, Legend: statuses, LabelWidth: labelWidth, Width: labelWidth + chartWidth + 20,
		AxisY: len(r.Images)*rowHeight + 4, Started: r.Start.Format(time.RFC3339)}
	d.Height = d.AxisY + axisHeight
	var counts []string
	for _, st := range statuses {
		if n := r.Counts[st.Name]; n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n, st.Name))
		}
	}
	d.Summary = strings.Join(counts, ", ")
	scale := chartWidth / math.Max(float64(r.DurationMS), 1)
	for i, img := range r.Images {
		y := float64(i*rowHeight) + (rowHeight-barHeight)/2
		d.Bars = append(d.Bars, bar{Image: img, X: labelWidth + float64(img.StartMS)*scale, Y: y,
			W: math.Max(float64(img.DurationMS)*scale, minBar), TextY: y + barHeight/2, Colour: colour(img.Status)})
	}
	step := tickStep(r.DurationMS)
	for t := int64(0); t <= r.DurationMS; t += step {
		d.Ticks = append(d.Ticks, tick{X: labelWidth + float64(t)*scale, Label: formatMS(t)})
	}
	return page.Execute(w, d)
}

func colour(status string) string {
	if i := slices.IndexFunc(statuses, func(s struct{ Name, Colour string }) bool { return s.Name == status }); i >= 0 {
		return statuses[i].Colour
	}
	return "#000000"
}

// tickStep is a round step (1, 2 or 5 times a power of ten, in ms) giving about 6 ticks.
func tickStep(total int64) int64 {
	rough := math.Max(float64(total)/6, 1)
	pow := math.Pow(10, math.Floor(math.Log10(rough)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*pow >= rough {
			return int64(m * pow)
		}
	}
	return int64(10 * pow)
}

func formatMS(ms int64) string {
	if ms < 1000 {
		return fmt.Sprintf("%dms", ms)
	}
	return fmt.Sprintf("%.1fs", float64(ms)/1000)
}
