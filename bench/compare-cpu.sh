#!/usr/bin/env bash
# One more round after bench/compare.sh: each tool's full build and shared-file change in a fresh
# clone with cold cache keys, with the CPU the tool (and its children: make's shells, tars and
# docker clients) and the engine (dockerd, which also counts other builds of those minutes) used.
# Usage: BENCH_BIN=DIR BENCH_REPO=DIR [TOOLS="new make old"] bench/compare-cpu.sh
set -euo pipefail
work=${BENCH_DIR:-/tmp/imagemake-bench-cpu}
bin=${BENCH_BIN:?the folder holding the binaries new and old (bench/compare.sh builds them in $BENCH_DIR/bin)}
repo=${BENCH_REPO:?the generated repository, committed, with its Makefile}
mkdir -p $work
dpid=$(cat /var/run/docker.pid)
dcpu() { awk '{print ($14+$15)/100}' /proc/$dpid/stat; }
load() { cut -d' ' -f1 /proc/loadavg; }
# run LABEL CMD...: wall, tool CPU (user+sys incl. children), dockerd CPU
run() {
	local label=$1; shift
	local l0=$(load) d0=$(dcpu) s=$(date +%s.%N)
	/usr/bin/time -f '%U %S' -o $work/t "$@" > $work/log 2>&1 || { tail $work/log; exit 1; }
	local e=$(date +%s.%N) d1=$(dcpu)
	read u sy < $work/t
	printf '%s | %.1f s | %.1f s | %.1f s | %s→%s\n' "$label" "$(echo "$e - $s" | bc)" "$(echo "$u + $sy" | bc)" "$(echo "$d1 - $d0" | bc)" "$l0" "$(load)"
}
changed=src/shared/luamods/pkg00/mod00/file00.lua
for tool in ${TOOLS:-new make old}; do
	dir=$work/c-$tool; rm -rf $dir; git clone -q $repo $dir; cd $dir
	for df in images/pybase/Dockerfile images/luabase/Dockerfile; do echo "RUN [\"/bin/busybox\", \"echo\", \"cpu $tool $(date +%s%N)\"]" >> $df; done
	export DOCKER_REPO=cpu$tool DOCKER_TAG=bench
	case $tool in make) cmd=(make -j 4);; *) cmd=($bin/$tool build -j 4); $bin/$tool plan >/dev/null 2>&1 || true;; esac
	run "$tool full" "${cmd[@]}"
	echo "-- changed" >> $changed
	run "$tool change" "${cmd[@]}"
	docker images --format '{{.Repository}}:{{.Tag}}' | grep "^$DOCKER_REPO/" | xargs -r docker rmi -f >/dev/null
	cd $work; rm -rf $dir
done
