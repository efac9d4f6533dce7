package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imagemake/imagemake/internal/cli"
	"github.com/imagemake/imagemake/internal/report"
)

// chromium returns the path of headless Chromium, failing under IMAGEMAKE_E2E=1 when it is
// missing (scripts/test.sh installs it) and skipping otherwise.
func chromium(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("IMAGEMAKE_E2E") == "1" {
			t.Fatalf("IMAGEMAKE_E2E=1 but chromium is missing (apt-get install chromium): %v", err)
		}
		t.Skipf("no chromium: %v", err)
	}
	return path
}

// browse opens file in headless Chromium with args (--dump-dom, --screenshot=...) and returns
// its stdout.
func browse(t *testing.T, file string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium(t), append([]string{"--headless", "--no-sandbox", "--disable-gpu",
		"--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--force-color-profile=srgb", "--user-data-dir=" + t.TempDir(), "--window-size=1200,800"}, append(args, "file://"+file)...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

var barTag = regexp.MustCompile(`<g class="bar[^"]*" data-image="([^"]+)" data-status="([^"]+)"`)

// TestReportInChromium builds the example monorepo with --report, then has Chromium render the
// page: one bar per image, in the order they started (every image after what it is built on),
// and the page really shows the bar colours.
func TestReportInChromium(t *testing.T) {
	r := newRepo(t, "monorepo")
	file := filepath.Join(t.TempDir(), "report.html")
	code, out, errOut := r.run("build", "--output", "json", "--report", file)
	if code != 0 {
		t.Fatalf("build: exit %d\n%s\n%s", code, out, errOut)
	}
	built := results(t, out)
	rep := readReport(t, file)
	if len(rep.Images) != len(built) {
		t.Fatalf("report has %d images, the build %d", len(rep.Images), len(built))
	}
	bars := barTag.FindAllStringSubmatch(string(browse(t, file, "--dump-dom")), -1)
	var order []string
	for i, b := range bars {
		order = append(order, b[1])
		if b[2] != built[b[1]].Status {
			t.Errorf("bar of %s says %s, the build %s", b[1], b[2], built[b[1]].Status)
		}
		for _, dep := range rep.Images[i].DependsOn {
			if !slices.Contains(order, dep) {
				t.Errorf("bar of %s comes before the bar of %s, which it is built on", b[1], dep)
			}
		}
	}
	var want []string
	for _, img := range rep.Images {
		want = append(want, img.Name)
	}
	if !slices.Equal(order, want) {
		t.Errorf("bars in the rendered page: %v, want %v", order, want)
	}
	shot := filepath.Join(t.TempDir(), "report.png")
	browse(t, file, "--screenshot="+shot)
	if n := pixelsOf(t, shot, 0x3b, 0x82, 0xc4); n < 500 { // "built" blue
		t.Errorf("the screenshot has %d pixels of the built colour: the bars are not drawn", n)
	}
}

// TestReportOfAFailedBuild: a build that fails still writes its report, with the failure.
func TestReportOfAFailedBuild(t *testing.T) {
	r := newRepo(t, "monorepo")
	write(t, filepath.Join(r.dir, "services", "worker", "Dockerfile"), "FROM scratch\nCOPY no-such-file /x\n", 0o644)
	file := filepath.Join(t.TempDir(), "failed.html")
	code, out, errOut := r.run("build", "--output", "json", "--report", file, "worker")
	if code != 1 {
		t.Fatalf("build: exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	rep := readReport(t, file)
	i := slices.IndexFunc(rep.Images, func(img report.Image) bool { return img.Name == "worker" })
	if i < 0 || rep.Images[i].Status != "failed" || rep.Counts["failed"] != 1 {
		t.Fatalf("report of the failed build: %+v", rep)
	}
	if !slices.Contains(barImages(t, file), "worker") {
		t.Errorf("no bar for the failed image")
	}
}

// TestReportOfAnInterruptedBuild: Ctrl-C in the middle of a build still writes the report, with
// the image that was building cancelled.
func TestReportOfAnInterruptedBuild(t *testing.T) {
	r := newRepo(t, "monorepo")
	df := filepath.Join(r.dir, "services", "worker", "Dockerfile")
	write(t, df, readFile(t, df)+"RUN sleep 60; : "+r.prefix+"\n", 0o644)
	file := filepath.Join(t.TempDir(), "interrupted.html")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &cancelOn{text: "sleep 60", cancel: cancel}
	var errOut bytes.Buffer
	code := cli.Run(ctx, []string{"-C", r.dir, "build", "--output", "line", "--report", file, "worker"},
		cli.IO{In: strings.NewReader(""), Out: out, Err: &errOut, Env: r.env})
	if code != cli.ExitInterrupted {
		t.Fatalf("build: exit %d, want %d\n%s\n%s", code, cli.ExitInterrupted, out.buf.String(), errOut.String())
	}
	rep := readReport(t, file)
	i := slices.IndexFunc(rep.Images, func(img report.Image) bool { return img.Name == "worker" })
	if i < 0 || rep.Images[i].Status != "cancelled" {
		t.Fatalf("report of the interrupted build: %+v", rep)
	}
}

// cancelOn is an output that calls cancel once text was written to it.
type cancelOn struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	text   string
	cancel func()
}

func (c *cancelOn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	if strings.Contains(c.buf.String(), c.text) {
		c.cancel()
	}
	return len(p), nil
}

func barImages(t *testing.T, file string) []string {
	t.Helper()
	page, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range barTag.FindAllStringSubmatch(string(page), -1) {
		out = append(out, b[1])
	}
	return out
}

func readReport(t *testing.T, html string) report.Report {
	t.Helper()
	data, err := os.ReadFile(report.JSONPath(html))
	if err != nil {
		t.Fatalf("no JSON next to the report: %v", err)
	}
	var rep report.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

func pixelsOf(t *testing.T, file string, r, g, b uint8) int {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", file, err)
	}
	n := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if uint8(cr>>8) == r && uint8(cg>>8) == g && uint8(cb>>8) == b {
				n++
			}
		}
	}
	return n
}
