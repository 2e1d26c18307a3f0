#!/usr/bin/env bash
# The real Odoo 19's database-changing path: a release that adds a field and
# a view goes out through the real `odoo -u` behind the maintenance page
# (clients see 200 or 503 with Retry-After, nothing else); the column and
# the view are there and the window is reported. Then three releases whose
# real upgrade fails, as real releases fail: a view naming a field that
# does not exist, an addon whose Python raises at import, a data file
# naming an unknown XML id. Each deploy exits 1 and undoes itself by
# swapping its rollback point back (a clone of the database and hard links
# of the filestore; a backup as the point is tests/chaos/c0450's): every
# table has the rows it had (counted FROM ONLY, since pg_dump is not
# byte-equal after a restore), the filestore is
# the same tree, the previous release serves, the OCR event accepted just
# before the deploy is still there, and no point is left.
#
# Crons are switched off after the install, and no client calls while a
# failing release is deployed: the rows compared are then only what
# odooctl and the upgrade did, not Odoo's own scheduled writes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy.sh"
. "$(dirname "$0")/real.sh"
real_or_skip

MODEL=ocr_billing_webhook/models/ocr_billing_event.py
MANIFEST=ocr_billing_webhook/__manifest__.py

# data_file FILE: FILE (under the addon) listed in the manifest's data.
data_file() {
	sed -i "s|'views/ocr_billing_event_views.xml',|&\n        '$1',|" \
		"$MANIFEST"
}

add_field_and_view() {
	cat >>"$MODEL" <<-'EOF'

		    vendor_ref = fields.Char(
		        string='Vendor Reference', index=True,
		        help="The vendor's own reference of the billed document.")
	EOF
	cat >ocr_billing_webhook/views/vendor_ref_views.xml <<-'EOF'
		<?xml version="1.0" encoding="utf-8"?>
		<odoo>
		    <record id="ocr_billing_event_view_form_vendor_ref" model="ir.ui.view">
		        <field name="name">ocr.billing.event.form.vendor_ref</field>
		        <field name="model">ocr.billing.event</field>
		        <field name="inherit_id" ref="ocr_billing_event_view_form"/>
		        <field name="arch" type="xml">
		            <field name="document_id" position="after">
		                <field name="vendor_ref"/>
		            </field>
		        </field>
		    </record>
		</odoo>
	EOF
	data_file views/vendor_ref_views.xml
}

# Three ways a real upgrade fails, each on top of R2's addon.
view_missing_field() {
	add_field_and_view
	cat >ocr_billing_webhook/views/broken_views.xml <<-'EOF'
		<?xml version="1.0" encoding="utf-8"?>
		<odoo>
		    <record id="ocr_billing_event_view_list_broken" model="ir.ui.view">
		        <field name="name">ocr.billing.event.list.broken</field>
		        <field name="model">ocr.billing.event</field>
		        <field name="inherit_id" ref="ocr_billing_event_view_list"/>
		        <field name="arch" type="xml">
		            <field name="document_id" position="after">
		                <field name="vendor_reference"/>
		            </field>
		        </field>
		    </record>
		</odoo>
	EOF
	data_file views/broken_views.xml
}

import_raises() {
	add_field_and_view
	printf '%s\n' '# A release whose module cannot be imported.' \
		'raise RuntimeError("vendor_api: missing configuration")' \
		>ocr_billing_webhook/models/vendor_api.py
	echo 'from . import vendor_api' >>ocr_billing_webhook/models/__init__.py
}

unknown_xmlid() {
	add_field_and_view
	cat >ocr_billing_webhook/views/menu.xml <<-'EOF'
		<?xml version="1.0" encoding="utf-8"?>
		<odoo>
		    <menuitem id="ocr_billing_vendor_menu" name="Vendors"
		              parent="ocr_billing_webhook.no_such_menu" sequence="20"/>
		</odoo>
	EOF
	data_file views/menu.xml
}

real_quiet_r1
is "$(ocr_event INV-1)" 200 "an OCR event before the upgrade"

# ---- a release that adds a field and a view ----------------------------------
real_release R2 add_field_and_view
R2=$DIGEST
n=$(history_lines | wc -l)
: >"$STACK_DIR/codes"
(
	for ((i = 0; i < 2000; i++)); do
		[[ -e $STACK_DIR/poll.stop ]] && break
		curl -s -o /dev/null --max-time 10 \
			-w '%{http_code} %header{retry-after}\n' \
			"http://127.0.0.1:$PROXY_PORT/web/login" >>"$STACK_DIR/codes" ||
			true
		sleep 0.2
	done
) &
poller=$!
out=$("$ODOOCTL" deploy "$R2" e2e alice 2>&1) && rc=0 || rc=$?
sleep 1
touch "$STACK_DIR/poll.stop"
wait "$poller" || true
is "$rc" 0 "R2 (a new field and a view) deploys" || diag "$out"
like "$out" "changed addons: ocr_billing_webhook" "it names the changed addon"
like "$out" "path: database-changing" "it takes the database-changing path"
like "$out" "upgrade: odoo -u ocr_billing_webhook" "the real upgrade of the addon"
window=$(grep -Eo 'maintenance page was up for [0-9.]+ s' <<<"$out" || true)
like "$window" '[0-9]' "the maintenance window is reported"
diag "R2: $window"
is "$(stack_psql central "SELECT data_type FROM information_schema.columns
	WHERE table_name = 'ocr_billing_event' AND column_name = 'vendor_ref'")" \
	"character varying" "the column vendor_ref is in the table"
is "$(stack_psql central "SELECT count(*) FROM ir_ui_view
	WHERE name = 'ocr.billing.event.form.vendor_ref'")" 1 "the view is there"
is "$(stack_psql central "SELECT count(*) FROM ir_model_fields
	WHERE model = 'ocr.billing.event' AND name = 'vendor_ref'")" 1 \
	"Odoo knows the field"
is "$(serving)" R2 "R2 serves"
is "$(statuses_since "$n")" "started maintenance upgraded success" \
	"history: started, maintenance, upgraded, success"
like "$(grep -c '^503 60' "$STACK_DIR/codes" || true)" '^[1-9][0-9]*$' \
	"clients got the maintenance page (503, Retry-After: 60) during it"
is "$(grep -Evc '^(200|503 60) ?$' "$STACK_DIR/codes" || true)" 0 \
	"and nothing but 200 or 503 (no 502, no 500, no timeout)" ||
	diag "$(sort "$STACK_DIR/codes" | uniq -c)"
diag "clients during R2's deploy: $(sort "$STACK_DIR/codes" | uniq -c |
	awk '{ printf "%s%s x %s", (NR > 1 ? ", " : ""), $1, $2 }')"
is "$(ocr_event INV-2 "$WEBHOOK_TOKEN")" 200 "the webhook takes events on R2"

# ---- three real upgrades that fail -------------------------------------------
declare -A reason=(
	[view_missing_field]='vendor_reference'
	[import_raises]='vendor_api: missing configuration'
	[unknown_xmlid]='no_such_menu'
)
k=3
for run in view_missing_field:clone import_raises:clone unknown_xmlid:clone; do
	fault=${run%:*} point=${run#*:}
	sed -i "/^rollback_point = /d; s|^\[e2e\]|[e2e]\nrollback_point = $point|" \
		"$ODOOCTL_CONFIG"
	real_release "F-$fault-$point" "$fault"
	F=$DIGEST
	good_id=$(current_id)
	is "$(ocr_event "INV-$k")" 200 "$fault/$point: an OCR event just before the deploy"
	curl -s -o /dev/null --max-time 30 "http://127.0.0.1:$PROXY_PORT/web/login" || true
	rows_before=$(db_rows central)
	fs_before=$(odoo_fs_tree central)
	n=$(history_lines | wc -l)
	t=$SECONDS
	out=$("$ODOOCTL" deploy "$F" e2e alice 2>&1) && rc=0 || rc=$?
	diag "$fault/$point: the deploy took $((SECONDS - t)) s"
	is "$rc" 1 "$fault/$point: the deploy exits 1" || diag "$out"
	like "$out" "upgrade: odoo -u ocr_billing_webhook" "$fault/$point: the real upgrade ran"
	like "$out" "${reason[$fault]}" "$fault/$point: the error shows Odoo's reason" ||
		diag "$out"
	if [[ $point == clone ]]; then
		like "$out" "database and filestore swapped back to the rollback point" \
			"$fault/$point: the rollback point (a clone) was swapped back"
	else
		like "$out" "database and filestore restored from the pre-deploy backup" \
			"$fault/$point: rollback_point = backup: the backup was restored"
	fi
	window=$(grep -Eo 'maintenance page was up for [0-9.]+ s' <<<"$out" || true)
	like "$window" "[0-9]" "$fault/$point: the maintenance window is reported"
	diag "$fault, rollback_point = $point: $window"
	is "$(stack_psql postgres "SELECT count(*) FROM pg_database
		WHERE datname LIKE 'odooctl_%'")" 0 "$fault/$point: no database of odooctl is left"
	rows_after=$(db_rows central)
	is "$rows_after" "$rows_before" "$fault/$point: every table has the rows it had" ||
		diag "$(diff <(echo "$rows_before") <(echo "$rows_after"))"
	is "$(odoo_fs_tree central)" "$fs_before" "$fault/$point: the filestore is the same tree"
	is "$(stack_psql central "SELECT count(*) FROM information_schema.columns
		WHERE table_name = 'ocr_billing_event' AND column_name = 'vendor_ref'")" \
		1 "$fault/$point: R2's column is still there"
	is "$(current_id)" "$good_id" "$fault/$point: R2's container serves again"
	is "$(serving)" R2 "$fault/$point: R2 answers through the proxy"
	is "$(stack_psql central "SELECT count(*) FROM ocr_billing_event
		WHERE document_id = 'INV-$k'")" 1 \
		"$fault/$point: the event accepted just before the deploy is there"
	is "$(statuses_since "$n")" \
		"started maintenance upgrade_failed restored rolled_back" \
		"$fault/$point: history: ... upgrade_failed, restored, rolled_back"
	is "$(cat "$STACK_DIR/state/last_good_sha")" "$R2" \
		"$fault/$point: last_good_sha is still R2"
	is "$("$DOCKER" ps -aq --filter "label=odooctl.release=$F" | wc -l)" 0 \
		"$fault/$point: no container of the failed release is left"
	k=$((k + 1))
done
is "$(ocr_event INV-9)" 200 "after all that, the webhook takes events"
is "$(stack_psql central "SELECT count(*) FROM ocr_billing_event")" 6 \
	"every accepted event is in the database (INV-1 to INV-5, INV-9)"
done_testing
