package run

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/engine/buildkit"
	"github.com/imagemake/imagemake/internal/engine/docker"
	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/plan"
	"github.com/imagemake/imagemake/internal/schedule"
)

// fakeEngine records what the run asks of the engine; inputs is what Inputs answers.
type fakeEngine struct {
	calls  []string
	inputs string
}

var _ Engine = (*fakeEngine)(nil)

func (f *fakeEngine) Images(context.Context) (map[string]docker.Image, error) { return nil, nil }
func (f *fakeEngine) Tag(_ context.Context, source, ref string) error {
	f.calls = append(f.calls, "tag "+source+" "+ref)
	return nil
}
func (f *fakeEngine) Inputs(_ context.Context, ref string) (string, error) { return f.inputs, nil }
func (f *fakeEngine) Pull(_ context.Context, ref string, _ func(string)) error {
	f.calls = append(f.calls, "pull "+ref)
	return nil
}
func (f *fakeEngine) Push(_ context.Context, ref string, _ func(string)) error {
	f.calls = append(f.calls, "push "+ref)
	return nil
}
func (f *fakeEngine) Load(context.Context, io.Reader, func(string)) error { return nil }
func (f *fakeEngine) BuildKit(context.Context) (*buildkit.Builder, error) { return nil, nil }
func (f *fakeEngine) Endpoint() string                                    { return "fake://engine" }
func (f *fakeEngine) Close() error                                        { return nil }

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// The work each decision gets does what the decision says, on the engine it is given.
func TestAssignedWorkOnTheEngine(t *testing.T) {
	for _, c := range []struct {
		name       string
		status     plan.Status
		sameAs     string
		inRegistry string
		engineHas  string // what Inputs answers for a pulled image
		action     string
		want       []string
		wantStatus schedule.Status
		wantErr    string
	}{
		{name: "up to date", status: plan.UpToDate},
		{name: "tag", status: plan.Stale, sameAs: "acme/api:old", action: "tagging",
			want: []string{"tag acme/api:old acme/api:dev", "tag acme/api:old acme/api:latest"}, wantStatus: schedule.Reused},
		{name: "reuse", status: plan.Stale, inRegistry: "reg/api:in-0123", engineHas: digest, action: "reusing",
			want: []string{"pull reg/api:in-0123", "tag reg/api:in-0123 acme/api:dev", "tag reg/api:in-0123 acme/api:latest"}, wantStatus: schedule.Reused},
	} {
		eng := &fakeEngine{inputs: c.engineHas}
		pi := &plan.Image{Name: "api", Status: c.status, SameAs: c.sameAs,
			Config:   &config.Image{Name: "api", Ref: "acme/api:dev", Tags: []string{"acme/api:latest"}},
			Manifest: &inputs.Manifest{Version: 1, Image: "api", Digest: digest}}
		s := &Run{Images: []*plan.Image{pi}, State: inputs.OpenState(t.TempDir()), engine: eng, inRegistry: map[string]string{}}
		if c.inRegistry != "" {
			s.inRegistry["api"] = c.inRegistry
		}
		j := &schedule.Job{Name: "api"}
		w := s.assign(j, pi, Options{})
		if (w == nil) != (c.action == "") || j.Action != c.action {
			t.Errorf("%s: work %v, action %q; want action %q", c.name, w != nil, j.Action, c.action)
			continue
		}
		if w == nil {
			continue
		}
		status, err := w(context.Background(), func(string) {})
		if !slices.Equal(eng.calls, c.want) || status != c.wantStatus ||
			(c.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.wantErr)) {
			t.Errorf("%s: engine calls %q, status %q, err %v; want %q, %q, err %q", c.name, eng.calls, status, err, c.want, c.wantStatus, c.wantErr)
		}
	}
}
