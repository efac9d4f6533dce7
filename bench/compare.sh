#!/usr/bin/env bash
# Times imagemake against the Makefile it replaces (bench/makefile) and against the previous
# imagemake binary (the Engine API's /build, the context as one tar), on the generated benchmark
# repository (bench/gen), in one run on one engine, both tools with -j 4:
#   the Makefile's dependency scan alone (its finds) · git status · imagemake plan ·
#   per round and tool: a full build from a cold cache, the no-op (median of 3), a change to one
#   file of the shared folder src/shared/luamods (9 images rebuild).
# Usage: [BENCH_ROUNDS=3] [BENCH_PRUNE=0] bench/compare.sh [OLD_COMMIT] [-- gen flags]
#   OLD_COMMIT: the binary measured beside (default: the commit before "One build path", the
#   last one with the /build tar path).
# Each round gives each tool a fresh clone of the tree (new files times, no .build/ sentinels)
# and a line of its own in the base images' Dockerfiles (new cache keys for every image): every
# image is built again. The contexts are cold in round 1 only, for a new $BENCH_DIR: from round
# 2 on, the builder already holds what an earlier clone sent, as a CI runner's engine does —
# imagemake's shared key names the repository (its remote) and a file's stat is drawn from its
# content, and the previous binary's context tars are the same bytes for the same files, which
# the engine keeps by digest; make's tars carry the disk's times and never match. The tools' runs are interleaved, the order rotated each round, so the load of
# this shared machine falls on all of them; each row carries the load average before and after.
# The whole build cache is pruned once at the start, under a time limit (BENCH_PRUNE=0: not).
# Prints Markdown tables; docs/benchmarks.md keeps the figures. The images it makes are removed.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
for tool in make bc jq; do
	command -v $tool >/dev/null || apt-get install -y -qq $tool >/dev/null
done
old=${1:-$(git log --format=%H -1 --grep='^One build path: the Docker engine through its own BuildKit')^}
[ "${1:-}" ] && shift
[ "${1:-}" = -- ] && shift
top=$PWD
work=${BENCH_DIR:-/tmp/imagemake-bench-compare}
rounds=${BENCH_ROUNDS:-3}
rm -rf "$work" && mkdir -p "$work/bin"
new=$(git rev-parse HEAD)
git worktree add -q --detach "$work/old" "$old"
git worktree add -q --detach "$work/new" "$new" # what is committed, not the edits in progress
trap 'git -C "$top" worktree remove --force "$work/old"; git -C "$top" worktree remove --force "$work/new"' EXIT
(cd "$work/old" && go build -o "$work/bin/old" ./cmd/imagemake)
(cd "$work/new" && go build -o "$work/bin/new" ./cmd/imagemake)
go run ./bench/gen -out "$work/repo" "$@" >&2
(cd "$work/repo" && printf '.build/\n.imagemake/\n' > .gitignore &&
	(cd "$top" && go run ./bench/makefile -C "$work/repo") > Makefile &&
	git init -q && git add -A && git -c user.email=b@b -c user.name=bench commit -qm gen)

load() { cut -d' ' -f1 /proc/loadavg; }
# timed CMD...: "seconds load-before load-after" of one run
timed() {
	local l=$(load) s
	s=$(seconds "$@")
	echo "$s $l $(load)"
}
median3() { sort -n | awk '{a[NR]=$1} END {print a[2]}'; }

if [ "${BENCH_PRUNE:-1}" = 1 ]; then
	echo "bench: pruning the engine's build cache once (at most 180 s) ..." >&2
	timeout 180 /usr/bin/docker builder prune -af >/dev/null ||
		echo "bench: the prune did not finish in 180 s; going on (every cold run has fresh cache keys anyway)" >&2
fi

cd "$work/repo"
changed=$(git ls-files src/shared/luamods | awk 'NR==1')
echo "tree: $(git ls-files | wc -l) files; changed file: $changed; old binary: $(git -C "$top" rev-parse --short "$old"); new: $(git -C "$top" rev-parse --short "$new")" >&2
echo "engine: $(/usr/bin/docker version --format '{{.Server.Version}}'); $(nproc) cores; load at start: $(cat /proc/loadavg)" >&2

# The Makefile's dependency scan by itself: its finds, run as make runs them (sh -c, one per rule).
fexcl=$(sed -n 's/^FEXCL := //p' Makefile)
grep -o 'shell find [^$]*' Makefile | sed "s/^shell //; s/\$/ $(printf '%s' "$fexcl" | sed 's/[\\&/]/\\&/g')/" > "$work/finds.sh"
scans=$(for _ in 1 2 3; do seconds sh "$work/finds.sh"; done | median3)
gits=$(for _ in 1 2 3; do seconds git status; done | median3)
"$work/bin/new" plan >/dev/null 2>&1
plans=$(for _ in 1 2 3; do seconds "$work/bin/new" plan; done | median3)
echo "| the scans (median of 3) | time |"
echo "|---|---|"
printf '| the Makefile'"'"'s %d finds alone (%d paths) | %.2f s |\n' "$(wc -l < "$work/finds.sh")" "$(sh "$work/finds.sh" | wc -l)" "$scans"
printf '| git status | %.2f s |\n| imagemake plan (stat cache warm) | %.2f s |\n\n' "$gits" "$plans"

# round R TOOL: one tool's full build, no-op and shared-file change in a fresh clone
round() {
	local r=$1 tool=$2 dir=$work/r$1-$2 cmd df
	git clone -q "$work/repo" "$dir"
	cd "$dir"
	for df in $(git ls-files '*Dockerfile' | xargs grep -l '^FROM scratch'); do
		echo "RUN [\"/bin/busybox\", \"echo\", \"$r $tool $(date +%s%N)\"]" >> "$df"
	done
	export DOCKER_REPO=cmp$r$tool DOCKER_TAG=bench
	case $tool in
	make) cmd=(make -j 4) ;;
	*) cmd=("$work/bin/$tool" build -j 4) && "$work/bin/$tool" plan >/dev/null 2>&1 || true ;; # stat cache warm, as a checkout's
	esac
	local full noop change
	full=$(timed "${cmd[@]}")
	noop=$(for _ in 1 2 3; do seconds "${cmd[@]}"; done | median3)
	echo "-- changed" >> "$changed"
	change=$(timed "${cmd[@]}")
	set -- $full
	printf '| %s | %s | %.1f s | %s→%s | %.2f s |' "$r" "$tool" "$1" "$2" "$3" "$noop"
	set -- $change
	printf ' %.1f s | %s→%s |\n' "$1" "$2" "$3"
	/usr/bin/docker images --format '{{.Repository}}:{{.Tag}}' | grep "^$DOCKER_REPO/" | xargs -r /usr/bin/docker rmi -f >/dev/null
	cd "$work" && rm -rf "$dir"
}

echo "| round | tool | full build | load | no-op (median of 3) | one shared file changed | load |"
echo "|---|---|---|---|---|---|---|"
tools=(make new old)
for r in $(seq "$rounds"); do
	for i in 0 1 2; do
		round "$r" "${tools[$(((i + r - 1) % 3))]}"
	done
done
