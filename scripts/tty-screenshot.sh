#!/usr/bin/env bash
# Makes docs/img/tty.png, the README's picture of the live terminal view: builds a copy of
# examples/monorepo, changes a file of src/pylib and builds again (without cache) in a tmux pane
# of 100 columns, captures the screen with colours while images run, turns it into HTML
# (scripts/ansihtml) and photographs that with headless Chromium. Run it again after changing
# what the view looks like.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/engine.sh
for tool in tmux chromium fonts-dejavu-core; do
	if ! dpkg -s $tool >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $tool >/dev/null
	fi
done
work=$(mktemp -d)
sock=imagemake-shot-$$
repo=imagemake-shot
cleanup() {
	tmux -L $sock kill-server 2>/dev/null || true
	docker images -q --filter "reference=$repo/*" | sort -u | xargs -r docker rmi -f >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/imagemake" ./cmd/imagemake
cp -r examples/monorepo "$work/monorepo"
rm -rf "$work/monorepo/.imagemake"
mkdir -p "$work/monorepo/third_party"
cp /bin/busybox "$work/monorepo/third_party/busybox"
# Content of its own, so the first build builds (an image of the same inputs would be reused).
for base in base/py base/lua; do date +%s%N >"$work/monorepo/$base/screenshot-id"; done

# wait_for PATTERN [N]: poll the pane until N (default 1) of its lines match an extended regexp;
# the screen that matched, with its colours, is left in $work/tty.ans.
wait_for() {
	for _ in $(seq 3000); do
		tmux -L $sock capture-pane -p -e -J -t shot | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$work/tty.ans"
		if [ "$(sed -e 's/\x1b\[[0-9;]*m//g' "$work/tty.ans" | grep -Ec "$1")" -ge "${2:-1}" ]; then return 0; fi
		sleep 0.02
	done
	echo "tty-screenshot.sh: the pane never showed ${2:-1} lines like /$1/:" >&2
	cat "$work/tty.ans" >&2
	return 1
}

env -u CI -u DOCKER_TAG DOCKER_REPO=$repo "$work/imagemake" -C "$work/monorepo" build --output line >/dev/null
echo "# changed for the screenshot" >>"$work/monorepo/src/pylib/acme/log.py"
tmux -L $sock -f /dev/null new-session -d -x 100 -y 40 -s shot \
	"cd $work/monorepo && env -u NO_COLOR -u CI -u DOCKER_TAG DOCKER_REPO=$repo $work/imagemake build --no-cache; echo \"exit \$?\"; sleep 600"
# The moment: two images running, each at a step of its Dockerfile.
wait_for '^▸ .* \[[0-9]+/[0-9]+\]' 2
cp "$work/tty.ans" "$work/shot.ans"
wait_for '^exit '

lines=$(wc -l <"$work/shot.ans")
mkdir -p docs/img
go run ./scripts/ansihtml <"$work/shot.ans" >"$work/tty.html"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
	--window-size=960,$((lines * 21 + 32)) --screenshot="$PWD/docs/img/tty.png" "file://$work/tty.html" 2>/dev/null
sed -e 's/\x1b\[[0-9;]*m//g' "$work/shot.ans" >docs/img/tty.txt
echo "tty-screenshot.sh: wrote docs/img/tty.png and docs/img/tty.txt ($lines lines)"
