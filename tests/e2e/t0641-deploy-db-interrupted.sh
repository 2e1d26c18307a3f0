#!/usr/bin/env bash
# A database-changing deploy stopped in the middle of its module upgrade,
# after the upgrade committed a change to the schema: with SIGTERM, the
# deploy stops the upgrade, restores the pre-deploy backup and rolls back
# by itself; with SIGKILL (the upgrade container goes on alone), `odooctl
# recover` stops it, restores the backup and brings the old release back.
# Either way the database is exactly what it was before the deploy, and the
# old release serves again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy.sh"
. "$(dirname "$0")/backup.sh"

stack_up e2e
OCR1="CREATE TABLE ocr_v1 (id int);"
VEN1="CREATE TABLE vendor_v1 (id int);"
db_release A "" "$OCR1" "$VEN1"
A=$DIGEST
ok "deploy A" "$ODOOCTL" -q deploy "$A" e2e alice
ODOO=$(current_id)
PG=$(stack_container postgres)
seed_data

# Both addons change: ocr_billing_webhook's upgrade commits a change, then
# vendor_ops's sleeps, so that the deploy can be stopped half-way.
OCR2="ALTER TABLE res_partner ADD COLUMN k int; UPDATE res_partner SET k = 1;"
VEN2="SELECT pg_sleep(60);"
db_release S "" "$OCR2" "$VEN2"
S=$DIGEST

# deploy_and_signal SIGNAL: deploys S, sends SIGNAL once the upgrade has
# committed its first change.
deploy_and_signal() {
	local log=$STACK_DIR/deploy-$1.log pid end
	"$ODOOCTL" deploy "$S" e2e alice >"$log" 2>&1 &
	pid=$!
	end=$((SECONDS + 180))
	until [[ $(pg_sql central "SELECT count(*) FROM information_schema.columns
		WHERE table_name = 'res_partner' AND column_name = 'k'" \
		2>/dev/null) == 1 ]] || ! kill -0 "$pid" 2>/dev/null ||
		((SECONDS > end)); do
		sleep 0.2
	done
	kill "-$1" "$pid" 2>/dev/null || true
	wait "$pid" && SIGNAL_RC=0 || SIGNAL_RC=$?
	OUT=$(cat "$log")
}

for sig in TERM KILL; do
	ODOO=$(current_id)
	good_id=$ODOO
	dump_before=$(db_dump central | sha256sum)
	fs_before=$(fs_tree central)
	n=$(history_lines | wc -l)
	deploy_and_signal "$sig"
	if [[ $sig == TERM ]]; then
		is "$SIGNAL_RC" 1 "SIGTERM mid-upgrade: the deploy exits 1"
		like "$OUT" "interrupted by a signal" "it says it was interrupted"
		like "$OUT" "restore the database and filestore from" \
			"it restores the pre-deploy backup" || diag "$OUT"
		is "$(statuses_since "$n")" \
			"started maintenance upgrade_failed restored rolled_back" \
			"history: ... upgrade_failed, restored, rolled_back"
	else
		is "$SIGNAL_RC" 137 "SIGKILL mid-upgrade"
		like "$("$ODOOCTL" status e2e)" "UNFINISHED: +deploy of $S.*phase upgrade" \
			"status reports the deploy unfinished in its upgrade"
		is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
			"http://127.0.0.1:$PROXY_PORT/web/login")" 503 \
			"the maintenance page is still up"
		out=$("$ODOOCTL" recover e2e 2>&1) && rc=0 || rc=$?
		is "$rc" 0 "odooctl recover" || diag "$out"
		like "$out" "the upgrade of $S may have changed the database" \
			"recover says why it restores"
		is "$(statuses_since "$n")" \
			"started maintenance restored recovered" \
			"history: started, maintenance, restored, recovered"
	fi
	is "$(db_dump central | sha256sum)" "$dump_before" \
		"$sig: the database is exactly what it was (pg_dump)"
	ODOO=$(current_id)
	is "$(fs_tree central)" "$fs_before" "$sig: so is the filestore"
	is "$(current_id)" "$good_id" "$sig: A's container serves again"
	is "$(serving)" A "$sig: A answers through the proxy"
	is "$("$DOCKER" ps -aq --filter "name=$STACK_PROJECT-upgrade" | wc -l)" 0 \
		"$sig: no upgrade container is left"
	is "$("$DOCKER" ps -aq --filter "label=odooctl.release=$S" | wc -l)" 0 \
		"$sig: nor a container of the stopped release"
	ok "$sig: no journal left" test ! -e "$STACK_DIR/state/journal"
	is "$(cat "$STACK_DIR/state/last_good_sha")" "$A" \
		"$sig: last_good_sha unchanged"
done

done_testing
