#!/usr/bin/env bash
# Chaos: PostgreSQL stops under odooctl. Mid-backup: the backup fails and
# leaves nothing that looks like a backup; the next one, with PostgreSQL
# back, works. Mid-upgrade of a database-changing deploy: the upgrade
# fails, and so does swapping its rollback point back (PostgreSQL is still
# down), so the maintenance page stays up and the journal stays; once
# PostgreSQL is back, `odooctl recover` swaps the point back and the old
# release serves: the database is what it was before the deploy.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/deploy.sh"
. "$(dirname "$0")/../e2e/backup.sh"
. "$(dirname "$0")/chaos.sh"

stack_up e2e
OCR1="CREATE TABLE ocr_v1 (id int);"
VEN1="CREATE TABLE vendor_v1 (id int);"
db_release A "" "$OCR1" "$VEN1"
A=$DIGEST
ok "deploy A" "$ODOOCTL" -q deploy "$A" e2e alice
ODOO=$(current_id)
PG=$(stack_container postgres)
seed_data
pg_sql central "CREATE TABLE big AS SELECT i, md5(i::text) || md5((i + 1)::text) AS t
	FROM generate_series(1, 600000) i" >/dev/null

pg_stop() { "$DOCKER" stop -t 5 "$PG" >/dev/null; }
pg_start() {
	"$DOCKER" start "$PG" >/dev/null
	wait_healthy "$PG" 60 || bail "postgres does not come back"
}

# ---- mid-backup --------------------------------------------------------------
chaos_begin "PostgreSQL stopped" "backup: dump"
log=$STACK_DIR/backup.log
: >"$log"
"$ODOOCTL" backup e2e >"$log" 2>&1 &
pid=$!
end=$((SECONDS + 60))
until grep -q 'writing' "$log" || ((SECONDS > end)); do sleep 0.05; done
chaos_fault_now
pg_stop
wait "$pid" && rc=0 || rc=$?
is "$rc" 1 "the backup fails (exit 1)" || diag "$(cat "$log")"
is "$(find "$STACK_DIR/state/backups" -name '*.zip' | wc -l)" 0 \
	"no zip was left"
pg_start
ok "with PostgreSQL back, a backup works" "$ODOOCTL" -q backup e2e
chaos_end "backup failed, nothing left; the next one works" A

# ---- mid-upgrade -------------------------------------------------------------
# ocr_billing_webhook's upgrade commits a change, vendor_ops's sleeps.
db_release D "" "ALTER TABLE res_partner ADD COLUMN d int; UPDATE res_partner SET d = 1;" \
	"SELECT pg_sleep(60);"
D=$DIGEST
ODOO=$(current_id)
chaos_begin "PostgreSQL stopped" "database-changing deploy: upgrade"
log=$STACK_DIR/deploy.log
: >"$log"
"$ODOOCTL" deploy "$D" e2e alice >"$log" 2>&1 &
pid=$!
end=$((SECONDS + 180))
until [[ $(pg_sql central "SELECT count(*) FROM information_schema.columns
	WHERE table_name = 'res_partner' AND column_name = 'd'" 2>/dev/null) == 1 ]] ||
	! kill -0 "$pid" 2>/dev/null || ((SECONDS > end)); do
	sleep 0.2
done
chaos_fault_now
pg_stop
wait "$pid" && rc=0 || rc=$?
is "$rc" 1 "the deploy fails (exit 1)"
like "$(cat "$log")" "swapping back the rollback point failed too.*maintenance page stays up" \
	"it says the swap back failed too and the maintenance page stays" ||
	diag "$(cat "$log")"
is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	"http://127.0.0.1:$PROXY_PORT/web/login")" 503 "the maintenance page is up"
ok "the journal stays, for recover" test -e "$STACK_DIR/state/journal"
pg_start
out=$("$ODOOCTL" recover e2e 2>&1) && rc=0 || rc=$?
is "$rc" 0 "with PostgreSQL back, odooctl recover" || diag "$out"
like "$out" "swap back the rollback point" "it swaps the rollback point back"
chaos_end "deploy failed, maintenance page kept; odooctl recover swapped the rollback point back" A

done_testing
