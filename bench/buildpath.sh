#!/usr/bin/env bash
# Times the build path on the Docker engine: the previous binary's Engine API /build (the
# context as one tar) against the engine's own BuildKit through the session, on the generated
# 30-image benchmark repository (bench/gen), in one run on one engine: a full build, a no-op and
# a change to one file of a shared folder (9 images), each with -j 4.
# Usage: [BENCH_ORDER="new old"] bench/buildpath.sh [BASE_COMMIT]   (default: the commit
# before the new path; BENCH_ORDER: which binary runs first, default "old new")
# Each variant builds cold without pruning anyone's cache: a line of its own in the base images'
# Dockerfiles gives every image new cache keys. The images it makes are removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
base=${1:-$(git log --format=%H -1 --grep='^One build path: the Docker engine through its own BuildKit')^}
top=$PWD
work=${BENCH_DIR:-/tmp/imagemake-bench-buildpath}
rm -rf "$work" && mkdir -p "$work/bin"
git worktree add -q --detach "$work/old" "$base"
trap 'git -C "$top" worktree remove --force "$work/old"' EXIT
(cd "$work/old" && go build -o "$work/bin/imagemake-old" ./cmd/imagemake)
go build -o "$work/bin/imagemake-new" ./cmd/imagemake
go run ./bench/gen -out "$work/repo" >&2
cd "$work/repo"
printf '.build/\n.imagemake/\n' > .gitignore
git init -q && git add -A && git -c user.email=b@b -c user.name=bench commit -qm gen
changed=$(git ls-files src/shared/luamods | awk 'NR==1')
bases=$(git ls-files '*Dockerfile' | xargs grep -l '^FROM scratch')

export DOCKER_TAG=bench
echo "| build path | full build | no-op | one shared file changed (9 images) |"
echo "|---|---|---|---|"
for variant in ${BENCH_ORDER:-old new}; do
	bin=$work/bin/imagemake-$variant
	export DOCKER_REPO=bp$variant
	for df in $bases; do echo "RUN [\"/bin/busybox\", \"echo\", \"$variant $(date +%s%N)\"]" >> "$df"; done
	"$bin" clean >/dev/null 2>&1 || true
	"$bin" plan >/dev/null 2>&1 || true # the stat cache warm for both, as in compare.sh
	full=$(seconds "$bin" build -j 4)
	noop=$(seconds "$bin" build -j 4)
	echo "-- changed" >> "$changed"
	change=$(seconds "$bin" build -j 4)
	git checkout -q -- "$changed" $bases
	label=$([ $variant = old ] && echo "Engine API /build, context tar ($(git -C "$top" rev-parse --short "$base"))" || echo "engine's BuildKit, session ($(git -C "$top" rev-parse --short HEAD))")
	printf '| %s | %.1f s | %.2f s | %.1f s |\n' "$label" "$full" "$noop" "$change"
	docker images --format '{{.Repository}}:{{.Tag}}' | grep "^$DOCKER_REPO/" | xargs -r docker rmi -f >/dev/null
done
