#!/usr/bin/env bash
# Times the full build of the generated benchmark repository (bench/gen, 30 images) on standalone
# BuildKit daemons: one daemon, then a pool of two, on this same machine, each run with fresh
# daemons (empty cache) and its own registry namespace (nothing to reuse), pushing to Debian's
# docker-registry on loopback, -B so every image builds. The Docker engine row is the same build
# through the Engine API (its build cache pruned first).
# Usage: bench/buildkit.sh [gen flags]   (reuses $BENCH_DIR/repo when bench/compare.sh made it)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/engine.sh
. scripts/buildkitd.sh
. bench/lib.sh
bench_repo "$@"

port=${BENCH_REGISTRY_PORT:-5056}
bk=$work/buildkit
rm -rf "$bk" && mkdir -p "$bk"
cat > "$bk/buildkitd.toml" <<CFG
[worker.containerd]
  enabled = false
[worker.oci]
  enabled = true
[registry."127.0.0.1:$port"]
  http = true
  insecure = true
CFG
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done' EXIT
start_registry "$bk/registry" "$port"
pids+=("$registry_pid")

# daemon NAME PORT: starts a buildkitd with an empty root, waits until it answers
daemon() {
	"$IMAGEMAKE_BUILDKITD/buildkitd" --config "$bk/buildkitd.toml" --root "$bk/$1" \
		--addr "tcp://127.0.0.1:$2" --addr "unix://$bk/$1.sock" --oci-worker-net=host > "$bk/$1.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do
		"$IMAGEMAKE_BUILDKITD/buildctl" --addr "tcp://127.0.0.1:$2" debug workers >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "bench: buildkitd $1 did not start; its log:" >&2 && tail "$bk/$1.log" >&2 && exit 1
}
# timed LABEL NAMESPACE ARGS...: one full build pushing to 127.0.0.1:$port/NAMESPACE
timed() {
	local label=$1 ns=$2 s e
	shift 2
	rm -rf .imagemake
	export DOCKER_REPO=127.0.0.1:$port/$ns DOCKER_TAG=bench
	s=$(now)
	if ! "$im" build -B --push --format json "$@" > "$bk/$ns.json" 2> "$bk/$ns.err"; then
		echo "bench: $label failed" >&2 && tail -5 "$bk/$ns.err" >&2 && exit 1
	fi
	e=$(now)
	printf '| %s (%s built) | %.1f s |\n' "$label" "$(grep -c '"status":"built"' "$bk/$ns.json")" "$(echo "$e - $s" | bc)"
}

cd "$work/repo"
echo "| what | time |"
echo "|---|---|"
/usr/bin/docker builder prune -af >/dev/null
timed "Docker engine, -j 4" engine -j 4
daemon one 7301
timed "one buildkitd, -j 4" one -j 4 --builder tcp://127.0.0.1:7301
daemon one8 7306
timed "one buildkitd, -j 8" oneeight -j 8 --builder tcp://127.0.0.1:7306
daemon two-a 7302
daemon two-b 7303
timed "two buildkitd, -j 2 each (4 at once)" two -j 2 --builder tcp://127.0.0.1:7302 --builder tcp://127.0.0.1:7303
daemon two-c 7304
daemon two-d 7305
timed "two buildkitd, -j 4 each (8 at once)" twobig -j 4 --builder tcp://127.0.0.1:7304 --builder tcp://127.0.0.1:7305
grep -h '"line":"builder: ' "$bk/twobig.json" | sed 's/.*builder: \([^"]*\)".*/\1/' | sort | uniq -c |
	sed 's/^/images per builder (8 at once): /' >&2
