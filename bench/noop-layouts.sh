#!/usr/bin/env bash
# Times the no-op `imagemake plan` against `git status` on the generated benchmark repository
# (bench/gen, 30 images, 100,000 files) in its two layouts, with hyperfine, in one run:
#   folder  a folder per service, its shared folder brought in with include: (COPY . /app);
#   root    the repository root as every image's context, -f services/svcNN/Dockerfile, the
#           COPY lines naming the service's folder and its shared folder (gen -root-context).
# Usage: bench/noop-layouts.sh [hyperfine flags]   (BENCH_DIR: where the trees go)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
work=${BENCH_DIR:-/tmp/imagemake-bench}/layouts
im=$PWD/bin/imagemake
go build -o "$im" ./cmd/imagemake
for layout in folder root; do
	dir=$work/$layout
	if [ ! -d "$dir/.git" ]; then
		rm -rf "$dir"
		flags=()
		[ "$layout" = root ] && flags=(-root-context)
		go run ./bench/gen -out "$dir" "${flags[@]}" >&2
		(cd "$dir" && git init -q && git add -A && git -c user.email=b@b -c user.name=bench commit -qm gen)
	fi
	export DOCKER_REPO=benchim DOCKER_TAG=bench
	"$im" -C "$dir" plan >/dev/null 2>&1 || true # fills the stat cache
	"$im" -C "$dir" plan -v 2>&1 >/dev/null | sed "s/^imagemake: /$layout: /" >&2
done
hyperfine -N -w 3 "$@" \
	"git -C $work/folder status" "$im -C $work/folder plan" \
	"git -C $work/root status" "$im -C $work/root plan"
