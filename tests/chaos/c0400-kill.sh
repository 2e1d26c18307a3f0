#!/usr/bin/env bash
# Chaos: odooctl killed with SIGKILL, or stopped with SIGTERM, at each
# phase of a code-only deploy (c0410: of a database-changing one), of a
# rollback, of a backup and of a restore. SIGTERM rolls back by itself (exit 1);
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
# K: code-only, slow to start
db_release K "slow_start 2" "$OCR1" "$VEN1"
K=$DIGEST

for sig in KILL TERM; do
	for phase in pull start health smoke switch drain; do
		chaos_begin "SIG$sig" "code-only deploy: $phase"
		if [[ $phase == pull ]]; then	# make the pull real
			"$DOCKER" rmi "$STACK_REPO@$K" >/dev/null 2>&1 || true
		fi
		kill_at "$sig" "^==> $phase" deploy "$K" e2e alice
		after_kill "$sig" "code-only $phase"
	done
done

# ---- a rollback --------------------------------------------------------------
ok "deploy K (code-only)" "$ODOOCTL" -q deploy "$K" e2e alice
for sig in KILL TERM; do
	for phase in start health switch; do
		chaos_begin "SIG$sig" "rollback: $phase"
		"$DOCKER" stop -t 1 "$("$DOCKER" ps -aq --filter \
			"label=odooctl.release=$A" | head -n 1)" >/dev/null 2>&1 || true
		kill_at "$sig" "^==> $phase" rollback "$A" e2e
		if [[ $sig == KILL ]]; then
			is "$KILLED_RC" 137 "rollback $phase: SIGKILL"
			out=$("$ODOOCTL" recover e2e 2>&1) && rc=0 || rc=$?
			is "$rc" 0 "rollback $phase: odooctl recover" || diag "$out"
			want=$(serving)
			like "$want" '^(A|K)$' "rollback $phase: A or K serves"
			chaos_end "SIGKILL: odooctl recover settled it" "$want"
		else
			like "$KILLED_RC" '^[13]$' "rollback $phase: SIGTERM: exits 1" ||
				diag "$KILLED_OUT"
			chaos_end "SIGTERM: back to K by itself" K
		fi
		# back to K serving, for the next round
		[[ $(serving) == K ]] || "$ODOOCTL" -q rollback "$K" e2e >/dev/null 2>&1 ||
			bail "cannot go back to K"
	done
done
"$ODOOCTL" -q rollback "$A" e2e >/dev/null 2>&1 || bail "cannot go back to A"

# ---- a backup and a restore --------------------------------------------------
pg_sql central "CREATE TABLE big AS SELECT i, md5(i::text) || md5((i + 1)::text) AS t
	FROM generate_series(1, 400000) i" >/dev/null
zip=$("$ODOOCTL" -q backup e2e) || bail "backup failed"
for sig in KILL TERM; do
	chaos_begin "SIG$sig" "backup: dump"
	kill_at "$sig" "writing" backup e2e
	like "$KILLED_RC" '^(1|137|143)$' "backup: SIG$sig stops it"
	out=$("$ODOOCTL" -q backup e2e 2>&1) && rc=0 || rc=$?
	is "$rc" 0 "backup: the next backup works (and sweeps what was left)" ||
		diag "$out"
	chaos_end "SIG$sig: no backup; the next one sweeps the partial file" A
	for phase in "restore .* into staging" "swap"; do
		chaos_begin "SIG$sig" "restore --force: ${phase%% *}"
		kill_at "$sig" "^==> $phase" restore "$zip" e2e --force
		# what a person runs after any killed odooctl: it starts Odoo
		# again if the restore had stopped it for its swap
		out=$("$ODOOCTL" recover e2e 2>&1) && rc=0 || rc=$?
		is "$rc" 0 "restore ${phase%% *}: odooctl recover" || diag "$out"
		is "$(serving)" A "restore ${phase%% *}: A answers after recover"
		ODOO=$(current_id)
		out=$("$ODOOCTL" -q restore "$zip" e2e --force 2>&1) && rc=0 || rc=$?
		is "$rc" 0 "restore ${phase%% *}: restoring again works" || diag "$out"
		chaos_accept_dump
		chaos_end "SIG$sig: the database whole, before or after; odooctl recover, then restoring again works" A
	done
done

done_testing
