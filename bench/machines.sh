#!/usr/bin/env bash
# Times issue 14's CI story on the generated benchmark repository (bench/gen, 30 images) with two
# Docker engines and a registry on loopback between them, against the Makefile it replaces:
#   1. commit 1 on engine A (the default socket): `imagemake build --push -j 4`, CI=true (the tag
#      is the commit's short hash), DOCKER_REPO on the registry: every image built and pushed;
#   2. per round, a commit 2 on top of commit 1 changing one file of the shared folder
#      src/shared/luamods (the images that include it, 9 of 30, have new inputs), then on engine B
#      (scripts/engine2.sh) from a fresh clone of it (new mtimes, no .imagemake/, no .build/):
#        - imagemake: `imagemake build --push -j 4`, CI=true: its JSON result events counted
#          (built, reused, other);
#        - make: `make -j 4` (bench/makefile's Makefile, committed with the tree) as a plain CI
#          job runs it: it rebuilds all 30 (and pushes nothing).
#      Both start from the same engine B state: none of the benchmark's images, and its build
#      cache pruned (`docker builder prune -af` on engine B) just before the run. Each round's
#      commit 2 appends its own line, so a round never finds the previous round's images.
#      The two tools alternate which goes first from round to round; each row carries the load
#      average before and after (the machine is shared).
# Usage: [BENCH_ROUNDS=3] [BENCH_DIR=/tmp/imagemake-bench-machines] [BENCH_REGISTRY_PORT=5061]
#        bench/machines.sh [gen flags]   (default: bench/gen's -images 30 -files 100000)
# Prints Markdown tables. At the end it removes the images it made on both engines, prunes engine
# B's build cache, stops its registry and deletes the registry's storage.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/engine.sh
. scripts/engine2.sh
. bench/lib.sh
for tool in make bc jq; do
	command -v $tool >/dev/null || apt-get install -y -qq $tool >/dev/null
done
top=$PWD
work=${BENCH_DIR:-/tmp/imagemake-bench-machines}
rounds=${BENCH_ROUNDS:-3}
port=${BENCH_REGISTRY_PORT:-5061}
hostB=$IMAGEMAKE_ENGINE_B
reg=127.0.0.1:$port/machines
im=$work/bin/imagemake
unset DOCKER_HOST DOCKER_TAG

rm -rf "$work" && mkdir -p "$work/bin" "$work/clones"
git worktree add -q --detach "$work/src" HEAD # what is committed, not the edits in progress
(cd "$work/src" && go build -o "$im" ./cmd/imagemake)
git worktree remove --force "$work/src"
go run ./bench/gen -out "$work/repo" "$@" >&2
# A line of this run's own in the base images' Dockerfiles: new cache keys for every image, so
# commit 1 is a full build on engine A whatever an earlier run left there.
(cd "$work/repo" && printf '.build/\n.imagemake/\n' > .gitignore &&
	for df in $(find . -name '*Dockerfile' -exec grep -l '^FROM scratch' {} +); do
		echo "RUN [\"/bin/busybox\", \"echo\", \"machines $(date +%s%N)\"]" >> "$df"
	done &&
	(cd "$top" && go run ./bench/makefile -C "$work/repo") > Makefile &&
	git init -q -b main && git add -A && git -c user.email=b@b -c user.name=bench commit -qm "commit 1")

dockerA() { DOCKER_HOST= /usr/bin/docker "$@"; }
dockerB() { DOCKER_HOST=$hostB /usr/bin/docker "$@"; }
# mine ENGINE: the IDs of the benchmark's images on that engine (the registry's repo, the make
# runs' mach*), untagged ones included
mine() { "$1" images --format '{{.Repository}} {{.ID}}' | awk -v r="^($reg|mach[0-9]+)/" '$1 ~ r {print $2}' | sort -u; }
clear_b() {
	mine dockerB | xargs -r /usr/bin/docker -H "$hostB" rmi -f >/dev/null
	timeout 180 /usr/bin/docker -H "$hostB" builder prune -af >/dev/null ||
		echo "bench: engine B's build cache prune did not finish in 180 s" >&2
}
cleanup() {
	set +e
	mine dockerA | xargs -r /usr/bin/docker rmi -f >/dev/null
	clear_b
	kill "$registry_pid" 2>/dev/null
	wait "$registry_pid" 2>/dev/null
	rm -rf "$work/registry" "$work/clones"
}
start_registry "$work/registry" "$port"
trap cleanup EXIT

load() { cut -d' ' -f1 /proc/loadavg; }
# counts FILE: "built reused other" of the result events of a --format json run
counts() {
	jq -r 'select(.event=="result") | .status' "$1" |
		awk '{n[$1]++} END {printf "%d %d %d\n", n["built"], n["reused"], NR - n["built"] - n["reused"]}'
}

cd "$work/repo"
changed=$(git ls-files src/shared/luamods | awk 'NR==1')
c1=$(git rev-parse --short=12 HEAD)
echo "tree: $(git ls-files | wc -l) files; changed file: $changed; imagemake at $(git -C "$top" rev-parse --short HEAD)" >&2
echo "engines: A $(dockerA version --format '{{.Server.Version}}'), B $(dockerB version --format '{{.Server.Version}}'); $(nproc) cores; load at start: $(cat /proc/loadavg)" >&2

l=$(load) s=$(now)
env CI=true DOCKER_REPO="$reg" "$im" build --push -j 4 --format json > "$work/a.json" 2> "$work/a.err" ||
	{ tail -20 "$work/a.err" >&2; exit 1; }
e=$(now)
set -- $(counts "$work/a.json")
echo "| step | time | built | reused | load before→after |"
echo "|---|---|---|---|---|"
printf '| commit 1 (%s) on engine A: imagemake build --push -j 4 | %.1f s | %s | %s | %s→%s |\n\n' \
	"$c1" "$(echo "$e - $s" | bc)" "$1" "$2" "$l" "$(load)"

# run R TOOL: one tool's run on engine B from a fresh clone of round R's commit 2
run() {
	local r=$1 tool=$2 dir=$work/clones/r$1-$2 l s e c2 t
	clear_b
	git clone -q -b "round$r" "$work/repo" "$dir"
	cd "$dir"
	c2=$(git rev-parse --short=12 HEAD)
	l=$(load) s=$(now)
	case $tool in
	imagemake)
		env CI=true DOCKER_HOST="$hostB" DOCKER_REPO="$reg" "$im" build --push -j 4 --format json \
			> "$work/r$r.json" 2> "$work/r$r.err" || { tail -20 "$work/r$r.err" >&2; exit 1; }
		e=$(now)
		set -- $(counts "$work/r$r.json")
		;;
	make)
		env DOCKER_HOST="$hostB" DOCKER_REPO="mach$r" DOCKER_TAG="$c2" make -j 4 > "$work/r$r-make.log" 2>&1 ||
			{ tail -20 "$work/r$r-make.log" >&2; exit 1; }
		e=$(now)
		set -- "$(ls .build | wc -l)" 0 0
		;;
	esac
	t=$(echo "$e - $s" | bc)
	echo "$tool $t $1 $2" >> "$work/rows"
	printf '| %s | %s | %s | %.1f s | %s | %s | %s→%s |\n' "$r" "$c2" "$tool" "$t" "$1" "$2" "$l" "$(load)"
	cd "$work" && rm -rf "$dir"
}

echo "| round | commit 2 | tool (engine B, fresh clone) | time | built | reused | load before→after |"
echo "|---|---|---|---|---|---|---|"
tools=(make imagemake)
for r in $(seq "$rounds"); do
	cd "$work/repo"
	git checkout -q -b "round$r" "$c1"
	echo "-- changed in round $r, $(date +%s%N)" >> "$changed"
	git -c user.email=b@b -c user.name=bench commit -qam "commit 2, round $r: $changed"
	for i in 0 1; do
		run "$r" "${tools[$(((i + r - 1) % 2))]}"
	done
done
echo "load at the end: $(cat /proc/loadavg)" >&2

# median TOOL COLUMN: the median of that column of the tool's rows
median() { awk -v t="$1" -v c="$2" '$1 == t {print $c}' "$work/rows" | sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
echo
echo "| engine B, fresh clone of commit 2 ($rounds rounds, median) | time | built | reused |"
echo "|---|---|---|---|"
for tool in make imagemake; do
	printf '| %s | %.1f s | %s | %s |\n' "$tool" "$(median $tool 2)" "$(median $tool 3)" "$(median $tool 4)"
done
