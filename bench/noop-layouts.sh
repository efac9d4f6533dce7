#!/usr/bin/env bash
# Times the no-op `imagemake plan` and `imagemake build` against `git status` on the generated
# benchmark repository (bench/gen, 30 images, 100,000 files) in its two layouts, with
# hyperfine, in one run:
#   folder  a folder per service, its shared folder brought in with include: (COPY . /app);
#   root    the repository root as every image's context, -f services/svcNN/Dockerfile, the
#           COPY lines naming the service's folder and its shared folder (gen -root-context).
# The images of each layout are built first (DOCKER_REPO=benchfolder or benchroot,
# DOCKER_TAG=bench), so that `build` has nothing to do; every command runs through env(1),
# git's too, so that they pay the same.
# Usage: bench/noop-layouts.sh [hyperfine flags, e.g. -r 30]   (BENCH_DIR: where the trees go)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
work=${BENCH_DIR:-/tmp/imagemake-bench}/layouts
im=$PWD/bin/imagemake
go build -o "$im" ./cmd/imagemake
cmds=()
for layout in folder root; do
	dir=$work/$layout
	if [ ! -d "$dir/.git" ]; then
		rm -rf "$dir"
		flags=()
		[ "$layout" = root ] && flags=(-root-context)
		go run ./bench/gen -out "$dir" "${flags[@]}" >&2
		(cd "$dir" && git init -q && git add -A && git -c user.email=b@b -c user.name=bench commit -qm gen)
	fi
	run="env DOCKER_REPO=bench$layout DOCKER_TAG=bench"
	$run "$im" -C "$dir" build -j 2 >/dev/null # the images, and a warm stat cache
	$run "$im" -C "$dir" plan -v 2>&1 >/dev/null | sed "s/^imagemake: /$layout: /" >&2
	cmds+=("$run git -C $dir status" "$run $im -C $dir plan" "$run $im -C $dir build")
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
hyperfine -N -w 5 "$@" "${cmds[@]}"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
