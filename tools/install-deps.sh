#!/usr/bin/env bash
# Installs the Debian packages odooctl needs to build and to run its test
# suite (compilers and libraries, Docker Engine, Compose v1, an OCI registry,
# PostgreSQL 15, nginx, busybox; clang with its libFuzzer runtime, shellcheck
# and python3 for the lint tests). Idempotent: asks apt only about what is
# missing, and prints nothing when everything is already there.
set -euo pipefail

packages=(
	build-essential pkg-config
	libcurl4-openssl-dev libjansson-dev libinih-dev libpq-dev
	libarchive-dev libssl-dev libcmocka-dev libmicrohttpd-dev
	docker.io docker-registry docker-compose
	postgresql-15 postgresql-client-15 nginx-light busybox-static
	curl git iproute2 jq util-linux procps
	clang libclang-rt-dev shellcheck python3
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $status == "install ok installed" ]] || missing+=("$p")
done
((${#missing[@]})) || exit 0

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
