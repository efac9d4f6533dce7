#!/usr/bin/env bash
# Measures `imagemake watch` on the generated benchmark repository (bench/gen: 30 images, ~100k
# files): the time from a file's write to the start of the first build of the round it causes,
# and the CPU the watcher uses while nothing changes.
#   - latency: BENCH_TRIALS times (default 5), one line appended to a file of the shared folder
#     src/shared/luamods (9 images rebuild), the time of the write taken just before it; the
#     watcher runs with --format json, each of its lines stamped when it arrives; the latency is
#     the stamp of the round's first {"event":"start"} minus the write's. Also the time to its
#     first line (the round's header: the change taken, planned and the run opened).
#   - idle CPU: utime+stime of the watcher (/proc/PID/stat) over BENCH_IDLE seconds (default 30)
#     with nothing changing, after the first round.
# Usage: [BENCH_TRIALS=5] [BENCH_IDLE=30] [BENCH_NICE=N] [BENCH_KEEP=1] [BENCH_DIR=/tmp/imagemake-bench-watch]
#        [BENCH_IM=path] bench/watch.sh [-- gen flags]
#   BENCH_NICE runs the watcher at that niceness (-20..19), e.g. -10 on a machine others load,
#   to measure its own path rather than its wait for a CPU; BENCH_KEEP=1 keeps the images for
#   the next run (whose first round then builds nothing); BENCH_IM measures that binary instead
#   of the checkout's (e.g. one built before a change, for a before/after).
# Prints a Markdown table; the images it makes are removed unless BENCH_KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
[ "${1:-}" = -- ] && shift
export BENCH_DIR=${BENCH_DIR:-/tmp/imagemake-bench-watch}
bench_repo "$@"
im=${BENCH_IM:-$im}
trials=${BENCH_TRIALS:-5}
idle=${BENCH_IDLE:-30}
export DOCKER_REPO=benchwatch DOCKER_TAG=w
out=$work/watch.out
err=$work/watch.err
cd "$work/repo"
changed=$(git ls-files src/shared/luamods | awk 'NR==1')
echo "bench: tree of $(git ls-files | wc -l) files; the changed file: $changed; load: $(cat /proc/loadavg)" >&2

# stamp: each line of stdin prefixed with the time it arrived (bash's clock, no fork per line)
stamp() { while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done; }
rm -f "$out" "$err"
nice -n "${BENCH_NICE:-0}" "$im" watch --format json > >(stamp > "$out") 2> >(stamp > "$err") &
pid=$!
cleanup() {
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	git -C "$work/repo" checkout -q -- . 2>/dev/null || true
	[ "${BENCH_KEEP:-0}" = 1 ] ||
		docker images --format '{{.Repository}}:{{.Tag}}' | grep "^$DOCKER_REPO/" | xargs -r docker rmi -f >/dev/null 2>&1 || true
}
trap cleanup EXIT

# rounds: how many rounds the watcher has ended (its "watching" lines)
rounds() { grep -c 'imagemake: watching' "$err" 2>/dev/null || true; }
wait_rounds() {
	local n=$1
	for _ in $(seq 6000); do
		[ "$(rounds)" -ge "$n" ] && return 0
		kill -0 "$pid" 2>/dev/null || { echo "bench: watch ended; its stderr:" >&2; tail -20 "$err" >&2; exit 1; }
		sleep 0.1
	done
	echo "bench: round $n did not end in 10 minutes" >&2
	exit 1
}
echo "bench: the first round builds every image ..." >&2
wait_rounds 1
sleep 2 # let the engine settle after the builds

cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
c0=$(cpu)
sleep "$idle"
c1=$(cpu)
idle_cpu=$(echo "scale=3; ($c1 - $c0) / $hz" | bc)
threads=$(awk '/^Threads/ {print $2}' "/proc/$pid/status")
rss=$(awk '/^VmRSS/ {print $2 / 1024}' "/proc/$pid/status")
watches=$(cat /proc/$pid/fdinfo/* 2>/dev/null | grep -c '^inotify' || true)

lat=() head=()
for t in $(seq "$trials"); do
	lines=$(wc -l < "$out")
	w=$EPOCHREALTIME
	printf -- '-- watch bench %s %s\n' "$t" "$w" >> "$changed"
	wait_rounds $((t + 1))
	# awk reads the file itself: a pipe from tail into an awk that exits early fails (SIGPIPE)
	first=$(awk -v n="$lines" 'NR > n {print $1; exit}' "$out")
	start=$(awk -v n="$lines" 'NR > n && /"event":"start"/ {print $1; exit}' "$out")
	built=$(awk -v n="$lines" 'NR > n && /"status":"built"/ {c++} END {print c + 0}' "$out")
	lat+=("$(echo "($start - $w) * 1000" | bc)")
	head+=("$(echo "($first - $w) * 1000" | bc)")
	echo "bench: trial $t: first line $(printf '%.1f' "${head[-1]}") ms, first build start $(printf '%.1f' "${lat[-1]}") ms, $built images built; load $(cut -d' ' -f1 /proc/loadavg)" >&2
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "| imagemake watch, $(git ls-files | wc -l) files, 30 images, niceness ${BENCH_NICE:-0}, load $(cut -d' ' -f1 /proc/loadavg) | value |"
echo "|---|---|"
printf '| write → the round'"'"'s first line (median of %d) | %.1f ms |\n' "$trials" "$(median "${head[@]}")"
printf '| write → the first build starts (median of %d; min %.1f, max %.1f) | %.1f ms |\n' "$trials" \
	"$(printf '%s\n' "${lat[@]}" | sort -n | head -1)" "$(printf '%s\n' "${lat[@]}" | sort -n | tail -1)" "$(median "${lat[@]}")"
printf '| CPU while idle, %d s (utime+stime) | %s s |\n' "$idle" "$idle_cpu"
printf '| inotify watches · threads · RSS while idle | %s · %s · %.0f MB |\n' "$watches" "$threads" "$rss"
