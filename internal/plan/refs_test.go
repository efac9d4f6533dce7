package plan

import (
	"strings"
	"testing"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/inputs"
)

// TestWhatARefHoldsInstead: a ref the engine holds on another image is said to point at it,
// not to be missing.
func TestWhatARefHoldsInstead(t *testing.T) {
	const cur, other = "sha256:1111111111111111111111111111111111111111111111111111111111111111",
		"sha256:2222222222222222222222222222222222222222222222222222222222222222"
	mine := EngineImage{ID: "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Inputs: cur}
	tests := []struct {
		name   string
		engine map[string]EngineImage
		status Status
		reason string
	}{
		{"up to date", map[string]EngineImage{"docker.io/acme/api:dev": mine, "docker.io/acme/api:latest": mine},
			UpToDate, "inputs unchanged"},
		{"extra tag missing", map[string]EngineImage{"docker.io/acme/api:dev": mine},
			Stale, "ref acme/api:latest missing from engine"},
		{"extra tag on an image of other inputs", map[string]EngineImage{"docker.io/acme/api:dev": mine,
			"docker.io/acme/api:latest": {ID: "sha256:bbbbbbbbbbbb0", Inputs: other}},
			Stale, "ref acme/api:latest points at another image (inputs 222222222222 ≠ 111111111111)"},
		{"extra tag on an image imagemake did not build", map[string]EngineImage{"docker.io/acme/api:dev": mine,
			"docker.io/acme/api:latest": {ID: "sha256:cccccccccccc0"}},
			Stale, "ref acme/api:latest holds an image without the imagemake.inputs label (cccccccccccc)"},
		{"main ref on an image imagemake did not build", map[string]EngineImage{"docker.io/acme/api:dev": {ID: "sha256:dddddddddddd0"}},
			Stale, "ref acme/api:dev holds an image without the imagemake.inputs label (dddddddddddd)"},
		{"main ref on an image imagemake did not build, same inputs under another ref", map[string]EngineImage{
			"docker.io/acme/api:dev": {ID: "sha256:dddddddddddd0"}, "docker.io/acme/api:old": mine},
			Stale, "ref acme/api:dev holds an image without the imagemake.inputs label (dddddddddddd); same inputs built as aaaaaaaaaaaa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pi := &Image{Name: "api", Config: &config.Image{Name: "api", Ref: "acme/api:dev", Tags: []string{"acme/api:latest"}},
				Manifest: &inputs.Manifest{Image: "api", Digest: cur}}
			st := inputs.OpenState(t.TempDir())
			if err := decide(st, pi, tt.engine, Options{}, indexByDigest(tt.engine), map[string]string{}); err != nil {
				t.Fatal(err)
			}
			if pi.Status != tt.status || pi.Reason != tt.reason || strings.Contains(pi.Reason, "missing") != strings.Contains(tt.reason, "missing") {
				t.Errorf("%s: %s, want %s: %s", tt.name, pi.Status, tt.status, tt.reason)
			}
		})
	}
}
