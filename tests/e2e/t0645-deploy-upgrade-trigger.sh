#!/usr/bin/env bash
# upgrade_trigger = version (Odoo.sh's rule): only an addon whose manifest
# version changed (or a new one) is upgraded. Under constant load on the
# proxy: a release whose addon changed in its code but not in its version
# takes the code-only path (no backup, no maintenance page: every request
# answers 200); one that bumps an addon's version takes the
# database-changing path and upgrades only that addon, while the gate warns
# for an addon whose models changed without a version bump. History and
# status name the upgraded addons and why.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy.sh"
. "$(dirname "$0")/backup.sh"

cleanup() {	# under set -e: nothing here may fail
	local rc=$?
	[[ -z ${poller:-} ]] || kill "$poller" 2>/dev/null || true
	stack_down_all || true
	exit "$rc"
}

# trigger_release NAME OCR_VERSION OCR_SQL VENDOR_VERSION VENDOR_SQL [EDIT]:
# the service's addon and vendor_ops at these versions, each with its
# standin_upgrade.sql; EDIT (a command run in the addons directory) changes
# more. The digest in $DIGEST.
trigger_release() {
	local addons
	build_release "$1"
	addons=$RELEASE_CONTEXT/addons
	sed -i "s/'version': '[^']*'/'version': '$2'/" \
		"$addons/ocr_billing_webhook/__manifest__.py"
	mkdir -p "$addons/vendor_ops"
	cat >"$addons/vendor_ops/__manifest__.py" <<-EOF2
		{
		    'name': 'Vendor operations',
		    'version': '$4',
		    'license': 'LGPL-3',
		    'depends': ['base'],
		    'installable': True,
		}
	EOF2
	: >"$addons/vendor_ops/__init__.py"
	printf '%s\n' "$3" >"$addons/ocr_billing_webhook/standin_upgrade.sql"
	printf '%s\n' "$5" >"$addons/vendor_ops/standin_upgrade.sql"
	[[ -z ${6:-} ]] || (cd "$addons" && eval "$6")
	rebuild_release "release $1 addons"
}

# deploy_polled DIGEST: deploys it while a client polls the proxy every
# 0.1 s (its answers in $STACK_DIR/codes); the output in $out, the exit
# status in $rc.
deploy_polled() {
	: >"$STACK_DIR/codes"
	(
		while :; do
			curl -s -o /dev/null --max-time 5 -w '%{http_code}\n' \
				"http://127.0.0.1:$PROXY_PORT/web/login" \
				>>"$STACK_DIR/codes" || true
			sleep 0.1
		done
	) &
	poller=$!
	out=$("$ODOOCTL" deploy "$1" e2e alice 2>&1) && rc=0 || rc=$?
	sleep 1
	kill "$poller" 2>/dev/null || true
	wait "$poller" 2>/dev/null || true
	poller=''
}

upgrades_since() {
	history_lines | tail -n +"$(($1 + 1))" | awk -F ' [|] ' '{ print $4 }' |
		grep '^upgrade:' | paste -sd ' ' || true
}

stack_up e2e
trap cleanup EXIT
sed -i "s|^\[e2e\]|[e2e]\nupgrade_trigger = version|" "$ODOOCTL_CONFIG"
like "$("$ODOOCTL" config show e2e 2>&1 || true)" "upgrade_trigger += version" \
	"the environment says upgrade_trigger = version" || true

OCR1="CREATE TABLE ocr_v1 (id int);"
VEN1="CREATE TABLE vendor_v1 (id int);"
trigger_release A 19.0.1.0.0 "$OCR1" 19.0.1.0.0 "$VEN1"
A=$DIGEST
labels=$("$DOCKER" image inspect -f '{{json .Config.Labels}}' \
	"$STACK_REPO@$A")
is "$(jq -r '."odooctl.addon-version.ocr_billing_webhook"' <<<"$labels")" \
	19.0.1.0.0 "the image carries each addon's version"
like "$(jq -r '."odooctl.addon-data.vendor_ops"' <<<"$labels")" \
	'^sha256:[0-9a-f]{64}$' "and the checksum of its database files"
ok "deploy A (the first release)" "$ODOOCTL" -q deploy "$A" e2e alice
PG=$(stack_container postgres)

# ---- code changed, version did not: the code-only path -----------------------
trigger_release B 19.0.1.0.0 "$OCR1" 19.0.1.0.0 "$VEN1" \
	"printf '# a fix in a controller\n' >>ocr_billing_webhook/controllers/main.py"
B=$DIGEST
sum_a=$(jq -r '."odooctl.addon.ocr_billing_webhook"' <<<"$labels")
is "$("$DOCKER" image inspect -f '{{index .Config.Labels "odooctl.addon-data.ocr_billing_webhook"}}' \
	"$STACK_REPO@$B")" "$(jq -r '."odooctl.addon-data.ocr_billing_webhook"' <<<"$labels")" \
	"a controller change leaves the database checksum as it was"
unlike "$("$DOCKER" image inspect -f '{{index .Config.Labels "odooctl.addon.ocr_billing_webhook"}}' \
	"$STACK_REPO@$B")" "$sum_a" "but changes the addon's checksum"
n=$(history_lines | wc -l)
deploy_polled "$B"
is "$rc" 0 "B (a controller changed, same version) deploys" || diag "$out"
like "$out" "ocr_billing_webhook: changed, same version: not upgraded \(code-only\)" \
	"it names the addon that is not upgraded"
unlike "$out" "changed \(models, data or views\)" "no warning: only a controller changed"
like "$out" "path: code-only" "it takes the code-only path"
unlike "$out" "maintenance" "no maintenance page"
is "$(serving)" B "B serves through the proxy"
codes=$(sort "$STACK_DIR/codes" | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
like "$(wc -l <"$STACK_DIR/codes")" '^[1-9][0-9]+$' "the poller sent requests ($codes)"
is "$(grep -vc '^200$' "$STACK_DIR/codes" || true)" 0 \
	"every request under load answered 200 (no 503, no 502)"
is "$(statuses_since "$n")" "started success" "history: started, success"
is "$(upgrades_since "$n")" "" "history names no upgrade"
is "$(pg_sql central "SELECT to_regclass('standin_upgrades') IS NULL" || true)" t \
	"no module upgrade ran"
st=$("$ODOOCTL" status e2e --json)
is "$(jq -r .last_deploy.path <<<"$st")" code-only "status: path code-only"
is "$(jq -c .last_deploy.not_upgraded <<<"$st")" '["ocr_billing_webhook"]' \
	"status: not_upgraded [ocr_billing_webhook]"
is "$(jq -r .last_deploy.upgrade_trigger <<<"$st")" version "status: trigger version"

# ---- a version bump: the database-changing path, for that addon only ---------
VEN2="CREATE TABLE vendor_v2 (id int);"
trigger_release C 19.0.1.0.0 "$OCR1" 19.0.1.0.1 "$VEN2" \
	"printf '# a new field\n' >>ocr_billing_webhook/models/ocr_billing_event.py"
C=$DIGEST
n=$(history_lines | wc -l)
deploy_polled "$C"
is "$rc" 0 "C (vendor_ops 19.0.1.0.0 -> 19.0.1.0.1) deploys" || diag "$out"
like "$out" "addon ocr_billing_webhook changed \(models, data or views\) but its version did not: it is not upgraded" \
	"the gate warns: the models of ocr_billing_webhook changed, its version did not"
like "$out" "path: database-changing" "it takes the database-changing path"
like "$out" "odoo -d central -u vendor_ops --stop-after-init" \
	"the upgrade gets only vendor_ops"
is "$(pg_sql central "SELECT string_agg(module, ',') FROM standin_upgrades" || true)" \
	vendor_ops "the upgrade ran for vendor_ops only"
is "$(serving)" C "C serves through the proxy"
like "$(grep -c '^503$' "$STACK_DIR/codes" || true)" '^[1-9][0-9]*$' \
	"clients got the maintenance page (503) during the upgrade"
is "$(statuses_since "$n")" "started maintenance upgraded success" \
	"history: started, maintenance, upgraded, success"
is "$(upgrades_since "$n")" "upgrade:vendor_ops:version:19.0.1.0.0->19.0.1.0.1" \
	"history: upgrade:vendor_ops:version:19.0.1.0.0->19.0.1.0.1"
is "$(history_lines | grep -cvE "$HISTORY_RE")" 0 \
	"every history line keeps the five fields"
is "$("$ODOOCTL" history e2e --json |
	jq -r '[.[] | select(.status | startswith("upgrade:"))] | last | .status')" \
	"upgrade:vendor_ops:version:19.0.1.0.0->19.0.1.0.1" \
	"odooctl history reads it" || true
st=$("$ODOOCTL" status e2e --json)
is "$(jq -c .last_deploy.upgraded <<<"$st")" '["vendor_ops"]' "status: upgraded [vendor_ops]"
is "$(jq -r .last_deploy.upgraded_why.vendor_ops <<<"$st")" \
	"version 19.0.1.0.0 -> 19.0.1.0.1" "status: why, the version"
is "$(jq -c .last_deploy.not_upgraded <<<"$st")" '["ocr_billing_webhook"]' \
	"status: ocr_billing_webhook not upgraded"
like "$("$ODOOCTL" status e2e)" "upgraded: +vendor_ops: version 19.0.1.0.0 -> 19.0.1.0.1" \
	"status says why"

# ---- the checksum rule again: every changed addon ----------------------------
sed -i "/^upgrade_trigger = version$/d" "$ODOOCTL_CONFIG"
OCR2="CREATE TABLE ocr_v2 (id int);"
trigger_release D 19.0.1.0.0 "$OCR2" 19.0.1.0.1 "$VEN2"
D=$DIGEST
n=$(history_lines | wc -l)
out=$("$ODOOCTL" deploy "$D" e2e alice 2>&1) && rc=0 || rc=$?
is "$rc" 0 "D deploys under the default rule (checksum)" || diag "$out"
like "$out" "odoo -d central -u ocr_billing_webhook --stop-after-init" \
	"the changed addon is upgraded"
is "$(upgrades_since "$n")" "upgrade:ocr_billing_webhook:checksum" \
	"history: upgrade:ocr_billing_webhook:checksum"
is "$("$ODOOCTL" status e2e --json | jq -r .last_deploy.upgraded_why.ocr_billing_webhook)" \
	"checksum changed" "status: checksum changed"

done_testing
