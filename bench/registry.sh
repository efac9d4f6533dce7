#!/usr/bin/env bash
# Times the CI story of issue 4 on the generated benchmark repository: machine A builds and
# pushes every image to a registry on loopback; then, as on a fresh CI machine (a fresh clone,
# the engine's copies of the images removed, no stat cache), `imagemake build --push` with a new
# tag. Every image should be `reused`: found in the registry by its inputs digest and tagged
# there, nothing built or pulled.
# Usage: bench/registry.sh [gen flags]   (reuses $BENCH_DIR/repo when bench/compare.sh made it)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/engine.sh
. bench/lib.sh
bench_repo "$@"

port=${BENCH_REGISTRY_PORT:-5055}
reg=$work/registry
start_registry "$reg" "$port"
trap 'kill $registry_pid 2>/dev/null' EXIT

export DOCKER_REPO=127.0.0.1:$port/bench DOCKER_TAG=first
cd "$work/repo"
s=$(now); "$im" build --push -j 4 > "$work/push.log" 2>&1; e=$(now)
printf '| machine A: imagemake build --push -j 4 (full build + push) | %.1f s |\n' "$(echo "$e - $s" | bc)"

rm -rf "$work/ci-clone" && git clone -q "$work/repo" "$work/ci-clone"
/usr/bin/docker images --format '{{.Repository}}:{{.Tag}}' | grep "^127.0.0.1:$port/bench/" | xargs -r /usr/bin/docker rmi -f > /dev/null
cd "$work/ci-clone"
export DOCKER_TAG=second
s=$(now); "$im" build --push -j 4 --format json > "$work/reuse.json"; e=$(now)
printf '| fresh clone, new tag: imagemake build --push (%s reused, %s built) | %.2f s |\n' \
	"$(grep -c '"status":"reused"' "$work/reuse.json")" "$(grep -c '"status":"built"' "$work/reuse.json" || true)" \
	"$(echo "$e - $s" | bc)"
