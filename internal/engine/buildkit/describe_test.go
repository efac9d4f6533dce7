package buildkit

import (
	"slices"
	"strings"
	"testing"

	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/schedule"
)

func testRequest() schedule.Request {
	return schedule.Request{
		Image: "app", Dockerfile: "Dockerfile", Context: []inputs.Entry{{Name: "Dockerfile"}},
		Contexts: map[string]schedule.NamedContext{
			"shared": {Dir: "src/shared", Entries: []inputs.Entry{{Name: "a"}, {Name: "b"}}},
			"base":   {Source: "docker-image://reg.example/base:t1"},
		},
		Args: map[string]string{"V": "1"}, Network: "none", Refs: []string{"reg.example/app:t1"},
		Labels:    map[string]string{"imagemake.inputs": "sha256:x"},
		Secrets:   []schedule.Secret{{ID: "tok", Env: "TOKEN"}},
		SSH:       []schedule.SSH{{ID: "default", Paths: []string{"/run/agent.sock"}}},
		CacheFrom: []string{"reg.example/app-buildcache:latest"}, CacheTo: "reg.example/app-buildcache:latest", CacheMode: "max",
		InlineCache: true, Push: []string{"reg.example/app:t1", "reg.example/app:in-1"},
	}
}

func TestDescribeEngineAndDaemon(t *testing.T) {
	engine, daemon := Describe(testRequest(), true), Describe(testRequest(), false)
	if want := []string{"moby name=reg.example/app:t1,reg.example/app:in-1"}; !slices.Equal(engine.Exports, want) {
		t.Errorf("engine exports %q, want %q", engine.Exports, want)
	}
	if want := []string{"image name=reg.example/app:t1,reg.example/app:in-1,push=true"}; !slices.Equal(daemon.Exports, want) {
		t.Errorf("daemon exports %q, want %q", daemon.Exports, want)
	}
	if want := []string{"type=inline"}; !slices.Equal(engine.CacheExports, want) {
		t.Errorf("engine cache exports %q: it has no registry cache exporter", engine.CacheExports)
	}
	if want := []string{"type=registry,mode=max,ref=reg.example/app-buildcache:latest", "type=inline"}; !slices.Equal(daemon.CacheExports, want) {
		t.Errorf("daemon cache exports %q, want %q", daemon.CacheExports, want)
	}
	for k, v := range map[string]string{"context:shared": "local:named-shared", "context:base": "docker-image://reg.example/base:t1",
		"force-network-mode": "none", "build-arg:V": "1", "label:imagemake.inputs": "sha256:x", "filename": "Dockerfile"} {
		if engine.Attrs[k] != v {
			t.Errorf("frontend attr %s = %q, want %q", k, engine.Attrs[k], v)
		}
	}
	if engine.Locals["named-shared"] != "src/shared (2 entries)" {
		t.Errorf("locals %v", engine.Locals)
	}
	cmd := strings.Join(engine.Command, " ")
	for _, want := range []string{"--build-context base=docker-image://reg.example/base:t1", "--build-context shared=src/shared",
		"--secret id=tok,env=TOKEN", "--ssh default=/run/agent.sock", "--cache-from reg.example/app-buildcache:latest",
		"--build-arg BUILDKIT_INLINE_CACHE=1", "--network none"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("command %q lacks %q", cmd, want)
		}
	}
}
