#!/usr/bin/env bash
# CI step: installs what the job needs from Debian's packages and builds
# odooctl.   infra/ci/setup.sh [--build | --lint]
#   --build   the build packages only (a job that builds the image)
#   --lint    those and the linters (shellcheck, actionlint)
#   (none)    everything the test suite needs
# shellcheck source=infra/ci/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$CI_ROOT/tools/install-deps.sh" "$@"
make -C "$CI_ROOT" -j"$(nproc)"
