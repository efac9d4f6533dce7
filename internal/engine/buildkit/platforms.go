package buildkit

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"

	"github.com/imagemake/imagemake/internal/schedule"
)

// platformAttr is the frontend's platform attribute: the request's platform, or its platform
// list comma-separated (one image index), as `buildctl --opt platform=` takes it.
func platformAttr(req schedule.Request) string {
	if len(req.Platforms) > 0 {
		return strings.Join(req.Platforms, ",")
	}
	return req.Platform
}

// multi tells whether req builds an image index of several platforms.
func multi(req schedule.Request) bool { return len(req.Platforms) > 1 }

// CheckPlatforms refuses, before anything is built, an image index the builder cannot give:
// the Docker engine's moby exporter stores one image per ref, of one platform, and pushes
// only what it stores (never an index); a `docker save` tarball of an index loads into no
// engine of the Docker image store either. So a multi-platform image is built by a BuildKit
// daemon that pushes it.
func (b *Builder) CheckPlatforms(req schedule.Request) error {
	if !multi(req) {
		return nil
	}
	list := strings.Join(req.Platforms, ", ")
	switch {
	case b.engine != nil:
		return fmt.Errorf("image %s: platforms %s: %s stores one platform per image and cannot build or push an image index; "+
			"build it on a BuildKit daemon (builders: in imagemake.yaml, or --builder) with --push", req.Image, list, b.name())
	case req.Load:
		return fmt.Errorf("image %s: platforms %s: an image index cannot be loaded into the Docker engine, which keeps one platform per image; "+
			"build it with --push (and without --load)", req.Image, list)
	case len(req.Push) == 0:
		return fmt.Errorf("image %s: platforms %s: an image index goes to a registry; build it with --push", req.Image, list)
	}
	return nil
}

// unrunnable are the platforms of req the builder's worker does not list: a RUN step for one
// of them fails with "exec format error" unless QEMU's binfmt handler runs it.
func (b *Builder) unrunnable(req schedule.Request) []string {
	list := req.Platforms
	if req.Platform != "" {
		list = []string{req.Platform}
	}
	var out []string
	for _, p := range list {
		want, err := platforms.Parse(p)
		if err != nil {
			continue // the frontend names it
		}
		if !slices.ContainsFunc(b.platforms, platforms.NewMatcher(platforms.Normalize(want)).Match) {
			out = append(out, p)
		}
	}
	return out
}

// annotationAttrs are the image exporter's attributes that set the builder's annotations
// (WithAnnotations) on each image manifest and, of an index, on the index too.
func annotationAttrs(a map[string]string, index bool) map[string]string {
	out := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(a)) {
		out[exptypes.AnnotationManifestKey(nil, k)] = a[k]
		if index {
			out[exptypes.AnnotationIndexKey(k)] = a[k]
		}
	}
	return out
}
