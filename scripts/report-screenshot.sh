#!/usr/bin/env bash
# Makes docs/img/report.png, the README's picture of `build --report`: builds examples/monorepo
# in a temporary copy, changes one shared Python file, builds again with --report, and has
# headless Chromium screenshot the page. The images it built are removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/engine.sh
if ! command -v chromium >/dev/null; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
tmp=$(mktemp -d)
export DOCKER_REPO=imagemake-screenshot DOCKER_TAG=report
cleanup() {
	docker image ls -q --filter "reference=$DOCKER_REPO/*" | sort -u | xargs -r docker image rm -f >/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$tmp/imagemake" ./cmd/imagemake
cp -r examples/monorepo "$tmp/monorepo"
rm -rf "$tmp/monorepo/.imagemake"
cp /bin/busybox "$tmp/monorepo/third_party/busybox"
# Inputs of their own, so the first build builds (no image of another run has the same inputs).
for base in base/py base/lua; do echo screenshot >"$tmp/monorepo/$base/screenshot-id"; done
"$tmp/imagemake" -C "$tmp/monorepo" build --output line >/dev/null
echo 'LEVELS = ("debug", "info", "warning")' >>"$tmp/monorepo/src/pylib/acme/log.py"
"$tmp/imagemake" -C "$tmp/monorepo" build --output line --report "$tmp/report.html" | tail -n 8
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync --force-color-profile=srgb \
	--user-data-dir="$tmp/chromium" --hide-scrollbars --window-size=1000,540 \
	--screenshot="$PWD/docs/img/report.png" "file://$tmp/report.html" 2>/dev/null
echo "wrote docs/img/report.png"
