#!/usr/bin/env bash
# Chaos on the real Odoo 19's database-changing path: the deploy is stopped
# in the middle of the real `odoo -u`, after the upgrade committed a change
# to the schema (a migration script of the release's new version adds a
# column, commits, then works on). With SIGTERM the deploy stops the
# upgrade and rolls back by itself: every table has the rows it had, the
# filestore is the same tree, the column is gone, the previous release
# serves, and the OCR event accepted just before is there. (SIGKILL there,
# and `odooctl recover`, is tests/chaos/c0450's.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy.sh"
. "$(dirname "$0")/real.sh"
real_or_skip

real_quiet_r1
MIGRATION_THEN='sleep 120' real_release S real_migration
S=$DIGEST

k=1
sig=TERM
good_id=$(current_id)
is "$(ocr_event "INV-$k")" 200 "$sig: an OCR event just before the deploy"
curl -s -o /dev/null --max-time 30 "http://127.0.0.1:$PROXY_PORT/web/login" || true
rows_before=$(db_rows central)
fs_before=$(odoo_fs_tree central)
n=$(history_lines | wc -l)
log=$STACK_DIR/deploy-$sig.log
"$ODOOCTL" deploy "$S" e2e alice >"$log" 2>&1 &
pid=$!
end=$((SECONDS + 240))
until [[ $(has_legacy_ref) == 1 ]] || ! kill -0 "$pid" 2>/dev/null ||
	((SECONDS > end)); do
	sleep 0.5
done
is "$(has_legacy_ref)" 1 "$sig: the real upgrade committed its first change"
kill "-$sig" "$pid" 2>/dev/null || true
wait "$pid" && rc=0 || rc=$?
out=$(cat "$log")
is "$rc" 1 "SIGTERM mid-upgrade: the deploy exits 1" || diag "$out"
like "$out" "interrupted by a signal" "it says it was interrupted"
is "$(statuses_since "$n")" \
	"started maintenance upgrade_failed restored rolled_back" \
	"history: ... upgrade_failed, restored, rolled_back"
rows_after=$(db_rows central)
is "$rows_after" "$rows_before" "$sig: every table has the rows it had" ||
	diag "$(diff <(echo "$rows_before") <(echo "$rows_after"))"
is "$(odoo_fs_tree central)" "$fs_before" "$sig: the filestore is the same tree"
is "$(has_legacy_ref)" 0 "$sig: the upgrade's column is gone"
is "$(stack_psql central "SELECT latest_version FROM ir_module_module
	WHERE name = 'ocr_billing_webhook'")" 19.0.1.0.0 \
	"$sig: the addon is at its old version"
is "$(current_id)" "$good_id" "$sig: R1's container serves again"
is "$(serving)" R1 "$sig: R1 answers through the proxy"
is "$(stack_psql central "SELECT count(*) FROM ocr_billing_event
	WHERE document_id = 'INV-$k'")" 1 \
	"$sig: the event accepted just before the deploy is there"
is "$("$DOCKER" ps -aq --filter "name=$STACK_PROJECT-upgrade" | wc -l)" 0 \
	"$sig: no upgrade container is left"
ok "$sig: no journal left" test ! -e "$STACK_DIR/state/journal"
is "$(stack_psql postgres "SELECT count(*) FROM pg_database
	WHERE datname LIKE 'odooctl_%'")" 0 "$sig: no rollback point is left"
is "$(cat "$STACK_DIR/state/last_good_sha")" "$R1" \
	"$sig: last_good_sha unchanged"
is "$(ocr_event INV-9)" 200 "the webhook takes events afterwards"
done_testing
