#!/usr/bin/env bash
# Times imagemake against the Makefile it replaces (bench/makefile) and against `git status`, on
# the generated benchmark repository (bench/gen), in one run on one engine:
#   git status · imagemake plan (first run, no-op) · full build, no-op and one changed shared
#   file with make -j 4 and with imagemake -j 4 · a fresh clone with make and with imagemake.
# Usage: bench/compare.sh [gen flags, e.g. -images 30 -files 100000]
# Prints a Markdown table; docs/benchmarks.md keeps the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
. scripts/engine.sh
for tool in make bc jq; do
	command -v $tool >/dev/null || apt-get install -y -qq $tool >/dev/null
done
top=$PWD
work=${BENCH_DIR:-/tmp/imagemake-bench}
im=$top/bin/imagemake
runs=${BENCH_RUNS:-5}
go build -o "$im" ./cmd/imagemake
rm -rf "$work" && mkdir -p "$work"
go run ./bench/gen -out "$work/repo" "$@" >&2
cd "$work/repo"
printf '.build/\n.imagemake/\n' > .gitignore
(cd "$top" && go run ./bench/makefile -C "$work/repo") > Makefile
git init -q && git add -A && git -c user.email=b@b -c user.name=bench commit -qm gen
files=$(git ls-files | wc -l)
changed=$(git ls-files src/shared/luamods | awk 'NR==1')

# median CMD...: median of $runs timed runs
median() {
	local i
	for i in $(seq "$runs"); do seconds "$@"; done | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
prune() { /usr/bin/docker builder prune -af >/dev/null; }
row() { printf '| %s | %.3f s |\n' "$1" "$2"; }

echo "tree: $files files, $(git ls-files '*Dockerfile' | wc -l) Dockerfiles; changed file: $changed" >&2
echo "| what | time |"
echo "|---|---|"
row "git status (median of $runs)" "$(median git status)"
export DOCKER_TAG=bench
export DOCKER_REPO=benchim
"$im" clean >/dev/null 2>&1 || true
row "imagemake plan, first run (empty stat cache)" "$(seconds "$im" plan)"
row "imagemake plan, no-op (median of $runs)" "$(median "$im" plan)"
"$im" plan -v 2>&1 >/dev/null | sed 's/^imagemake: /no-op plan: /' >&2
echo "edges in ls --json: $("$im" ls --json | jq '[.images[].depends_on | length] | add')" >&2

export DOCKER_REPO=benchmk
prune
row "make -j 4: full build" "$(seconds make -j 4)"
row "make -j 4: no-op (median of $runs)" "$(median make -j 4)"
echo "-- changed" >> "$changed"
row "make -j 4: one shared file changed" "$(seconds make -j 4)"
git checkout -q -- "$changed"
rm -rf .build

export DOCKER_REPO=benchim
prune
row "imagemake build -j 4: full build" "$(seconds "$im" build -j 4)"
row "imagemake build -j 4: no-op (median of $runs)" "$(median "$im" build -j 4)"
echo "-- changed" >> "$changed"
row "imagemake build -j 4: one shared file changed" "$(seconds "$im" build -j 4)"
git checkout -q -- "$changed"

# A fresh clone: new timestamps everywhere, no .build/, no .imagemake/.
git clone -q "$work/repo" "$work/clone"
cd "$work/clone"
export DOCKER_REPO=benchmk
row "fresh clone: make -j 4 (rebuilds everything)" "$(seconds make -j 4)"
export DOCKER_REPO=benchim
row "fresh clone: imagemake build -j 4 (first run, empty stat cache)" "$(seconds "$im" build -j 4)"
"$im" build -j 4 --output json | grep -c '"status":"up-to-date"' | sed 's/^/fresh clone: up-to-date images: /' >&2
