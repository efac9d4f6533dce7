package plan

import (
	"reflect"
	"testing"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/gitinfo"
)

func TestInputsTagAndCandidates(t *testing.T) {
	p := &config.Project{Repo: "127.0.0.1:5000/acme", Cache: config.Cache{Tags: []string{"ci-cache", "main"}}}
	img := &config.Image{Name: "api"}
	digest := "sha256:0123456789abcdef0123456789abcdef"
	if got := InputsTag(p, img, digest); got != "127.0.0.1:5000/acme/api:in-0123456789abcdef" {
		t.Errorf("InputsTag = %q", got)
	}
	got := CacheCandidates(p, img, digest, gitinfo.Info{Commits: []string{"abc1234", "def5678"}, Branch: "feature-x", DefaultBranch: "main"})
	want := []string{
		"127.0.0.1:5000/acme/api:ci-cache", "127.0.0.1:5000/acme/api:main",
		"127.0.0.1:5000/acme/api:in-0123456789abcdef",
		"127.0.0.1:5000/acme/api:abc1234", "127.0.0.1:5000/acme/api:def5678",
		"127.0.0.1:5000/acme/api:feature-x",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("candidates:\n got %v\nwant %v", got, want)
	}
	img.CacheFrom = []string{"127.0.0.1:5000/acme/api:main", "127.0.0.1:5000/other/api:x"}
	got = CacheCandidates(p, img, digest, gitinfo.Info{})
	want = []string{"127.0.0.1:5000/acme/api:main", "127.0.0.1:5000/other/api:x", "127.0.0.1:5000/acme/api:ci-cache",
		"127.0.0.1:5000/acme/api:in-0123456789abcdef"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("candidates with cache_from:\n got %v\nwant %v", got, want)
	}
	img.CacheFrom = nil
	p.Cache.Repo = "registry.example.com/cache"
	if got := InputsTag(p, img, digest); got != "registry.example.com/cache/api:in-0123456789abcdef" {
		t.Errorf("InputsTag with cache.repo = %q", got)
	}
}

func TestUsesRegistry(t *testing.T) {
	for repo, want := range map[string]bool{
		"acme": false, "": false, "acme/team": false,
		"localhost/acme": true, "127.0.0.1:5000/acme": true, "registry.example.com/acme": true, "docker.io/acme": true, "127.0.0.1:5000": true,
	} {
		if got := UsesRegistry(&config.Project{Repo: repo}); got != want {
			t.Errorf("UsesRegistry(%q) = %v, want %v", repo, got, want)
		}
	}
}

func TestSourcePath(t *testing.T) {
	img := &config.Image{Context: "components/openresty", Include: []config.Include{
		{From: "src/luamods", To: "src/luamods"}, {From: "conf/nginx", To: "etc/nginx"}, {From: "third_party/busybox", To: "busybox"},
	}}
	src := SourcePath(img)
	for in, want := range map[string]string{
		"etc/nginx/nginx.conf": "conf/nginx/nginx.conf",
		"etc/nginx":            "conf/nginx",
		"etc/nginxfoo":         "components/openresty/etc/nginxfoo",
		"src/luamods/http.lua": "src/luamods/http.lua",
		"busybox":              "third_party/busybox",
		"Dockerfile":           "components/openresty/Dockerfile",
	} {
		if got := src(in); got != want {
			t.Errorf("SourcePath(%q) = %q, want %q", in, got, want)
		}
	}
}
