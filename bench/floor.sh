#!/usr/bin/env bash
# The floor of a build on this engine: what the engine spends on the benchmark's Dockerfiles when
# no context file has to travel, against make and imagemake in the same run (bench/compare.sh's
# tree, fresh clones, cold cache keys, -j 4).
#   make: full build, one shared file changed (9 images)
#   imagemake: full build, one shared file changed, then the two floors, with every context
#   already on the builder: the 9 images again with `COPY . /app` spelled `COPY . /app/` (same
#   files, a new cache key: the COPY runs again, nothing is sent), and all 30 again after a
#   line appended to the base images (new bases, every COPY runs again, nothing is sent).
# A tool that sends nothing at all cannot go below the floors: they are the engine's own
# steps (`COPY . /app`, RUN, the export into the image store) on the same cores.
# Usage: BENCH_BIN=FILE BENCH_REPO=DIR bench/floor.sh   (BENCH_REPO: bench/compare.sh's $BENCH_DIR/repo)
set -euo pipefail
im=${BENCH_BIN:?the imagemake binary}
repo=${BENCH_REPO:?the generated repository, committed, with its Makefile (bench/compare.sh makes one)}
work=${BENCH_DIR:-/tmp/imagemake-bench-floor}
rm -rf "$work" && mkdir -p "$work"
load() { cut -d' ' -f1 /proc/loadavg; }
# timed LABEL CMD...: one row: label, wall seconds, load before→after
timed() {
	local label=$1 l=$(load) s e
	shift
	s=$(date +%s.%N)
	"$@" > "$work/last.log" 2>&1 || { tail -20 "$work/last.log" >&2; exit 1; }
	e=$(date +%s.%N)
	printf '| %s | %.1f s | %s→%s |\n' "$label" "$(echo "$e - $s" | bc)" "$l" "$(load)"
}
# clone TOOL: a fresh clone with cold cache keys (a line of its own in the base images)
clone() {
	local dir=$work/$1 df
	git clone -q "$repo" "$dir"
	cd "$dir"
	for df in $(git ls-files '*Dockerfile' | xargs grep -l '^FROM scratch'); do
		echo "RUN [\"/bin/busybox\", \"echo\", \"floor $1 $(date +%s%N)\"]" >> "$df"
	done
	export DOCKER_REPO=floor$1 DOCKER_TAG=bench
}
changed=src/shared/luamods/pkg00/mod00/file00.lua
# the services that include src/shared/luamods
users=$(awk '/^  [a-z0-9]+:$/ {img=$1; sub(":", "", img)} /- src\/shared\/luamods/ {print img}' "$repo/imagemake.yaml")

echo "| what | wall | load |"
echo "|---|---|---|"
clone make
timed "make -j 4: full build (30)" make -j 4
echo "-- changed" >> $changed
timed "make -j 4: one shared file changed ($(echo $users | wc -w))" make -j 4

clone new
"$im" plan > /dev/null 2>&1 || true
timed "imagemake: full build (30)" "$im" build -j 4
echo "-- changed" >> $changed
timed "imagemake: one shared file changed ($(echo $users | wc -w))" "$im" build -j 4
for s in $users; do sed -i 's#^COPY \. /app$#COPY . /app/#' "services/$s/Dockerfile"; done
timed "floor: the same $(echo $users | wc -w) images, nothing to send" "$im" build -j 4
for df in $(git ls-files '*Dockerfile' | xargs grep -l '^FROM scratch'); do
	echo "RUN [\"/bin/busybox\", \"echo\", \"floor again $(date +%s%N)\"]" >> "$df"
done
timed "floor: all 30 images, nothing to send" "$im" build -j 4
for tool in make new; do
	/usr/bin/docker images --format '{{.Repository}}:{{.Tag}}' | grep "^floor$tool/" | xargs -r /usr/bin/docker rmi -f > /dev/null
done
cd / && rm -rf "$work"
