package compose

import (
	"maps"
	"slices"

	"github.com/compose-spec/compose-go/v2/types"
)

// carried are the build keys an image takes over (build.go); dockerfile_inline is refused
// with a warning that leaves the service out, since no other Dockerfile would be right.
var carried = []string{
	"context", "dockerfile", "dockerfile_inline", "args", "labels", "target", "network", "platforms",
	"tags", "additional_contexts", "secrets", "ssh", "cache_from",
}

// ignoredKey is a build key imagemake has no use for; set says whether a service sets it.
type ignoredKey struct {
	key string
	set func(b *types.BuildConfig) bool
}

// ignoredKeys are warned about when set. A test holds carried and this list against every key
// of compose-go's BuildConfig, so a key compose-go learns is never dropped silently.
var ignoredKeys = []ignoredKey{
	{"cache_to", func(b *types.BuildConfig) bool { return len(b.CacheTo) > 0 }},
	{"entitlements", func(b *types.BuildConfig) bool { return len(b.Entitlements) > 0 }},
	{"extra_hosts", func(b *types.BuildConfig) bool { return len(b.ExtraHosts) > 0 }},
	{"isolation", func(b *types.BuildConfig) bool { return b.Isolation != "" }},
	{"no_cache", func(b *types.BuildConfig) bool { return b.NoCache }},
	{"no_cache_filter", func(b *types.BuildConfig) bool { return len(b.NoCacheFilter) > 0 }},
	{"privileged", func(b *types.BuildConfig) bool { return b.Privileged }},
	{"provenance", func(b *types.BuildConfig) bool { return b.Provenance != "" }},
	{"pull", func(b *types.BuildConfig) bool { return b.Pull }},
	{"sbom", func(b *types.BuildConfig) bool { return b.SBOM != "" }},
	{"shm_size", func(b *types.BuildConfig) bool { return b.ShmSize != 0 }},
	{"ulimits", func(b *types.BuildConfig) bool { return len(b.Ulimits) > 0 }},
}

// ignored warns about each build key the service sets that imagemake does not carry over,
// extensions (x-*) included: they are meant for some other tool's build.
func (t *translation) ignored() {
	b := t.svc.Build
	for _, k := range ignoredKeys {
		if k.set(b) {
			t.warn("build."+k.key, "is not supported by imagemake and was ignored")
		}
	}
	for _, x := range slices.Sorted(maps.Keys(b.Extensions)) {
		t.warn("build."+x, "is an extension imagemake does not read: it was ignored")
	}
}
