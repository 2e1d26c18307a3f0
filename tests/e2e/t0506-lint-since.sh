#!/usr/bin/env bash
# odooctl lint --since REF, the rule of upgrade_trigger = version
# (version-bump): in a git repository, an addon whose models, data or views
# changed since REF while its manifest version did not is a finding; a
# controller-only change, a version bump and a new addon are not. A PR
# check runs `odooctl lint --since origin/main`. Needs git, no docker.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ! command -v git >/dev/null; then
	skip "odooctl lint --since" "git is not installed"
	done_testing
	exit 0
fi

work=$(mktemp -d /tmp/odooctl-lint-since.XXXXXX)
trap 'rm -rf "$work"' EXIT
repo=$work/repo
addons=$repo/services/odoo19-central-addons/addons
mkdir -p "$addons"
cp -pR "$E2E_ROOT/services/odoo19-central-addons/addons/." "$addons/"
git -C "$repo" init -q
commit() {
	git -C "$repo" add -A
	git -C "$repo" -c user.name=ci -c user.email=ci@localhost commit -q -m "$1"
}
commit base
git -C "$repo" branch -q main
addon=$addons/ocr_billing_webhook
manifest=$addon/__manifest__.py
lint() {
	rc=0
	out=$("$ODOOCTL" lint --no-python "$@" 2>&1) || rc=$?
}

lint --since main "$addons"
is "$rc" 0 "nothing changed since main: exit 0" || diag "$out"

printf '# a fix\n' >>"$addon/controllers/main.py"
commit "a controller fix"
lint --since main "$addons"
is "$rc" 0 "a controller change without a version bump is fine" || diag "$out"

printf '# a new field\n' >>"$addon/models/ocr_billing_event.py"
commit "a field"
lint --since main "$addons"
is "$rc" 1 "a models change without a version bump: exit 1"
like "$out" "ocr_billing_webhook/__manifest__.py:4:16: warning: version-bump: models, data or views changed since main \(models/ocr_billing_event.py\) but version 19.0.1.0.0 did not" \
	"the finding names the manifest's version, the file and the rule" ||
	diag "$out"
json=$("$ODOOCTL" -q lint --no-python --since main --json "$addons") || true
is "$(jq -r '.findings[0].rule' <<<"$json")" version-bump \
	"--json: rule version-bump" || diag "$json"

printf '<odoo/>\n' >"$addon/views/ocr_billing_event_views.xml"
lint --since main "$addon"
is "$rc" 1 "an uncommitted view change counts too (one addon's directory)"
like "$out" "models/ocr_billing_event.py, views/ocr_billing_event_views.xml" \
	"both files are named"
git -C "$repo" checkout -q -- "$addon/views"

printf 'x = 1\n' >"$addon/models/untracked.py"
lint --since HEAD "$addons"
is "$rc" 1 "an untracked models file counts"
like "$out" "since HEAD \(models/untracked.py\)" "and is named"
rm "$addon/models/untracked.py"

sed -i "s/'version': '19.0.1.0.0'/'version': '19.0.1.0.1'/" "$manifest"
commit "bump"
lint --since main "$addons"
is "$rc" 0 "with the version bumped: exit 0" || diag "$out"

mkdir -p "$addons/vendor_ops/models"
cat >"$addons/vendor_ops/__manifest__.py" <<-'MANIFEST'
	{'name': 'Vendor operations', 'author': 'ci', 'license': 'LGPL-3',
	 'version': '19.0.1.0.0', 'depends': ['base']}
MANIFEST
printf 'x = 1\n' >"$addons/vendor_ops/models/v.py"
: >"$addons/vendor_ops/__init__.py"
commit "a new addon"
lint --since main "$addons"
is "$rc" 0 "a new addon (not at main) needs no bump" || diag "$out"

lint --since no-such-ref "$addons"
is "$rc" 2 "an unknown revision is a usage error (exit 2)"
like "$out" "--since no-such-ref: not a commit" "and says so"
lint --since main /tmp
is "$rc" 2 "a path outside a git work tree: exit 2"

done_testing
