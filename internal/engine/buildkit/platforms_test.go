package buildkit

import (
	"maps"
	"slices"
	"strings"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/imagemake/imagemake/internal/schedule"
)

func TestPlatformsAttr(t *testing.T) {
	req := testRequest()
	req.Platforms = []string{"linux/amd64", "linux/arm64"}
	d := Describe(req, false)
	if got := d.Attrs["platform"]; got != "linux/amd64,linux/arm64" {
		t.Errorf("platform attr %q: the list, comma-separated", got)
	}
	if cmd := strings.Join(d.Command, " "); !strings.Contains(cmd, "--platform linux/amd64,linux/arm64") {
		t.Errorf("command %q lacks the platform list", cmd)
	}
	req.Platforms, req.Platform = nil, "linux/arm64"
	if got := Describe(req, false).Attrs["platform"]; got != "linux/arm64" {
		t.Errorf("platform attr %q", got)
	}
}

func TestCheckPlatforms(t *testing.T) {
	daemon, engine := &Builder{addr: "tcp://bk:1234"}, &Builder{addr: "unix:///var/run/docker.sock", engine: &Engine{}}
	index := testRequest()
	index.Platforms = []string{"linux/amd64", "linux/arm64"}
	loaded := index
	loaded.Load = true
	unpushed := index
	unpushed.Push = nil
	one := testRequest()
	one.Platforms = []string{"linux/arm64"}
	for _, tt := range []struct {
		name string
		b    *Builder
		req  schedule.Request
		want string // "" = accepted
	}{
		{"index on a daemon, pushed", daemon, index, ""},
		{"one platform as a list on the engine", engine, one, ""},
		{"index on the engine", engine, index, "image app: platforms linux/amd64, linux/arm64: the Docker engine at unix:///var/run/docker.sock stores one platform per image"},
		{"index loaded", daemon, loaded, "cannot be loaded into the Docker engine"},
		{"index not pushed", daemon, unpushed, "build it with --push"},
	} {
		err := tt.b.CheckPlatforms(tt.req)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestUnrunnable(t *testing.T) {
	b := &Builder{platforms: []ocispecs.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "386"}}}
	req := testRequest()
	req.Platforms = []string{"linux/amd64", "linux/arm64", "linux/arm/v7"}
	if got := b.unrunnable(req); !slices.Equal(got, []string{"linux/arm64", "linux/arm/v7"}) {
		t.Errorf("unrunnable %q", got)
	}
	req.Platforms, req.Platform = nil, "linux/amd64"
	if got := b.unrunnable(req); len(got) != 0 {
		t.Errorf("unrunnable %q, want none", got)
	}
}

func TestAnnotations(t *testing.T) {
	a := map[string]string{"org.opencontainers.image.revision": "abc", "org.opencontainers.image.source": "https://example.com/r"}
	b := &Builder{opts: options{annotations: a}}
	req := testRequest()
	attrs := b.exports(req)[0].Attrs
	want := map[string]string{"name": "reg.example/app:t1,reg.example/app:in-1", "push": "true",
		"annotation-manifest.org.opencontainers.image.revision": "abc",
		"annotation-manifest.org.opencontainers.image.source":   "https://example.com/r"}
	if !maps.Equal(attrs, want) {
		t.Errorf("single-platform exporter attrs %v, want %v (no index annotation: BuildKit refuses one without an index)", attrs, want)
	}
	req.Platforms = []string{"linux/amd64", "linux/arm64"}
	attrs = b.exports(req)[0].Attrs
	if attrs["annotation-index.org.opencontainers.image.revision"] != "abc" || attrs["annotation-manifest.org.opencontainers.image.revision"] != "abc" {
		t.Errorf("index exporter attrs %v: the index and each manifest annotated", attrs)
	}
	engine := &Builder{engine: &Engine{}, opts: options{annotations: a}}
	for k := range engine.exports(req)[0].Attrs {
		if strings.HasPrefix(k, "annotation") {
			t.Errorf("moby exporter attr %s: it stores no annotations", k)
		}
	}
	if attrs := b.exports(req)[0].Attrs; frontendAttrs(req)["label:org.opencontainers.image.revision"] != "" || attrs["label:x"] != "" {
		t.Errorf("annotations must stay out of the image config")
	}
}
