package plan

import (
	"strings"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/gitinfo"
)

// InputsTagPrefix starts the tag that names an image by its inputs digest in the registry.
const InputsTagPrefix = "in-"

// cacheRepo is where an image's inputs-digest and cache tags live: {cache.repo or repo}/{name}.
func cacheRepo(p *config.Project, img *config.Image) string {
	repo := p.Cache.Repo
	if repo == "" {
		repo = p.Repo
	}
	if repo == "" {
		return img.Name
	}
	return repo + "/" + img.Name
}

// InputsTag is the ref that names the image's inputs in the registry:
// {cache.repo or repo}/{name}:in-<first 16 hex of the digest>.
func InputsTag(p *config.Project, img *config.Image, digest string) string {
	hex := strings.TrimPrefix(digest, "sha256:")
	if len(hex) > 16 {
		hex = hex[:16]
	}
	return cacheRepo(p, img) + ":" + InputsTagPrefix + hex
}

// CacheCandidates are the refs tried, in order, as the image's --cache-from: the image's own
// cache_from refs, the configured cache tags, the inputs-digest tag, the last commits of the
// branch, the branch, the default branch. Duplicates are dropped.
func CacheCandidates(p *config.Project, img *config.Image, digest string, git gitinfo.Info) []string {
	repo := cacheRepo(p, img)
	var tags []string
	tags = append(tags, p.Cache.Tags...)
	refs := []string{}
	seen := map[string]bool{}
	add := func(ref string) {
		if !seen[ref] {
			seen[ref] = true
			refs = append(refs, ref)
		}
	}
	for _, ref := range img.CacheFrom {
		add(ref)
	}
	for _, t := range tags {
		add(repo + ":" + t)
	}
	add(InputsTag(p, img, digest))
	for _, t := range append(append([]string{}, git.Commits...), git.Branch, git.DefaultBranch) {
		if t != "" {
			add(repo + ":" + t)
		}
	}
	return refs
}

// UsesRegistry tells whether the project names a registry explicitly (a host with a dot, a
// port or "localhost" in repo or cache.repo). Only then does imagemake look for images and cache
// in a registry: a bare "acme" would mean Docker Hub, and no build should reach the internet
// because of a default.
func UsesRegistry(p *config.Project) bool {
	repo := p.Cache.Repo
	if repo == "" {
		repo = p.Repo
	}
	return NamesRegistry(repo)
}

// NamesRegistry tells whether a repo or ref starts with an explicit registry host:
// "127.0.0.1:5000/x", "registry.example.com/x", "localhost/x", "docker.io/x" do; "acme/x" does
// not (Docker would read it as Docker Hub).
func NamesRegistry(ref string) bool {
	host, _, _ := strings.Cut(ref, "/") // repo "127.0.0.1:5000" makes refs 127.0.0.1:5000/NAME
	return strings.ContainsAny(host, ".:") || host == "localhost"
}
