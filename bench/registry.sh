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
top=$PWD
work=${BENCH_DIR:-/tmp/imagemake-bench}
im=$top/bin/imagemake
go build -o "$im" ./cmd/imagemake
if [ ! -d "$work/repo/.git" ]; then
	rm -rf "$work" && mkdir -p "$work"
	go run ./bench/gen -out "$work/repo" "$@" >&2
	(cd "$work/repo" && printf '.build/\n.imagemake/\n' > .gitignore && git init -q && git add -A &&
		git -c user.email=b@b -c user.name=bench commit -qm gen)
fi

port=${BENCH_REGISTRY_PORT:-5055}
reg=$work/registry
rm -rf "$reg" && mkdir -p "$reg/data"
cat > "$reg/config.yml" <<CFG
version: 0.1
storage: {filesystem: {rootdirectory: $reg/data}}
http: {addr: 127.0.0.1:$port}
CFG
docker-registry serve "$reg/config.yml" > "$reg/log" 2>&1 &
regpid=$!
trap 'kill $regpid 2>/dev/null' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done

now() { date +%s.%N; }
export DOCKER_REPO=127.0.0.1:$port/bench DOCKER_TAG=first
cd "$work/repo"
s=$(now); "$im" build --push -j 4 > "$work/push.log" 2>&1; e=$(now)
printf '| machine A: imagemake build --push -j 4 (full build + push) | %.1f s |\n' "$(echo "$e - $s" | bc)"

rm -rf "$work/ci-clone" && git clone -q "$work/repo" "$work/ci-clone"
/usr/bin/docker images --format '{{.Repository}}:{{.Tag}}' | grep "^127.0.0.1:$port/bench/" | xargs -r /usr/bin/docker rmi -f > /dev/null
cd "$work/ci-clone"
export DOCKER_TAG=second
s=$(now); "$im" build --push -j 4 --output json > "$work/reuse.json"; e=$(now)
printf '| fresh clone, new tag: imagemake build --push (%s reused, %s built) | %.2f s |\n' \
	"$(grep -c '"status":"reused"' "$work/reuse.json")" "$(grep -c '"status":"built"' "$work/reuse.json" || true)" \
	"$(echo "$e - $s" | bc)"
