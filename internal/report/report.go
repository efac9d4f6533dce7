// Package report writes a build's results as a self-contained HTML page (a Gantt chart drawn as
// inline SVG, the summary table, each image's reason; no script, no external URL) and as JSON
// next to it.
package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/imagemake/imagemake/internal/schedule"
)

// Report is the data both files hold. Times are milliseconds from the run's start.
type Report struct {
	Start        time.Time      `json:"start"`
	DurationMS   int64          `json:"duration_ms"`
	Counts       map[string]int `json:"counts"`
	CriticalPath []string       `json:"critical_path"`
	Images       []Image        `json:"images"` // in the order they started
}

// Image is one bar of the chart and one row of the table.
type Image struct {
	Name       string   `json:"name"`
	Status     string   `json:"status"`
	Reason     string   `json:"reason"`
	Error      string   `json:"error,omitempty"`
	StartMS    int64    `json:"start_ms"`
	DurationMS int64    `json:"duration_ms"`
	DependsOn  []string `json:"depends_on"`
	Critical   bool     `json:"critical"`
}

// Write writes htmlPath and, next to it, the same data as JSON (FILE.html → FILE.json).
// deps maps each image to the images it is built on. Errors name the file.
func Write(htmlPath string, results []schedule.Result, deps map[string][]string) error {
	r := New(results, deps)
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFile(JSONPath(htmlPath), append(data, '\n')); err != nil {
		return err
	}
	var page strings.Builder
	if err := r.HTML(&page); err != nil {
		return err
	}
	return writeFile(htmlPath, []byte(page.String()))
}

// JSONPath is where Write puts the JSON of the report at htmlPath: its extension replaced by
// .json, or .json added when it has that extension already.
func JSONPath(htmlPath string) string {
	if p := strings.TrimSuffix(htmlPath, filepath.Ext(htmlPath)) + ".json"; p != htmlPath {
		return p
	}
	return htmlPath + ".json"
}

func writeFile(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("writing the build report %s: %w", path, err)
	}
	return nil
}

// New makes the report of results.
func New(results []schedule.Result, deps map[string][]string) *Report {
	r := &Report{Counts: map[string]int{}, CriticalPath: []string{}, Images: []Image{}}
	var end time.Time
	for i, res := range results {
		if i == 0 || res.Start.Before(r.Start) {
			r.Start = res.Start
		}
		if e := res.Start.Add(res.Duration); e.After(end) {
			end = e
		}
	}
	r.DurationMS = end.Sub(r.Start).Milliseconds()
	for _, res := range results {
		img := Image{Name: res.Name, Status: string(res.Status), Reason: res.Reason, DependsOn: deps[res.Name],
			StartMS: res.Start.Sub(r.Start).Milliseconds(), DurationMS: res.Duration.Milliseconds()}
		if img.DependsOn == nil {
			img.DependsOn = []string{}
		}
		if res.Err != nil && res.Err.Error() != res.Reason {
			img.Error = res.Err.Error()
		}
		r.Counts[string(res.Status)]++
		r.Images = append(r.Images, img)
	}
	slices.SortStableFunc(r.Images, func(a, b Image) int { return int(a.StartMS - b.StartMS) })
	r.markCriticalPath(results)
	return r
}

// markCriticalPath follows, from the image that ended last, the dependency that ended last, and
// so on to an image built on nothing of the run: the chain that set the run's length.
func (r *Report) markCriticalPath(results []schedule.Result) {
	ends := map[string]time.Time{}
	last := ""
	for _, res := range results {
		ends[res.Name] = res.Start.Add(res.Duration)
		if last == "" || ends[res.Name].After(ends[last]) {
			last = res.Name
		}
	}
	index := map[string]int{}
	for i, img := range r.Images {
		index[img.Name] = i
	}
	for name := last; name != ""; {
		i := index[name]
		r.Images[i].Critical = true
		r.CriticalPath = append([]string{name}, r.CriticalPath...)
		next := ""
		for _, d := range r.Images[i].DependsOn {
			if _, ok := ends[d]; ok && (next == "" || ends[d].After(ends[next])) {
				next = d
			}
		}
		name = next
	}
}
