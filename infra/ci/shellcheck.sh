#!/usr/bin/env bash
# Runs shellcheck on every shell script of the repository: the *.sh files and
# what is in bench/, tools/, infra/scripts/ and .ci/run, when it is a shell
# script (a sh/bash/dash/ksh shebang, or a sourced *.sh declaring
# "# shellcheck shell="). Any finding, at any severity, fails.
#   infra/ci/shellcheck.sh [--list]   --list: print the scripts, check none
# shellcheck source=infra/ci/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

is_shell() {
	local first
	IFS= read -r first <"$1" || true
	[[ $first =~ ^#!.*[/\ ](ba|da|k)?sh([[:space:]]|$) ]] && return 0
	[[ $1 == *.sh ]] && grep -q '^# shellcheck shell=' "$1"
}

cd "$CI_ROOT"
git rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
	ci_die "$CI_ROOT is not a git checkout"
scripts=()
while IFS= read -r f; do
	[[ -f $f ]] && is_shell "$f" && scripts+=("$f")
done < <(git ls-files --cached --others --exclude-standard -- \
	'*.sh' 'bench/*' 'tools/*' 'infra/scripts/*' .ci/run | sort -u)
if [[ ${1:-} == --list ]]; then
	printf '%s\n' "${scripts[@]}"
	exit 0
fi
command -v shellcheck >/dev/null ||
	ci_die "shellcheck is missing (tools/install-deps.sh)"
shellcheck --external-sources --source-path=SCRIPTDIR "${scripts[@]}"
echo "ci: shellcheck: ${#scripts[@]} scripts, no finding"
