#!/usr/bin/env bash
# A drill is torn down whatever happens: SIGTERM while the scratch Odoo
# starts ends it with exit 1, "interrupted by a signal", and nothing left
# (container, its volumes, the scratch database); what a SIGKILL leaves,
# the next drill removes (and says so) before it runs, and passes. The
# release starts slowly (standin_fault slow_start), so the drill is caught
# with its scratch container running.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy.sh"
. "$(dirname "$0")/backup.sh"

stack_up e2e
release A "slow_start 3"
"$ODOOCTL" -q deploy "$DIGEST" e2e alice >"$STACK_DIR/deploy.log" 2>&1 ||
	bail "the first deploy failed: $(cat "$STACK_DIR/deploy.log")"
ODOO=$(current_id)
PG=$(stack_container postgres)
seed_data
"$ODOOCTL" -q backup e2e >/dev/null || bail "the backup failed"

scratch_ids() {
	"$DOCKER" ps -aq --filter "label=odooctl.drill=$STACK_PROJECT"
}

# Starts a drill in the background ($drill) and waits for its scratch
# container to run; its volumes in $volumes.
drill_until_running() {
	"$ODOOCTL" drill e2e >"$STACK_DIR/drill.out" 2>"$STACK_DIR/drill.err" &
	drill=$!
	local end=$((SECONDS + 60)) id=
	while ((SECONDS < end)) && [[ -z $id ]]; do
		id=$("$DOCKER" ps -q --filter "label=odooctl.drill=$STACK_PROJECT" \
			--filter status=running)
		sleep 0.1
	done
	[[ -n $id ]] || bail "no running scratch container within 60 s"
	volumes=$("$DOCKER" inspect -f '{{range .Mounts}}{{.Name}} {{end}}' "$id")
}

volumes_left() {
	local v n=0
	for v in $volumes; do
		"$DOCKER" volume inspect "$v" >/dev/null 2>&1 && n=$((n + 1))
	done
	echo "$n"
}

drill_until_running
kill -TERM "$drill"
wait "$drill" && rc=0 || rc=$?
is "$rc" 1 "SIGTERM during the drill: exit 1"
like "$(cat "$STACK_DIR/drill.err")" "FAILED at health: interrupted by a signal" \
	"it says it was interrupted, in which step"
like "$(cat "$STACK_DIR/drill.out")" "ok +teardown " "teardown ran"
is "$(scratch_ids | wc -l)" 0 "no drill container left"
is "$(volumes_left)" 0 "none of its volumes left ($(wc -w <<<"$volumes"))"
unlike "$(databases)" "odooctl_" "no scratch database left"
is "$(history_lines | tail -n 1 | awk -F ' [|] ' '{ print $4 }')" drill_failed \
	"history: drill_failed"

drill_until_running
kill -KILL "$drill"
wait "$drill" 2>/dev/null || true
is "$(scratch_ids | wc -l)" 1 "SIGKILL leaves the scratch container"
like "$(databases)" "odooctl_drill_e2e" "and the scratch database"

out=$("$ODOOCTL" drill e2e 2>"$STACK_DIR/drill.err") && rc=0 || rc=$?
is "$rc" 0 "the next drill passes" || diag "$(cat "$STACK_DIR/drill.err")"
like "$(cat "$STACK_DIR/drill.err")" "removing .*left by a drill that was killed" \
	"after removing the killed one's container"
like "$(cat "$STACK_DIR/drill.err")" "dropping database 'odooctl_drill_e2e', left by a drill that was killed" \
	"and its database"
is "$(scratch_ids | wc -l)" 0 "no drill container left"
is "$(volumes_left)" 0 "none of the killed one's volumes left"
unlike "$(databases)" "odooctl_" "no scratch database left"
like "$out" "PASS  drill of e2e" "PASS"

done_testing
