package cli

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
)

// ls --json lists a multi-platform image's platforms: its own, or the project's default.
func TestLsPlatforms(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "imagemake.yaml"), "version: 1\nplatforms: [linux/amd64, linux/arm64]\nimages:\n"+
		"  app:\n    context: app\n  one:\n    context: app\n    platform: linux/arm64\n")
	writeFile(t, filepath.Join(dir, "app/Dockerfile"), "FROM scratch\n")
	code, out, errOut := run(t, dir, offline, "ls", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		Images []struct {
			Name, Platform string
			Platforms      []string
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	for _, img := range got.Images {
		switch {
		case img.Name == "app" && !slices.Equal(img.Platforms, []string{"linux/amd64", "linux/arm64"}):
			t.Errorf("app platforms %q, want the default list", img.Platforms)
		case img.Name == "one" && (img.Platform != "linux/arm64" || img.Platforms != nil):
			t.Errorf("one: platform %q, platforms %q; want its own platform only", img.Platform, img.Platforms)
		}
	}
}
