package buildkit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/apicaps"
	digest "github.com/opencontainers/go-digest"
)

// features names, for people, what the Dockerfile wrote that needs an LLB capability an older
// BuildKit lacks. A capability missing from this table is named as BuildKit names it.
var features = map[apicaps.CapID]string{
	pb.CapFileCopyIncludeExcludePatterns:         "COPY --exclude (or --parents)",
	pb.CapFileCopyModeStringFormat:               "COPY --chmod with a symbolic mode",
	pb.CapFileCopyAlwaysReplaceExistingDestPaths: "COPY replacing a directory with a file",
	pb.CapExecSecretEnv:                          "RUN --mount=type=secret,env=",
	pb.CapExecMetaCDI:                            "RUN --device",
	pb.CapExecValidExitCode:                      "RUN with accepted exit codes",
	pb.CapExecMountContentCache:                  "RUN --mount with a content cache",
	pb.CapMergeOp:                                "COPY --link",
	pb.CapDiffOp:                                 "COPY --link",
	pb.CapSourceImageChecksum:                    "ADD --checksum",
	pb.CapSourceGitChecksum:                      "ADD --checksum of a Git source",
	pb.CapSourceGitKeepDir:                       "ADD --keep-git-dir",
	pb.CapSourceGitSkipSubmodules:                "ADD of a Git source without submodules",
	pb.CapSourceImageLayerLimit:                  "a named context with a layer limit",
}

// missingCaps returns an error naming each Dockerfile line whose operation needs a capability
// caps lacks, or nil. An older BuildKit (the Docker engine 20.10's) silently drops what it does
// not know, such as COPY --exclude, and would build another image than the Dockerfile says:
// such a build is refused instead.
func missingCaps(def *pb.Definition, caps *apicaps.CapSet, builder string) error {
	if def == nil {
		return nil
	}
	var lines []string
	for _, dt := range def.Def {
		dgst := digest.FromBytes(dt).String()
		for _, id := range neededCaps(dt, def.Metadata[dgst]) {
			if caps.Supports(id) != nil {
				lines = append(lines, where(def.Source, dgst)+feature(id))
			}
		}
	}
	if len(lines) == 0 {
		return nil
	}
	slices.Sort(lines)
	lines = slices.Compact(lines)
	return fmt.Errorf("%s: the BuildKit of %s lacks what this needs, and would build without it; refused (build it on a newer engine or a BuildKit daemon, --builder)",
		strings.Join(lines, "; "), builder)
}

// neededCaps are the capabilities the operation dt needs: those its metadata records, and those
// of its copy options, which BuildKit's LLB package (v0.34) leaves out of the metadata.
func neededCaps(dt []byte, md *pb.OpMetadata) []apicaps.CapID {
	var out []apicaps.CapID
	for id, needed := range md.GetCaps() {
		if needed {
			out = append(out, apicaps.CapID(id))
		}
	}
	var op pb.Op
	if err := op.UnmarshalVT(dt); err != nil {
		return out
	}
	for _, a := range op.GetFile().GetActions() {
		c := a.GetCopy()
		if c == nil {
			continue
		}
		if len(c.IncludePatterns) > 0 || len(c.ExcludePatterns) > 0 {
			out = append(out, pb.CapFileCopyIncludeExcludePatterns)
		}
		if len(c.RequiredPaths) > 0 {
			out = append(out, pb.CapFileCopyRequiredPaths)
		}
		if c.AlwaysReplaceExistingDestPaths {
			out = append(out, pb.CapFileCopyAlwaysReplaceExistingDestPaths)
		}
		if c.ModeStr != "" {
			out = append(out, pb.CapFileCopyModeStringFormat)
		}
	}
	return out
}

func feature(id apicaps.CapID) string {
	if name, ok := features[id]; ok {
		return name + " (LLB capability " + string(id) + ")"
	}
	return "LLB capability " + string(id)
}

// where names the source line of the operation dgst, "Dockerfile:4: COPY --exclude=x . /: ",
// or "" when the definition does not say.
func where(src *pb.Source, dgst string) string {
	if src == nil || src.Locations[dgst] == nil {
		return ""
	}
	for _, loc := range src.Locations[dgst].Locations {
		if int(loc.SourceIndex) >= len(src.Infos) || len(loc.Ranges) == 0 {
			continue
		}
		info := src.Infos[loc.SourceIndex]
		line := int(loc.Ranges[0].Start.GetLine())
		text := ""
		if all := strings.Split(string(info.Data), "\n"); line >= 1 && line <= len(all) {
			text = " " + strings.TrimSpace(all[line-1])
		}
		return fmt.Sprintf("%s:%d:%s: ", info.Filename, line, text)
	}
	return ""
}
