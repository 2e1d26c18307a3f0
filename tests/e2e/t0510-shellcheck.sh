#!/usr/bin/env bash
# Runs shellcheck on every shell script of the repository, as CI's lint step
# does: the scripts infra/ci/shellcheck.sh --list names (the *.sh files and
# the shell scripts in bench/, tools/, infra/scripts/ and .ci/run). One test
# per script; any finding, at any severity, fails it. Needs no docker;
# skipped without shellcheck or git.
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

scripts=()
while IFS= read -r f; do
	scripts+=("$f")
done < <(infra/ci/shellcheck.sh --list)

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
