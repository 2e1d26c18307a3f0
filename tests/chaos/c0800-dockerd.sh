#!/usr/bin/env bash
# Chaos: the Docker engine restarts under a deploy (as a crash and a
# restart by systemd would), mid-pull, mid-switch, and in the upgrade of a
# database-changing release, whose writers are frozen with their restart
# policy off: the engine must not bring the old release back on the
# database the upgrade changes. Containers come back by their restart
# policy; the deploy fails and rolls back, or leaves its journal for
# `odooctl recover` when the engine was gone for its rollback too; either
# way the last good release answers afterwards, on the data it had. Needs the
# dockerd the suite started itself (CI does); skipped on a shared engine.
# run alone: it restarts the engine every other test runs on
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/deploy.sh"
. "$(dirname "$0")/../e2e/backup.sh"
. "$(dirname "$0")/../e2e/services.sh"
. "$(dirname "$0")/chaos.sh"

if [[ ${E2E_DOCKERD_OWNED:-0} != 1 ]]; then
	skip "dockerd restarted mid-pull and mid-switch" \
		"the Docker engine is not the suite's own (run.sh started none)"
	done_testing
	exit 0
fi

relay_stack
sed -i 's/^health_retries *=.*/health_retries = 20/' "$ODOOCTL_CONFIG"
release A
A=$DIGEST
ok "deploy A" "$ODOOCTL" -q deploy "$A" e2e alice

# restart_at PATTERN DIGEST: deploys DIGEST, restarts dockerd when the
# output matches PATTERN; then recover if a journal was left.
restart_at() {
	local log=$STACK_DIR/deploy.log pid end out rc
	: >"$log"
	"$ODOOCTL" deploy "$2" e2e alice >"$log" 2>&1 &
	pid=$!
	end=$((SECONDS + 120))
	until grep -Eq "$1" "$log" || ! kill -0 "$pid" 2>/dev/null ||
		((SECONDS > end)); do
		sleep 0.02
	done
	chaos_fault_now
	ok "dockerd restarted" dockerd_restart
	wait "$pid" && DEPLOY_RC=0 || DEPLOY_RC=$?
	OUTCOME="deploy exit $DEPLOY_RC"
	if [[ -e $STACK_DIR/state/journal ]]; then
		out=$("$ODOOCTL" recover e2e 2>&1) && rc=0 || rc=$?
		is "$rc" 0 "odooctl recover" || diag "$out"
		OUTCOME+="; odooctl recover finished it"
	else
		OUTCOME+=", rolled back by itself"
	fi
}

# ---- mid-pull ----------------------------------------------------------------
big_release B
B=$DIGEST
echo "slow 2000000" >"$RELAY_CONTROL"
chaos_begin "dockerd restarted" "deploy: pull"
restart_at '^==> pull' "$B"
echo fast >"$RELAY_CONTROL"
unlike "$DEPLOY_RC" "^0$" "mid-pull: the deploy did not pass" || true
chaos_end "$OUTCOME" A

# ---- mid-switch --------------------------------------------------------------
release C
C=$DIGEST
chaos_begin "dockerd restarted" "deploy: switch"
restart_at '^==> switch' "$C"
if [[ $DEPLOY_RC == 0 ]]; then
	chaos_end "$OUTCOME (it had switched: C serves)" C A
else
	chaos_end "$OUTCOME" A
fi

# ---- mid-upgrade of a database-changing release --------------------------------
before=$(serving)
PG=$(stack_container postgres)
db_release D "" "CREATE TABLE chaos_d (id int);
SELECT pg_sleep(5);" ""
D=$DIGEST
chaos_begin "dockerd restarted" "database-changing deploy: upgrade"
restart_at '^==> upgrade' "$D"
unlike "$DEPLOY_RC" "^0$" "mid-upgrade: the deploy did not pass" || true
is "$(pg_sql central "SELECT to_regclass('chaos_d') IS NULL" || true)" t \
	"mid-upgrade: the upgrade's table is gone (the rollback point is back)"
chaos_end "$OUTCOME" "$before"

done_testing
