package inputs

import "strings"

// A base that `--pull` resolved is recorded pinned: "python:3.12@sha256:… --platform=P" (see
// Manifest.Bases). Two manifests whose bases differ only by that digest have a base that moved
// in its registry, which is said as such rather than as one FROM replaced by another.

// SplitPinned splits a recorded base into the base as written (with " --platform=P" when
// FROM names one) and the digest --pull resolved it to ("" when not pinned by --pull).
func SplitPinned(base string) (written, digest string) {
	ref, platform, hasPlatform := strings.Cut(base, " --platform=")
	name, dgst, ok := strings.Cut(ref, "@")
	if !ok {
		return base, ""
	}
	if hasPlatform {
		name += " --platform=" + platform
	}
	return name, dgst
}

// Pin is the recorded form of the base written (as SplitPinned returns it) resolved to digest.
func Pin(written, digest string) string {
	ref, platform, hasPlatform := strings.Cut(written, " --platform=")
	if hasPlatform {
		return ref + "@" + digest + " --platform=" + platform
	}
	return ref + "@" + digest
}

// upstreamMoves takes out of old and cur the bases pinned to one digest in old and another in
// cur: "base image python:3.12 changed upstream (sha256:1a2b3c4d5e6f to sha256:7a8b9c0d1e2f)".
// The rest are returned as they were.
func upstreamMoves(old, cur []string) (moved []Change, restOld, restCur []string) {
	was := map[string]string{}
	for _, b := range old {
		if w, d := SplitPinned(b); d != "" {
			was[w] = d
		}
	}
	gone := map[string]bool{}
	for _, b := range cur {
		w, d := SplitPinned(b)
		if prev, ok := was[w]; ok && d != "" && prev != d && !gone[w] {
			gone[w] = true
			moved = append(moved, Change{"base image", w, "changed upstream (" + shortDigest(prev) + " to " + shortDigest(d) + ")"})
			continue
		}
		restCur = append(restCur, b)
	}
	for _, b := range old {
		if w, d := SplitPinned(b); d == "" || !gone[w] {
			restOld = append(restOld, b)
		}
	}
	return moved, restOld, restCur
}

// shortDigest is sha256: and the first 12 hex digits of a digest.
func shortDigest(d string) string {
	if algo, hex, ok := strings.Cut(d, ":"); ok && len(hex) > 12 {
		return algo + ":" + hex[:12]
	}
	return d
}
