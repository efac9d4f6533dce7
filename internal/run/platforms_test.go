package run

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/plan"
	"github.com/imagemake/imagemake/internal/project"
)

// platformRegistry answers InputsFor per platform, as an image index does.
type platformRegistry struct {
	fakeRegistry
	labels map[string]string // platform ("" = the client's) -> label
	asked  []string
}

func (f *platformRegistry) InputsFor(_ context.Context, _, platform string) (string, error) {
	f.asked = append(f.asked, platform)
	return f.labels[platform], nil
}

func TestLabelOfEveryPlatform(t *testing.T) {
	multi := &config.Image{Name: "app", Platforms: []string{"linux/amd64", "linux/arm64"}}
	for _, tt := range []struct {
		name   string
		img    *config.Image
		labels map[string]string
		want   string
		asked  []string
	}{
		{"every platform's image carries it", multi, map[string]string{"linux/amd64": "d", "linux/arm64": "d"}, "d",
			[]string{"linux/amd64", "linux/arm64"}},
		{"one platform's image built from other inputs", multi, map[string]string{"linux/amd64": "d", "linux/arm64": "other"}, "",
			[]string{"linux/amd64", "linux/arm64"}},
		{"one platform given as a list", &config.Image{Platforms: []string{"linux/arm64"}}, map[string]string{"linux/arm64": "d"}, "d",
			[]string{"linux/arm64"}},
		{"the image's platform", &config.Image{Platform: "linux/arm64"}, map[string]string{"linux/arm64": "d"}, "d", []string{"linux/arm64"}},
		{"the builder's", &config.Image{}, map[string]string{"": "d"}, "d", []string{""}},
	} {
		reg := &platformRegistry{labels: tt.labels}
		s := &Run{reg: reg}
		got, err := s.labelOf(context.Background(), "reg.example/app:in-1", tt.img)
		if err != nil || got != tt.want || !slices.Equal(reg.asked, tt.asked) {
			t.Errorf("%s: label %q (%v), platforms asked %q; want %q, %q", tt.name, got, err, reg.asked, tt.want, tt.asked)
		}
	}
}

// The engine holds one platform of a multi-platform image: it never pushes it over the index.
func TestEngineCannotPushAnIndex(t *testing.T) {
	eng := &fakeEngine{}
	s, pi := registryRun(t, eng, &fakeRegistry{})
	pi.Config.Platforms = []string{"linux/amd64", "linux/arm64"}
	err := s.pushRefs(context.Background(), pi, func(string) {})
	if err == nil || !strings.Contains(err.Error(), "image api: platforms linux/amd64, linux/arm64: the Docker engine holds one platform's image") {
		t.Errorf("err = %v", err)
	}
	if len(eng.calls) != 0 {
		t.Errorf("engine calls %q, want none", eng.calls)
	}
	for _, one := range [][]string{nil, {"linux/arm64"}} {
		if err := engineCannotPush(&plan.Image{Name: "x", Config: &config.Image{Platforms: one}}); err != nil {
			t.Errorf("platforms %q: %v", one, err)
		}
	}
}

// Dockerfiles read for the default builder's platform are not built on one of another platform.
func TestCheckReadFor(t *testing.T) {
	m := &project.Model{BuildPlatform: "linux/amd64", ReadForBuilder: []string{"app", "done"}}
	s := &Run{Model: m, Images: []*plan.Image{{Name: "app", Status: plan.Stale}, {Name: "done", Status: plan.UpToDate},
		{Name: "other", Status: plan.Stale}}}
	if err := s.checkReadFor("linux/amd64"); err != nil {
		t.Errorf("same platform: %v", err)
	}
	err := s.checkReadFor("linux/arm64")
	if KindOf(err) != BadInput || !strings.Contains(err.Error(), "images app read platform args without a platform:, and were read for linux/amd64") {
		t.Errorf("other platform: %v", err)
	}
	s.Images[0].Status = plan.UpToDate
	if err := s.checkReadFor("linux/arm64"); err != nil {
		t.Errorf("nothing read for the default builder to build: %v", err)
	}
	s.Model = &project.Model{}
	if err := s.checkReadFor("linux/arm64"); err != nil {
		t.Errorf("nothing read for a builder: %v", err)
	}
}

func TestDefaultBuilders(t *testing.T) {
	model := func(builders []string, host string) *project.Model {
		return &project.Model{Project: &config.Project{Builders: builders, Env: map[string]string{"BUILDKIT_HOST": host}}}
	}
	for _, c := range []struct {
		builders []string
		host     string
		want     []string
	}{
		{[]string{"tcp://a:1234", "tcp://b:1234"}, "tcp://env:1234", []string{"tcp://a:1234", "tcp://b:1234"}},
		{nil, "tcp://env:1234", []string{"tcp://env:1234"}},
		{nil, "", nil},
	} {
		if got := defaultBuilders(model(c.builders, c.host)); !slices.Equal(got, c.want) {
			t.Errorf("builders %v, BUILDKIT_HOST %q: %v, want %v", c.builders, c.host, got, c.want)
		}
	}
}
