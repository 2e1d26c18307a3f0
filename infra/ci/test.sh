#!/usr/bin/env bash
# CI step: the whole test suite, as .ci/run runs it (tools/check.sh).
# In a GitHub container job the runner mounts its own docker socket at
# /var/run/docker.sock; the suite must run its own dockerd instead (the
# stacks bind-mount the job's temporary directories, which the runner's
# daemon cannot see), so that mount is taken away first.
# shellcheck source=infra/ci/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [[ ${GITHUB_ACTIONS:-} == true ]] && [[ -f /.dockerenv ]] &&
	mountpoint -q /var/run/docker.sock; then
	umount /var/run/docker.sock
	rm -f /var/run/docker.sock
fi
exec bash "$CI_ROOT/tools/check.sh"
