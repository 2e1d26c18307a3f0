#!/usr/bin/env bash
# Chaos on the real Odoo 19's rollback point (rollback_point = clone): a
# database-changing deploy killed (SIGKILL) while PostgreSQL clones the
# database, in the middle of the real `odoo -u` (after a migration script
# committed a column), and while a failed upgrade's point is swapped back;
# stopped (SIGTERM) during that swap back; PostgreSQL stopped while it
# clones; and too little room in PostgreSQL's data directory for the clone
# (a tmpfs the test mounts on the host, bound as the stack's pgdata volume,
# then filled up), where the gate falls back to a backup. After each, `odooctl recover` where a person would run it: R1
# serves, every table has the rows it had (FROM ONLY), the filestore is the
# same tree, the column is gone, and no rollback point is left.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/deploy.sh"
. "$(dirname "$0")/../e2e/real.sh"
. "$(dirname "$0")/chaos.sh"
real_or_skip

# PostgreSQL's data on a tmpfs of the host's that the disk cell can fill
# (a tmpfs volume of Docker's own would be emptied when the container
# stops); a small WAL, so that the database's own writes stay far below
# its size.
pgdata=$(mktemp -d /tmp/odooctl-c0450-pgdata.XXXXXX)
cleanup() {	# under set -e: nothing here may fail
	local rc=$?
	stack_down_all || true
	umount -l "$pgdata" 2>/dev/null || true
	rmdir "$pgdata" 2>/dev/null || true
	exit "$rc"
}
mount -t tmpfs -o size=768m,uid=999,gid=999,mode=0700 tmpfs "$pgdata" ||
	bail "cannot mount a tmpfs for PostgreSQL's data"
real_stack_up e2e
trap cleanup EXIT
cat >"$STACK_DIR/pgdata-tmpfs.yml" <<-EOF
	version: "2.4"
	services:
	  postgres:
	    command: ["postgres", "-c", "max_wal_size=64MB", "-c", "min_wal_size=32MB"]
	volumes:
	  pgdata:
	    driver_opts:
	      type: none
	      o: bind
	      device: $pgdata
EOF
stack_compose_add "$STACK_DIR/pgdata-tmpfs.yml"
real_quiet_r1
PGC=$(stack_container postgres)
MIGRATION_THEN='sleep 120' real_release S real_migration
S=$DIGEST
real_release F real_migration	# its migration raises after its commit
F=$DIGEST

# The baseline of a cell, and what chaos_end compares with it.
baseline() {
	ROWS0=$(db_rows central)
	FS0=$(odoo_fs_tree central)
}
chaos_data_check() {
	local rows
	rows=$(db_rows central)
	[[ $rows == "$ROWS0" ]] ||
		echo "rows differ: $(diff <(echo "$ROWS0") <(echo "$rows") | grep '^[<>]' | head -n 4 | tr '\n' ' ')"
	[[ $(odoo_fs_tree central) == "$FS0" ]] || echo "the filestore differs"
	[[ $(has_legacy_ref) == 0 ]] || echo "the upgrade's column is there"
	[[ $(stack_psql postgres "SELECT count(*) FROM pg_database
		WHERE datname LIKE 'odooctl_%'") == 0 ]] || echo "a rollback point is left"
}

# deploy_until DIGEST PATTERN|column: a deploy in the background, until its
# output has a line matching PATTERN (or the upgrade committed its column);
# then the fault is now.
deploy_until() {
	local end=$((SECONDS + 240))
	LOG=$STACK_DIR/deploy.log
	: >"$LOG"
	"$ODOOCTL" deploy "$1" e2e alice >"$LOG" 2>&1 &
	PID=$!
	until { [[ $2 == column ]] && [[ $(has_legacy_ref) == 1 ]]; } ||
		{ [[ $2 != column ]] && grep -Eq "$2" "$LOG"; } ||
		! kill -0 "$PID" 2>/dev/null || ((SECONDS > end)); do
		sleep 0.02
	done
	chaos_fault_now
}

# killed WHAT: after a SIGKILL, a person runs recover (its output in $OUT).
killed() {
	local rc
	wait "$PID" && rc=0 || rc=$?
	is "$rc" 137 "$1: SIGKILL" || diag "$(cat "$LOG")"
	OUT=$("$ODOOCTL" recover e2e 2>&1) && rc=0 || rc=$?
	is "$rc" 0 "$1: odooctl recover" || diag "$OUT"
}

# ---- SIGKILL at the clone, at the -u, at the swap back -------------------------
baseline
chaos_begin SIGKILL "real Odoo 19, database-changing deploy: rollback point (clone)"
deploy_until "$S" '^==> rollback point'
kill -KILL "$PID"
killed "clone"
chaos_end "SIGKILL: odooctl recover brought R1 back, the point dropped" R1

baseline
chaos_begin SIGKILL "real Odoo 19, database-changing deploy: upgrade (after a commit)"
n=$(history_lines | wc -l)
deploy_until "$S" column
kill -KILL "$PID"
wait "$PID" || true
is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	"http://127.0.0.1:$PROXY_PORT/web/login")" 503 \
	"upgrade: after the SIGKILL the maintenance page is still up"
killed "upgrade"
like "$(cat "$LOG")" "rollback point 'odooctl_point_central': database copied" \
	"upgrade: the point was a clone"
like "$OUT" "the upgrade of $S may have changed the database" \
	"upgrade: recover says why it swaps the point back"
is "$(statuses_since "$n")" "started maintenance restored recovered" \
	"upgrade: history: started, maintenance, restored, recovered"
chaos_end "SIGKILL: odooctl recover swapped the point back" R1

for sig in KILL TERM; do
	baseline
	chaos_begin "SIG$sig" "real Odoo 19, failed upgrade: swap back"
	deploy_until "$F" '^==> swap back'
	kill "-$sig" "$PID"
	if [[ $sig == KILL ]]; then
		killed "swap back"
	else
		wait "$PID" && rc=0 || rc=$?
		is "$rc" 1 "swap back: SIGTERM: the deploy still exits 1" ||
			diag "$(cat "$LOG")"
		like "$(cat "$LOG")" "swapped back to the rollback point" \
			"swap back: SIGTERM waits for it to finish"
	fi
	chaos_end "SIG$sig: R1 serves on the point swapped back" R1
done

# ---- PostgreSQL stopped while it clones ---------------------------------------
# R1 cannot answer health without PostgreSQL: a shorter wait for it
sed -i 's/^health_retries .*/health_retries = 8/' "$ODOOCTL_CONFIG"
baseline
chaos_begin "PostgreSQL stopped" "real Odoo 19, database-changing deploy: rollback point (clone)"
deploy_until "$S" '^==> rollback point'
"$DOCKER" stop -t 5 "$PGC" >/dev/null
wait "$PID" && rc=0 || rc=$?
is "$rc" 1 "PostgreSQL stopped: the deploy fails (exit 1)" || diag "$(cat "$LOG")"
"$DOCKER" start "$PGC" >/dev/null
wait_healthy "$PGC" 60 || bail "postgres does not come back"
out=$("$ODOOCTL" recover e2e 2>&1) && rc=0 || rc=$?
is "$rc" 0 "PostgreSQL stopped: with it back, odooctl recover" || diag "$out"
chaos_end "deploy failed before the upgrade; odooctl recover brought R1 back" R1
sed -i 's/^health_retries .*/health_retries = 60/' "$ODOOCTL_CONFIG"

# ---- too little room for the clone -------------------------------------------
size=$(stack_psql postgres "SELECT pg_database_size('central')")
avail=$(df -Pk "$pgdata" | awk 'END { print $4 * 1024 }')
# leave the database's size and 200 MiB free (a restore's room), below
# disk_floor_mb (256 MiB here) more than the size
sed -i 's/^disk_floor_mb .*/disk_floor_mb = 256/' "$ODOOCTL_CONFIG"
fill=$(((avail - size - (200 << 20)) >> 20))
dd if=/dev/zero of="$pgdata/odooctl-test-filler" bs=1M count="$fill" \
	2>"$STACK_DIR/dd.log" ||
	bail "cannot fill PostgreSQL's data directory: $(cat "$STACK_DIR/dd.log")"
baseline
chaos_begin "no room for the clone" "real Odoo 19, database-changing deploy: gate"
chaos_fault_now
out=$("$ODOOCTL" deploy "$F" e2e alice 2>&1) && rc=0 || rc=$?
is "$rc" 1 "no room: the failed upgrade exits 1" || diag "$out"
like "$out" "gate rollback_point: the clone of database 'central' needs .* free in PostgreSQL's data directory" \
	"no room: the gate says why" || diag "$out"
like "$out" "the rollback point will be a verified backup" \
	"no room: and falls back to a backup"
like "$out" "restored from the pre-deploy backup" \
	"no room: the failed upgrade is undone from it"
chaos_end "gate fell back to a backup; the failed upgrade restored from it" R1
rm -f "$pgdata/odooctl-test-filler"

done_testing
