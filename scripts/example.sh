#!/usr/bin/env bash
# The main job, from a fresh Debian machine: install what is missing, build imagemake, build the
# example monorepo twice. The second run builds nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/engine.sh
mkdir -p bin examples/monorepo/third_party
go build -o bin/imagemake ./cmd/imagemake
cp /bin/busybox examples/monorepo/third_party/busybox
export DOCKER_REPO=${DOCKER_REPO:-acme} DOCKER_TAG=${DOCKER_TAG:-development}
echo "=== first build ==="
bin/imagemake -C examples/monorepo build
echo
echo "=== second build (nothing changed) ==="
bin/imagemake -C examples/monorepo build
