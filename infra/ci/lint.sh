#!/usr/bin/env bash
# CI step: the checks that need no service. Each runs even when an earlier
# one failed; the step fails when any did.
#   1. odooctl lint on the addons of services/odoo19-central-addons: fails
#      on errors (what Odoo 19 refuses), shows the warnings
#   2. actionlint on .github/workflows/*.yml (tools/actionlint.js)
#   3. shellcheck on every shell script (infra/ci/shellcheck.sh)
# shellcheck source=infra/ci/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

cd "$CI_ROOT"
failed=()
"$ODOOCTL" lint --severity error services/odoo19-central-addons/addons ||
	failed+=("odooctl lint")
tools/actionlint.js .github/workflows/*.yml || failed+=(actionlint)
infra/ci/shellcheck.sh || failed+=(shellcheck)
if ((${#failed[@]})); then
	ci_summary "lint failed: ${failed[*]}"
	echo "ci: lint failed: ${failed[*]}" >&2
	exit 1
fi
ci_summary "lint: odooctl lint, actionlint and shellcheck passed"
echo "ci: lint passed (odooctl lint, actionlint, shellcheck)"
