# shellcheck shell=bash
# Shared by the CI step scripts in infra/ci/ (sourced). Each workflow step of
# .github/workflows/*.yml runs one of those scripts, and the test suite runs
# the same steps locally (tests/e2e/t0800), so a step cannot break on GitHub
# alone.
#   CI_ROOT               the repository
#   ODOOCTL               the odooctl binary [build/odooctl]
#   ci_output KEY VALUE   a step output ($GITHUB_OUTPUT, when set)
#   ci_summary LINE...    lines of the job summary ($GITHUB_STEP_SUMMARY)
#   ci_die MSG            "ci: SCRIPT: MSG" on stderr, exit 2
set -euo pipefail

CI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ODOOCTL=${ODOOCTL:-$CI_ROOT/build/odooctl}

ci_die() {
	echo "ci: ${0##*/}: $*" >&2
	exit 2
}

ci_output() {
	[[ $2 != *$'\n'* ]] || ci_die "output $1 holds a newline"
	echo "$1=$2"
	if [[ -n ${GITHUB_OUTPUT:-} ]]; then
		printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
	fi
}

ci_summary() {
	if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
		printf '%s\n' "$@" >>"$GITHUB_STEP_SUMMARY"
	fi
}
