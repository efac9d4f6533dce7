package plan

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/project"
)

// Base is an external image a build starts FROM, to resolve to its registry digest (--pull).
type Base struct {
	Ref string
	// Platform is the platform whose image the build takes: FROM's --platform, else the
	// image's platform:, "" for the builder's. A multi-platform image lists its platforms,
	// comma-separated: then the tag's own digest (its index) counts.
	Platform string
}

// Puller resolves bases to registry digests, at most one request per base, in parallel. It
// returns, in the order of bases, each one's digest or why there is none.
type Puller func(bases []Base) ([]string, []error)

// pinBases asks pull, once for all the images in names, for the digest of every distinct
// external base not already pinned by digest, and pins each image's bases to them: the digest
// then counts in the inputs digest. An error names the base and an image built on it.
func pinBases(m *project.Model, names []string, builds map[string]inputs.Build, pull Puller) error {
	var bases []Base
	at, user := map[Base]int{}, map[Base]string{}
	for _, name := range names {
		for _, written := range builds[name].Bases {
			if b, ok := toPull(written, m.Image(name)); ok {
				if _, seen := at[b]; !seen {
					at[b], user[b] = len(bases), name
					bases = append(bases, b)
				}
			}
		}
	}
	if len(bases) == 0 {
		return nil
	}
	digests, errs := pull(bases)
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("image %q: base image %s (--pull): %w", user[bases[i]], bases[i].Ref, err)
		}
	}
	for _, name := range names {
		for j, written := range builds[name].Bases {
			if b, ok := toPull(written, m.Image(name)); ok {
				builds[name].Bases[j] = inputs.Pin(written, digests[at[b]])
			}
		}
	}
	return nil
}

// toPull is the base to resolve for the FROM line written ("ref" or "ref --platform=P") of
// img; false when the ref is pinned by digest already.
func toPull(written string, img *config.Image) (Base, bool) {
	ref, platform, _ := strings.Cut(written, " --platform=")
	if strings.Contains(ref, "@") {
		return Base{}, false
	}
	if platform == "" || strings.Contains(platform, "$") {
		platform = img.Platform
		if len(img.Platforms) > 0 {
			platform = strings.Join(img.Platforms, ",")
		}
	}
	return Base{Ref: ref, Platform: platform}, true
}

// repin is cur with its unpinned bases pinned as old, the manifest of the image the engine
// holds, recorded them, and the digests of the images it builds on as digests says: without
// --pull an external base is taken as it was when the engine's image was built. It returns cur
// itself when that changes nothing.
func repin(cur, old *inputs.Manifest, digests map[string]string) *inputs.Manifest {
	var was map[string]string // base as written -> the digest old pinned it to
	if old != nil {
		for _, b := range old.Bases {
			if w, d := inputs.SplitPinned(b); d != "" {
				if was == nil {
					was = map[string]string{}
				}
				was[w] = d
			}
		}
	}
	bases, pinned := cur.Bases, false
	for i, b := range cur.Bases {
		if d, ok := was[b]; ok {
			if !pinned {
				bases, pinned = slices.Clone(cur.Bases), true
			}
			bases[i] = inputs.Pin(b, d)
		}
	}
	upstream, moved := upstreamOf(cur, digests)
	if !pinned && !moved {
		return cur
	}
	next := *cur
	next.Bases = sortedBases(bases)
	next.Upstream = upstream
	next.Digest = next.ComputeDigest()
	return &next
}

// upstreamOf is cur's Upstream with the digests of digests, and whether any differs.
func upstreamOf(cur *inputs.Manifest, digests map[string]string) (map[string]string, bool) {
	moved := false
	for name, d := range cur.Upstream {
		if now, ok := digests[name]; ok && now != d {
			moved = true
		}
	}
	if !moved {
		return cur.Upstream, false
	}
	out := maps.Clone(cur.Upstream)
	for name := range out {
		if now, ok := digests[name]; ok {
			out[name] = now
		}
	}
	return out, true
}

func sortedBases(bases []string) []string {
	return slices.Compact(slices.Sorted(slices.Values(bases)))
}
