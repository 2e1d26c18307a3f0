#!/usr/bin/env bash
# shellcheck disable=SC2016 # workflow expressions and $VARS, verbatim
# The CI/CD workflows themselves: actionlint passes on them (and catches a
# broken copy, so it is not a no-op), they run on the paths and events they
# must, with least-privilege permissions, the deploy waits for the
# "production" environment and gets the digest from the image job, and every
# `run:` step calls a script of infra/ci/ (which tests/e2e/t0800 runs
# locally) with no expression in its text, so the two cannot drift apart.
# actionlint comes from tools/install-actionlint.sh: when it is missing the
# test fails, it never skips. Needs no docker.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$E2E_ROOT"
PY=/usr/bin/python3
test_wf=.github/workflows/test-odoo19.yml
deploy_wf=.github/workflows/deploy-odoo19.yml
tmp=$(mktemp -d /tmp/odooctl-t0520.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

out=$(tools/actionlint.js "$test_wf" "$deploy_wf" 2>&1) && rc=0 || rc=$?
is "$rc" 0 "actionlint passes on both workflows" || diag "$out"
sed 's/branches:/branchs:/; s/persist-credentials: false/persist-credential: false/' \
	"$deploy_wf" >"$tmp/broken.yml"
out=$(tools/actionlint.js "$tmp/broken.yml" 2>&1) && rc=0 || rc=$?
is "$rc" 1 "actionlint fails on a broken copy"
like "$out" 'unexpected key "branchs"' "it names the bad key"
like "$out" 'persist-credential' "it checks the inputs of actions"

t=$("$PY" tests/e2e/ghactions.py json "$test_wf")
d=$("$PY" tests/e2e/ghactions.py json "$deploy_wf")
q() { jq -r "$2" <<<"$1"; }

for ev in pull_request push; do
	is "$(q "$t" ".on.$ev.paths | index(\"services/odoo19-central-addons/**\") != null and index(\"src/**\") != null")" \
		true "test-odoo19 runs on $ev touching the addons or the tool"
done
is "$(q "$t" '.permissions | tojson')" '{"contents":"read"}' \
	"test-odoo19: contents: read, nothing else"
is "$(q "$t" '[.jobs[] | select(.permissions)] | length')" 0 \
	"test-odoo19: no job asks for more"
is "$(q "$t" '.jobs | keys | join(" ")')" "image lint test" \
	"test-odoo19: lint, test, image jobs"

is "$(q "$d" '.on.push.branches | tojson')" '["main"]' \
	"deploy-odoo19 runs on push to main"
is "$(q "$d" '.on.push.paths | index("services/odoo19-central-addons/**") != null')" \
	true "deploy-odoo19: on the addons' paths"
is "$(q "$d" '.on | has("workflow_dispatch")')" true \
	"deploy-odoo19 can be run by hand"
is "$(q "$d" '.permissions | tojson')" '{}' \
	"deploy-odoo19: no permission by default"
is "$(q "$d" '.jobs.image.permissions | tojson')" \
	'{"contents":"read","packages":"write"}' \
	"the image job may write packages, nothing else"
is "$(q "$d" '.jobs.deploy.permissions | tojson')" '{"contents":"read"}' \
	"the deploy job reads the repository only"
is "$(q "$d" '.jobs.deploy.environment')" production \
	"the deploy job waits for the production environment's approval"
is "$(q "$d" '.jobs.deploy.needs')" image "the deploy job needs the image job"
is "$(q "$d" '.jobs.image.outputs.digest')" '${{ steps.push.outputs.digest }}' \
	"the image job's output digest is the push step's"
is "$(q "$d" '.jobs.deploy.steps[-1].env.DIGEST')" \
	'${{ needs.image.outputs.digest }}' "the deploy step gets that digest"
like "$(q "$d" '.jobs.deploy.steps[-1].run')" \
	'^bash infra/ci/deploy\.sh "\$DIGEST" production "\$OPERATOR"' \
	"the deploy step runs deploy.sh DIGEST production OPERATOR"
is "$(q "$d" '.jobs.deploy.steps[-1].env.OPERATOR')" '${{ github.actor }}' \
	"the operator is github.actor"
is "$(q "$d" '[.. | strings | select(test("secrets\\."))] | map(select(test("^\\$\\{\\{ secrets\\.[A-Z_]+ \\}\\}$") | not)) | length')" \
	0 "secrets appear only as whole env values"
like "$(q "$d" '.env.REGISTRY')" '^ghcr\.io$' "the registry is ghcr.io"

# Every run step: one line calling an executable infra/ci script (steps
# before the checkout may only install git into the job's container), no
# ${{ }} in the text, shellcheck-clean.
for wf in "$test_wf" "$deploy_wf"; do
	j=$("$PY" tests/e2e/ghactions.py json "$wf")
	while IFS=$'\t' read -r job n before text; do
		text=$(base64 -d <<<"$text")
		where="$wf $job step $n"
		unlike "$text" '\$\{\{' "$where: no expression in run:" || true
		if [[ $before == true ]]; then
			like "$text" '^apt-get update -q && apt-get install -y -q git ca-certificates$' \
				"$where: before the checkout, only git is installed" || true
			continue
		fi
		if [[ $text =~ ^bash\ (infra/ci/[a-z-]+\.sh)(\ |$) ]] &&
			[[ -x ${BASH_REMATCH[1]} ]]; then
			ok "$where: calls ${BASH_REMATCH[1]}"
		else
			fail "$where: calls an executable infra/ci script" "$text" || true
		fi
		printf '#!/bin/bash -e\n%s\n' "$text" >"$tmp/step.sh"
		ok "$where: shellcheck on the run text" shellcheck "$tmp/step.sh" || true
	done < <(jq -r '.jobs | to_entries[] | .key as $job | .value.steps
		| (map(has("uses")) | index(true)) as $co
		| to_entries[] | select(.value.run)
		| [$job, .key + 1, (.key < $co), (.value.run | rtrimstr("\n") | @base64)]
		| @tsv' <<<"$j")
done
is "$(q "$t" '[.jobs.lint.steps[].run // empty] | map(select(test("infra/ci/lint.sh"))) | length')" \
	1 "the lint job runs infra/ci/lint.sh"
is "$(q "$t" '[.jobs.test.steps[].run // empty] | map(select(test("infra/ci/test.sh"))) | length')" \
	1 "the test job runs infra/ci/test.sh"
like "$(cat infra/ci/test.sh)" 'exec bash "\$CI_ROOT/tools/check.sh"' \
	"infra/ci/test.sh runs what .ci/run runs"
like "$(cat .ci/run)" 'exec bash tools/check.sh' ".ci/run runs tools/check.sh"
is "$(q "$t" '[.jobs.image.steps[].run // empty] | map(select(test("image.sh build"))) | length')" \
	1 "the image job builds with infra/ci/image.sh build"
is "$(q "$d" '[.jobs.image.steps[] | select(.id == "push") | .run] | .[0]')" \
	"bash infra/ci/image.sh push" "the push step runs infra/ci/image.sh push"
is "$(git ls-files --cached --others --exclude-standard .github/workflows | wc -l)" 2 \
	"two workflow files in the repository" || true
done_testing
