#!/usr/bin/env bash
# ember's whole test suite, as CI runs it. Installs what is missing:
# redis-server and redis-tools (Debian packages), Node.js, and the Node
# client packages of tests/node; then gofmt, go vet and go test.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
fi
apt_updated=
apt_install() {
	if [ -z "$apt_updated" ]; then
		$SUDO apt-get update -qq
		apt_updated=1
	fi
	# RUNLEVEL=1 keeps the packages' init scripts from starting services.
	$SUDO env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 \
		apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null || ! command -v redis-benchmark >/dev/null; then
	echo "installing redis-server and redis-tools"
	apt_install redis-server redis-tools
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "installing nodejs and npm"
	apt_install nodejs npm
fi
echo "installing the Node client packages (tests/node)"
(cd tests/node && npm ci --no-audit --no-fund --loglevel=error)

unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "gofmt: these files need formatting:"
	echo "$unformatted"
	exit 1
fi
go vet ./...
EMBER_REQUIRE_REDIS=1 EMBER_REQUIRE_NODE=1 go test ./... -count=1 -timeout 15m
# The packages with shared-memory concurrency again under the race detector.
EMBER_REQUIRE_REDIS=1 go test -race ./store ./server -count=1 -timeout 15m
