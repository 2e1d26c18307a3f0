#!/usr/bin/env bash
# Runs shellcheck on every shell script of the repository: the *.sh files and
# what is in bench/, tools/, infra/scripts/ and .ci/run, when it is a shell
# script (a sh/bash/dash/ksh shebang, or a sourced *.sh declaring
# "# shellcheck shell="). One test per script; any finding, at any
# severity, fails it. Needs no docker; skipped without shellcheck or git.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$E2E_ROOT"
if ! command -v shellcheck >/dev/null; then
	skip "shellcheck passes on every shell script" \
		"shellcheck is not installed (Debian package shellcheck)"
	done_testing
	exit 0
fi
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	skip "shellcheck passes on every shell script" "not a git checkout"
	done_testing
	exit 0
fi

is_shell() {
	local first
	IFS= read -r first <"$1" || true
	[[ $first =~ ^#!.*[/\ ](ba|da|k)?sh([[:space:]]|$) ]] && return 0
	[[ $1 == *.sh ]] && grep -q '^# shellcheck shell=' "$1"
}

scripts=()
while IFS= read -r f; do
	[[ -f $f ]] && is_shell "$f" && scripts+=("$f")
done < <(git ls-files --cached --others --exclude-standard -- \
	'*.sh' 'bench/*' 'tools/*' 'infra/scripts/*' .ci/run | sort -u)

ok "${#scripts[@]} shell scripts found" test "${#scripts[@]}" -ge 10
for f in "${scripts[@]}"; do
	if out=$(shellcheck --external-sources --source-path=SCRIPTDIR \
		"$f" 2>&1); then
		ok "shellcheck $f"
	else
		fail "shellcheck $f" "$out" || true
	fi
done

done_testing
