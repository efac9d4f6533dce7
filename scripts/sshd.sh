#!/usr/bin/env bash
# An SSH server on 127.0.0.1:2222 for the tests that reach engines and builders over ssh://, as
# `DOCKER_HOST=ssh://…` and `buildctl --addr ssh://…` do: its own config, host key and authorized
# key under /var/cache/imagemake/ssh (nothing of /root/.ssh or the system's sshd is changed), and
# a client config for the host alias imagemake-e2e in /etc/ssh/ssh_config.d (which Debian's
# ssh_config includes): root, that key, no host-key prompt. A second alias, imagemake-e2e-b
# (port 2223), lands in sessions whose DOCKER_HOST is the second engine's (scripts/engine2.sh):
# there `docker system dial-stdio` reaches that engine, as it would on another machine.
# buildctl (scripts/buildkitd.sh) is linked into /usr/local/bin: buildkit's ssh:// runs
# `buildctl dial-stdio` there. Sourced by test.sh after buildkitd.sh; safe to run again.
# Exports IMAGEMAKE_SSH_HOST.
set -euo pipefail

IMAGEMAKE_SSH_DIR=/var/cache/imagemake/ssh
IMAGEMAKE_SSH_PORT=2222

ssh_answers() {
	ssh -o BatchMode=yes -o ConnectTimeout=3 imagemake-e2e true 2>/dev/null
}

setup_sshd() {
	if ! command -v sshd >/dev/null && [ ! -x /usr/sbin/sshd ]; then
		echo "sshd.sh: installing openssh-server" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server >/tmp/imagemake-sshd-install.log 2>&1 ||
			{ tail -20 /tmp/imagemake-sshd-install.log >&2; return 1; }
	fi
	local d=$IMAGEMAKE_SSH_DIR
	mkdir -p "$d" /run/sshd
	chmod 700 "$d"
	[ -f "$d/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$d/host_ed25519"
	[ -f "$d/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$d/id_ed25519"
	cp "$d/id_ed25519.pub" "$d/authorized_keys"
	cat >"$d/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $IMAGEMAKE_SSH_PORT
Port $((IMAGEMAKE_SSH_PORT + 1))
HostKey $d/host_ed25519
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PidFile /run/sshd-imagemake.pid
Match LocalPort $((IMAGEMAKE_SSH_PORT + 1))
	SetEnv DOCKER_HOST=unix:///var/run/other.sock
CONF
	cat >/etc/ssh/ssh_config.d/imagemake-e2e.conf <<CONF
Host imagemake-e2e
	HostName 127.0.0.1
	Port $IMAGEMAKE_SSH_PORT
	User root
	IdentityFile $d/id_ed25519
	IdentitiesOnly yes
	StrictHostKeyChecking no
	UserKnownHostsFile /dev/null
	LogLevel ERROR
Host imagemake-e2e-b
	HostName 127.0.0.1
	Port $((IMAGEMAKE_SSH_PORT + 1))
	User root
	IdentityFile $d/id_ed25519
	IdentitiesOnly yes
	StrictHostKeyChecking no
	UserKnownHostsFile /dev/null
	LogLevel ERROR
CONF
	if [ -n "${IMAGEMAKE_BUILDKITD:-}" ] && [ -x "$IMAGEMAKE_BUILDKITD/buildctl" ]; then
		ln -sf "$IMAGEMAKE_BUILDKITD/buildctl" /usr/local/bin/buildctl
	fi
	if ssh_answers; then # a running sshd reads its config again on SIGHUP
		kill -HUP "$(cat /run/sshd-imagemake.pid)" 2>/dev/null || true
		sleep 0.5
		return 0
	fi
	echo "sshd.sh: starting sshd on 127.0.0.1:$IMAGEMAKE_SSH_PORT (ssh:// engines and builders)" >&2
	/usr/sbin/sshd -f "$d/sshd_config" -E /tmp/imagemake-sshd.log
	for _ in $(seq 1 20); do
		ssh_answers && return 0
		sleep 0.5
	done
	echo "sshd.sh: sshd does not answer on 127.0.0.1:$IMAGEMAKE_SSH_PORT; its log:" >&2
	tail -20 /tmp/imagemake-sshd.log >&2
	return 1
}

setup_sshd
export IMAGEMAKE_SSH_HOST=imagemake-e2e
