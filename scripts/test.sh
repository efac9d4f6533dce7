#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine: install and start the engine, then run every
# test, the end-to-end ones included (they fail, not skip, when the engine cannot be reached).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/engine.sh
. scripts/engine2.sh     # a second engine: the other machine of the two-machine tests (IMAGEMAKE_ENGINE_B)
. scripts/buildkitd.sh   # buildkitd and buildctl for the BuildKit tests (IMAGEMAKE_BUILDKITD)
. scripts/qemu.sh        # QEMU arm64 binfmt and an arm64 busybox for the multi-platform tests (IMAGEMAKE_BUSYBOX_ARM64)
. scripts/sshd.sh        # an sshd on 127.0.0.1 for the ssh:// engine and builder tests (IMAGEMAKE_SSH_HOST)
# The terminal view is tested in tmux, the HTML report in headless Chromium.
for tool in tmux chromium; do
	if ! command -v $tool >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $tool >/dev/null
	fi
done
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted" >&2
	exit 1
fi
go vet ./...
# imagemake builds for every platform the docker CLI runs on.
for os in linux darwin windows; do
	GOOS=$os go build ./... || { echo "GOOS=$os go build ./... fails" >&2; exit 1; }
done
# go.mod and go.sum are what the code imports: go mod tidy would change nothing.
if ! go mod tidy -diff; then
	echo "go mod tidy changes go.mod or go.sum (diff above): run it and commit the result" >&2
	exit 1
fi
export IMAGEMAKE_E2E=1
go test -race -count=1 -timeout 30m ./... "$@"
