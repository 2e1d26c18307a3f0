#!/usr/bin/env bash
# Chaos: odooctl killed with SIGKILL, or stopped with SIGTERM, at each
# phase of a database-changing deploy (backup and verify while the old
# release serves, maintenance, writers, rollback point, upgrade, start,
# health, switch; c0400 does the code-only deploy, a rollback, a backup
# and a restore). SIGTERM rolls back by itself (exit 1);
# after SIGKILL, `odooctl recover` does (a person runs it: status says
# so). Either way the last good release answers and the database is what
# it was before.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/deploy.sh"
. "$(dirname "$0")/../e2e/backup.sh"
. "$(dirname "$0")/chaos.sh"

stack_up e2e
sed -i 's/^health_retries *=.*/health_retries = 20/;
	s/^drain_seconds *=.*/drain_seconds = 2/' "$ODOOCTL_CONFIG"
OCR1="CREATE TABLE ocr_v1 (id int);"
VEN1="CREATE TABLE vendor_v1 (id int);"
db_release A "" "$OCR1" "$VEN1"
A=$DIGEST
ok "deploy A" "$ODOOCTL" -q deploy "$A" e2e alice
ODOO=$(current_id)
PG=$(stack_container postgres)
seed_data
# D: changes the database, slow to start
db_release D "slow_start 2" "ALTER TABLE res_partner ADD COLUMN d int;
UPDATE res_partner SET d = 1;" "$VEN1"
D=$DIGEST

for sig in KILL TERM; do
	for phase in "backup of" verify maintenance "freeze Odoo's writers" \
		"rollback point" upgrade start health switch; do
		name=${phase%% *}
		[[ $phase != "rollback point" ]] || name=$phase
		chaos_begin "SIG$sig" "database-changing deploy: $name"
		kill_at "$sig" "^==> $phase" deploy "$D" e2e alice
		after_kill "$sig" "database-changing $name"
	done
done

done_testing
