package bake

import (
	"slices"

	bk "github.com/docker/buildx/bake"
)

// carried are the target fields an image takes over (translate.go); dockerfile-inline is
// refused with a warning that leaves the target out, since no other Dockerfile would be right.
// description and inherits change no build: bake has applied inherits already.
var carried = []string{
	"description", "inherits", "context", "contexts", "dockerfile", "dockerfile-inline", "args",
	"labels", "tags", "cache-from", "target", "secret", "ssh", "platforms", "network",
}

// ignoredField is a target field imagemake has no use for; set says whether a target sets it.
type ignoredField struct {
	field string
	set   func(t *bk.Target) bool
}

// ignoredFields are warned about when set. A test holds carried and this list against every
// field of bake's Target, so a field bake learns is never dropped silently.
var ignoredFields = []ignoredField{
	{"annotations", func(t *bk.Target) bool { return len(t.Annotations) > 0 }},
	{"attest", func(t *bk.Target) bool { return len(t.Attest) > 0 }},
	{"cache-to", func(t *bk.Target) bool { return len(t.CacheTo) > 0 }},
	{"output", func(t *bk.Target) bool { return len(t.Outputs) > 0 }},
	{"pull", func(t *bk.Target) bool { return t.Pull != nil && *t.Pull }},
	{"no-cache", func(t *bk.Target) bool { return t.NoCache != nil && *t.NoCache }},
	{"no-cache-filter", func(t *bk.Target) bool { return len(t.NoCacheFilter) > 0 }},
	{"shm-size", func(t *bk.Target) bool { return t.ShmSize != nil }},
	{"ulimits", func(t *bk.Target) bool { return len(t.Ulimits) > 0 }},
	{"resources", func(t *bk.Target) bool { return t.Resources != nil }},
	{"call", func(t *bk.Target) bool { return t.Call != nil && *t.Call != "" && *t.Call != "build" }},
	{"entitlements", func(t *bk.Target) bool { return len(entitlements(t)) > 0 }},
	{"extra-hosts", func(t *bk.Target) bool { return len(values(t.ExtraHosts)) > 0 }},
	{"policy", func(t *bk.Target) bool { return len(t.Policy) > 0 }},
}

// entitlements are those the target asks for, without the network.host bake adds by itself
// to a target with network = "host" (which imagemake carries over as the network).
func entitlements(t *bk.Target) []string {
	if deref(t.NetworkMode) != "host" {
		return t.Entitlements
	}
	return slices.DeleteFunc(slices.Clone(t.Entitlements), func(e string) bool { return e == "network.host" })
}

// ignored warns about each field the target sets that imagemake does not carry over.
func (t *translation) ignored() {
	for _, f := range ignoredFields {
		if f.set(t.t) {
			t.warn(f.field, "is not supported by imagemake and was ignored")
		}
	}
}
