#!/usr/bin/env bash
# Installs the Debian packages odooctl needs to build and to run its test
# suite (compilers and libraries, Docker Engine, Compose v1, an OCI registry,
# PostgreSQL 15, nginx, busybox; clang with its libFuzzer runtime, shellcheck
# and python3 for the lint tests; Node.js and actionlint for the CI checks,
# openssh-server and apache2-utils for the CI pipeline's test; systemd for
# systemd-analyze, which checks the timer units; promtool, from prometheus,
# checks the monitor's /metrics; python3-botocore checks SigV4 in the
# secrets tests; the openssl CLI makes the TLS unit test's certificates;
# debootstrap and Odoo 19's Python libraries for the real Odoo tier).
# Idempotent:
# asks apt only about what is missing, and prints nothing when everything is
# already there.
#   --build   only what building odooctl needs (the CI image job)
#   --lint    that and the linters (the CI lint job)
set -euo pipefail

build=(
	build-essential pkg-config git jq
	libcurl4-openssl-dev libjansson-dev libinih-dev libpq-dev
	libarchive-dev libssl-dev libmicrohttpd-dev
)
lint=(shellcheck python3 python3-yaml)
rest=(
	libcmocka-dev
	docker.io docker-registry docker-compose
	postgresql-15 postgresql-client-15 nginx-light busybox-static
	curl iproute2 util-linux procps systemd
	clang libclang-rt-dev openssh-server apache2-utils openssl
	prometheus python3-botocore
	debootstrap
)
# The real Odoo 19 tier: its image is built with debootstrap, and the
# migrate test runs Odoo from its source tree on this host, on the same
# Debian packages as the image (tests/fixtures/odoo19/packages.txt).
here=$(dirname "${BASH_SOURCE[0]}")
mapfile -t -O "${#rest[@]}" rest < <(grep -v '^#' \
	"$here/../tests/fixtures/odoo19/packages.txt" | grep .)
case ${1:-} in
--build) packages=("${build[@]}") ;;
--lint) packages=("${build[@]}" "${lint[@]}") ;;
'') packages=("${build[@]}" "${lint[@]}" "${rest[@]}") ;;
*) echo "usage: install-deps.sh [--build | --lint]" >&2; exit 2 ;;
esac
# Node.js from elsewhere (a runner's own) is fine; npm comes with it there.
[[ ${1:-} == --build ]] || command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $status == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
	[[ ${1:-} == --build ]] || exec "$here/install-actionlint.sh"
	exit 0
fi

sudo=()
if ((EUID != 0)); then
	command -v sudo >/dev/null || {
		echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2
		exit 1
	}
	sudo=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
# Services must not be started by the packages' scripts (no init system
# here, and the tests start their own dockerd, registry, postgres, nginx).
policy=
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
	policy=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
	"${sudo[@]}" chmod 0755 "$policy"
	trap '"${sudo[@]}" rm -f "$policy"' EXIT
fi
"${sudo[@]}" apt-get install -y -q "${missing[@]}"
[[ ${1:-} == --build ]] || "$here/install-actionlint.sh"
