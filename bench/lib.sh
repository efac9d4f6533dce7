# Shared by the benchmark scripts (sourced): the imagemake binary, the generated repository and a
# registry on loopback.

# bench_repo builds bin/imagemake into $im and generates the benchmark repository under $work/repo
# (kept when it exists, e.g. made by bench/compare.sh); its arguments go to bench/gen.
bench_repo() {
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
}

# start_registry DIR PORT starts Debian's docker-registry with storage in DIR (emptied first) on
# 127.0.0.1:PORT, waits until it answers and sets registry_pid.
start_registry() {
	local dir=$1 port=$2
	rm -rf "$dir" && mkdir -p "$dir"
	cat > "$dir/config.yml" <<CFG
version: 0.1
storage: {filesystem: {rootdirectory: $dir/data}}
http: {addr: 127.0.0.1:$port}
CFG
	docker-registry serve "$dir/config.yml" > "$dir/log" 2>&1 &
	registry_pid=$!
	for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && return 0; sleep 0.1; done
	echo "bench: the registry on 127.0.0.1:$port did not answer; its log: $dir/log" >&2
	return 1
}

now() { date +%s.%N; }

# seconds CMD...: one timed run, output discarded (kept in $work/last.log for failures)
seconds() {
	local s e
	s=$(now)
	if ! "$@" >"$work/last.log" 2>&1; then
		echo "bench: failed: $*" >&2
		tail -20 "$work/last.log" >&2
		exit 1
	fi
	e=$(now)
	echo "$e - $s" | bc
}
