#!/usr/bin/env bash
# Chaos: two odooctl processes at once on one environment. While a deploy
# runs, a second deploy, a rollback and a recover are refused (exit 3,
# naming the lock and its holder) and change nothing; the first deploy
# finishes. Two backups at once: the second is refused, the first
# completes, no half-written backup.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/deploy.sh"
. "$(dirname "$0")/../e2e/backup.sh"
. "$(dirname "$0")/chaos.sh"

stack_up e2e
release A
A=$DIGEST
ok "deploy A" "$ODOOCTL" -q deploy "$A" e2e alice
PG=$(stack_container postgres)
release S "slow_start 4"
S=$DIGEST
release B
B=$DIGEST

# while_deploying SECOND...: deploys S (slow to start, so the lock is held
# for seconds), runs SECOND once the deploy is past its gate.
while_deploying() {
	local log=$STACK_DIR/first.log pid end
	"$ODOOCTL" deploy "$S" e2e alice >"$log" 2>&1 &
	pid=$!
	end=$((SECONDS + 60))
	until grep -q '^==> start' "$log" || ((SECONDS > end)); do
		sleep 0.05
	done
	SECOND_OUT=$("$@" 2>&1) && SECOND_RC=0 || SECOND_RC=$?
	wait "$pid" && FIRST_RC=0 || FIRST_RC=$?
}

n=0
for second in "deploy $B e2e bob" "rollback e2e" "recover e2e"; do
	verb=${second%% *}
	n=$((n + 1))
	if ((n > 1)); then	# back to A, for the next round
		"$ODOOCTL" -q rollback "$A" e2e >/dev/null 2>&1 ||
			bail "cannot go back to A"
	fi
	chaos_begin "a $verb during a deploy" "deploy: start"
	chaos_fault_now
	# shellcheck disable=SC2086 # the words of the second command
	while_deploying "$ODOOCTL" $second
	is "$SECOND_RC" 3 "the $verb is refused (exit 3)"
	like "$SECOND_OUT" "deploy.lock' is held by another odooctl \(pid [0-9]+\)" \
		"$verb: it names the lock and its holder"
	is "$FIRST_RC" 0 "$verb: the first deploy finishes"
	chaos_accept_dump
	chaos_end "second command refused (exit 3); the first deploy finished" S A
done

# ---- two backups at once -----------------------------------------------------
pg_sql central "CREATE TABLE big AS SELECT i, md5(i::text) || md5((i + 1)::text) AS t
	FROM generate_series(1, 400000) i" >/dev/null
chaos_begin "a backup during a backup" "backup: dump"
chaos_fault_now
"$ODOOCTL" backup e2e >"$STACK_DIR/b1.log" 2>&1 &
b1=$!
end=$((SECONDS + 60))
until grep -q 'writing' "$STACK_DIR/b1.log" || ((SECONDS > end)); do
	sleep 0.05
done
out=$("$ODOOCTL" backup e2e 2>&1) && rc=0 || rc=$?
wait "$b1" && rc1=0 || rc1=$?
is "$rc" 3 "the second backup is refused (exit 3)"
like "$out" "held by another odooctl" "it says another odooctl holds the lock"
is "$rc1" 0 "the first backup completes"
is "$(find "$STACK_DIR/state/backups" -name '*.zip' | wc -l)" 1 "one backup"
chaos_end "second backup refused (exit 3); the first completed" S

done_testing
