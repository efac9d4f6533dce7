#!/usr/bin/env bash
# Build buildkitd and buildctl once, from the Go module proxy, in a throw-away module, for the
# BuildKit end-to-end tests (tests start their own daemons). Exports IMAGEMAKE_BUILDKITD (the
# directory holding both binaries). Sourced by test.sh after engine.sh (runc comes with docker.io);
# safe to run again: a build already there is kept.
set -euo pipefail

BUILDKIT_VERSION=v0.34.2
BUILDKIT_DIR=${IMAGEMAKE_BUILDKIT_CACHE:-/var/cache/imagemake/buildkit-$BUILDKIT_VERSION}

build_buildkitd() {
	if [ -x "$BUILDKIT_DIR/bin/buildkitd" ] && [ -x "$BUILDKIT_DIR/bin/buildctl" ]; then
		return 0
	fi
	echo "buildkitd.sh: building buildkitd $BUILDKIT_VERSION into $BUILDKIT_DIR/bin" >&2
	mkdir -p "$BUILDKIT_DIR/src" "$BUILDKIT_DIR/bin"
	(
		cd "$BUILDKIT_DIR/src"
		[ -f go.mod ] || go mod init imagemake.local/buildkitd >/dev/null 2>&1
		go get "github.com/moby/buildkit/cmd/buildkitd@$BUILDKIT_VERSION" "github.com/moby/buildkit/cmd/buildctl@$BUILDKIT_VERSION"
		go build -o "$BUILDKIT_DIR/bin/" github.com/moby/buildkit/cmd/buildkitd github.com/moby/buildkit/cmd/buildctl
	)
}

if ! command -v runc >/dev/null && [ ! -x /usr/sbin/runc ]; then
	echo "buildkitd.sh: runc is missing (it comes with docker.io: run scripts/engine.sh)" >&2
	exit 1
fi
build_buildkitd
export IMAGEMAKE_BUILDKITD="$BUILDKIT_DIR/bin"
