package project

import (
	"context"
	"slices"
	"testing"
)

// A builder of another platform than the assumed linux/amd64 (here a fake one, linux/arm64):
// the Dockerfiles that read platform args are read again for it, so paths narrow to its folder
// and a base named by TARGETARCH becomes its own, dependency included.
func TestForBuilder(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"imagemake.yaml": "version: 1\nrepo: acme\ntag: t1\nimages:\n" +
			"  base-amd64:\n    context: base\n  base-arm64:\n    context: base\n" +
			"  app:\n    context: app\n  fixed:\n    context: app\n    platform: linux/amd64\n  plain:\n    context: plain\n",
		"base/Dockerfile":  "FROM scratch\n",
		"app/Dockerfile":   "ARG TARGETARCH\nFROM acme/base-${TARGETARCH}:t1\nARG TARGETARCH\nCOPY bin/${TARGETARCH}/app /app\n",
		"plain/Dockerfile": "FROM scratch\nCOPY x /x\n",
	})
	m, err := Load(context.Background(), Options{Dir: dir, Env: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.PlatformDependent(); !slices.Equal(got, []string{"app"}) {
		t.Fatalf("PlatformDependent = %q, want [app] (fixed names its platform)", got)
	}
	if _, whole := m.Dockerfiles["app"].ContextPaths(); whole == nil {
		t.Errorf("before the builder is known, app's COPY reads the whole context")
	}
	if err := m.ForBuilder("linux/arm64"); err != nil {
		t.Fatal(err)
	}
	paths, whole := m.Dockerfiles["app"].ContextPaths()
	if whole != nil || !slices.Equal(paths, []string{"bin/arm64/app"}) {
		t.Errorf("app reads %q (whole: %v), want bin/arm64/app", paths, whole)
	}
	if got := m.Graph.DepNames("app"); !slices.Equal(got, []string{"base-arm64"}) {
		t.Errorf("app deps %q, want [base-arm64]", got)
	}
	if got := m.Graph.DepNames("fixed"); !slices.Equal(got, []string{"base-amd64"}) {
		t.Errorf("fixed deps %q, want [base-amd64]: its own platform", got)
	}
	if m.BuildPlatform != "linux/arm64" || len(m.PlatformDependent()) != 0 || !slices.Equal(m.ReadForBuilder, []string{"app"}) {
		t.Errorf("BuildPlatform %q, still dependent %q", m.BuildPlatform, m.PlatformDependent())
	}
}
