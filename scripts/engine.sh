#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine (Debian, as root): install docker.io and
# busybox-static when missing, start dockerd without a bridge network when none runs.
# Sourced by example.sh and test.sh; safe to run again.
set -euo pipefail

engine_answers() {
	curl -fsS --max-time 3 --unix-socket /var/run/docker.sock http://engine/_ping >/dev/null 2>&1
}

apt_install() {
	local missing=()
	command -v dockerd >/dev/null || missing+=(docker.io)
	command -v docker-registry >/dev/null || missing+=(docker-registry)
	[ -x /bin/busybox ] || missing+=(busybox-static)
	command -v curl >/dev/null || missing+=(curl)
	command -v git >/dev/null || missing+=(git)
	if [ ${#missing[@]} -gt 0 ]; then
		echo "engine.sh: installing ${missing[*]}" >&2
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
}

start_engine() {
	if [ -n "${DOCKER_HOST:-}" ] || engine_answers; then
		return 0
	fi
	echo "engine.sh: starting dockerd (no bridge network; builds use network: none or host)" >&2
	setsid dockerd --bridge=none --iptables=false --ip6tables=false >/tmp/imagemake-dockerd.log 2>&1 < /dev/null &
	for _ in $(seq 1 60); do
		engine_answers && return 0
		sleep 0.5
	done
	echo "engine.sh: dockerd did not answer within 30s; its log:" >&2
	tail -20 /tmp/imagemake-dockerd.log >&2
	return 1
}

apt_install
start_engine
