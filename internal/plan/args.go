package plan

import (
	"slices"
	"strings"

	"github.com/imagemake/imagemake/internal/dockerfile"
	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/project"
)

// resolved is what img's digest covers of what its Dockerfile resolves to (see
// inputs.Build): the build args split by what they can change, and the external bases.
//
// An arg counts when a stage the target builds declares it with ARG after its FROM (RUN,
// ENV, LABEL, COPY... can read it) or when BuildKit reads it itself without a declaration
// (see readByBuildKit). Any other arg, declared only before the first FROM or nowhere, can
// only shape FROM lines: it is passed to the build but left out of the digest, which takes
// the FROM lines it resolves to instead, a project image through its inputs digest
// (Upstream), any other image as its ref written after expansion (Bases). So a new
// DOCKER_TAG that names the same base inputs changes no digest.
func resolved(m *project.Model, name string, owners map[string]string) inputs.Build {
	img := m.Image(name)
	args := m.BuildArgs(img)
	b := inputs.Build{Args: map[string]string{}, ExtraArgs: map[string]string{}}
	info := m.Dockerfiles[name]
	if info == nil { // not parsed: every arg counts
		b.Args = args
		return b
	}
	declared := info.StageArgs()
	for k, v := range args {
		if slices.Contains(declared, k) || readByBuildKit(k) {
			b.Args[k] = v
		} else {
			b.ExtraArgs[k] = v
		}
	}
	for _, r := range info.TargetRefs() {
		if r.Kind != dockerfile.KindFrom {
			continue
		}
		if owner, ok := owners[normalize(r.Ref)]; ok && owner != name {
			continue
		}
		base := r.Ref
		if r.Platform != "" {
			base += " --platform=" + r.Platform
		}
		b.Bases = append(b.Bases, base)
	}
	return b
}

// readByBuildKit tells whether BuildKit reads a build arg whether or not the Dockerfile
// declares it: its own settings (BUILDKIT_INLINE_CACHE changes the image's config,
// BUILDKIT_CONTEXT_KEEP_GIT_DIR what a git context holds, BUILDKIT_SYNTAX the frontend),
// SOURCE_DATE_EPOCH (the images' times), the proxy variables (given to every RUN) and the
// automatic platform args. When in doubt an arg counts.
func readByBuildKit(name string) bool {
	switch strings.ToUpper(name) {
	case "SOURCE_DATE_EPOCH", "HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY":
		return true
	}
	return strings.HasPrefix(name, "BUILDKIT_") || platformArgs[name]
}

var platformArgs = map[string]bool{
	"BUILDPLATFORM": true, "BUILDOS": true, "BUILDOSVERSION": true, "BUILDARCH": true, "BUILDVARIANT": true,
	"TARGETPLATFORM": true, "TARGETOS": true, "TARGETOSVERSION": true, "TARGETARCH": true, "TARGETVARIANT": true,
	"TARGETSTAGE": true,
}

// refOwners maps each normalised ref and tag of the project's images to the image.
func refOwners(m *project.Model) map[string]string {
	out := map[string]string{}
	for _, img := range m.Images {
		for _, r := range img.Refs() {
			out[normalize(r)] = img.Name
		}
	}
	return out
}
