#!/usr/bin/env bash
# A second Docker engine on this machine, for the tests that play two machines (e2e/machines_test.go):
# its own data root, exec root, pidfile and socket, no bridge network, the loopback registry
# trusted as on the first engine. Sourced by test.sh after engine.sh; safe to run again.
# Exports IMAGEMAKE_ENGINE_B, the address the tests reach it at.
set -euo pipefail

IMAGEMAKE_ENGINE_B_SOCK=/var/run/other.sock
IMAGEMAKE_ENGINE_B_DATA=/var/lib/imagemake-other
IMAGEMAKE_ENGINE_B_EXEC=/run/imagemake-other

engine_b_answers() {
	curl -fsS --max-time 3 --unix-socket "$IMAGEMAKE_ENGINE_B_SOCK" http://engine/_ping >/dev/null 2>&1
}

start_engine_b() {
	if engine_b_answers; then
		return 0
	fi
	echo "engine2.sh: starting a second dockerd on $IMAGEMAKE_ENGINE_B_SOCK (the other machine of the tests)" >&2
	mkdir -p "$IMAGEMAKE_ENGINE_B_DATA" "$IMAGEMAKE_ENGINE_B_EXEC"
	setsid dockerd --data-root "$IMAGEMAKE_ENGINE_B_DATA" --exec-root "$IMAGEMAKE_ENGINE_B_EXEC" \
		--pidfile "$IMAGEMAKE_ENGINE_B_EXEC/dockerd.pid" -H "unix://$IMAGEMAKE_ENGINE_B_SOCK" \
		--bridge=none --iptables=false --ip6tables=false \
		>/tmp/imagemake-dockerd-other.log 2>&1 </dev/null &
	for _ in $(seq 1 60); do
		engine_b_answers && return 0
		sleep 0.5
	done
	echo "engine2.sh: the second dockerd did not answer within 30s; its log:" >&2
	tail -20 /tmp/imagemake-dockerd-other.log >&2
	return 1
}

start_engine_b
export IMAGEMAKE_ENGINE_B="unix://$IMAGEMAKE_ENGINE_B_SOCK"
