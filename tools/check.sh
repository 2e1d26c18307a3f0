#!/usr/bin/env bash
# The whole test suite: installs what is missing (Debian packages), builds
# with warnings as errors, runs the unit tests, the same under ASan/UBSan,
# then the end-to-end suite against a real dockerd, registry, PostgreSQL
# and nginx that it starts itself and stops when done.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
exec make check "$@"
