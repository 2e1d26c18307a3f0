#!/usr/bin/env bash
# odooctl health: every check ok on a deployed stack with a fresh verified
# backup (exit 0, --json); PostgreSQL stopped -> exit 1 with the database
# checks and the application's readiness failing; started again -> 0; a
# disk threshold of 1 % -> exit 1 naming the mount.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy.sh"

# health_rc [ARGS...]: the exit status of `odooctl health ARGS`, its output
# in $HEALTH_OUT.
health_rc() {
	HEALTH_OUT=$("$ODOOCTL" health "$@" 2>&1) && HEALTH_RC=0 || HEALTH_RC=$?
}

# until_healthy TIMEOUT: retries `health e2e` (the CPU check samples a
# shared machine; Odoo reconnects to PostgreSQL by itself).
until_healthy() {
	local end=$((SECONDS + $1))
	while :; do
		health_rc e2e
		((HEALTH_RC == 0 || SECONDS >= end)) && return 0
		sleep 2
	done
}

stack_up e2e
release A
ok "deploy A" "$ODOOCTL" -q deploy "$DIGEST" e2e alice
health_rc e2e
is "$HEALTH_RC" 1 "before any backup: unhealthy" || diag "$HEALTH_OUT"
like "$HEALTH_OUT" "FAIL +backup\.age .*no verified backup" \
	"the backup check says there is no verified backup"
ok "a backup" "$ODOOCTL" -q backup e2e
ok "verified" "$ODOOCTL" -q verify latest e2e

until_healthy 30
is "$HEALTH_RC" 0 "health exits 0" || diag "$HEALTH_OUT"
for ((i = 0; i < 15; i++)); do	# the CPU sample again: a shared machine
	json=$("$ODOOCTL" health e2e --json) || true
	[[ $(jq -r .healthy <<<"$json") == true ]] && break
	sleep 2
done
is "$(jq -r .healthy <<<"$json")" true "--json: healthy" || diag "$json"
is "$(jq '[.checks[] | select(.ok | not)] | length' <<<"$json")" 0 \
	"--json: every check ok" || diag "$json"
for c in app.health app.ready app.proxy container.odoo container.postgres \
	db.server db.business db.connections system.cpu system.memory \
	backup.age; do
	is "$(jq -r --arg c "$c" '.checks[] | select(.name == $c) | .ok' \
		<<<"$json")" true "--json has $c, ok"
done
like "$(jq -r '.checks[] | select(.name | startswith("disk:")) | .detail' \
	<<<"$json")" "state_dir" "a disk check covers the state_dir"
like "$(jq -r '.checks[] | select(.name == "db.server") | .value' \
	<<<"$json")" "^[0-9.]+ ms$" "db.server has the latency of SELECT 1"
like "$(jq -r '.checks[] | select(.name == "db.connections") | .value' \
	<<<"$json")" "^[0-9]+/[0-9]+$" "db.connections: backends/max_connections"
like "$(jq -r '.checks[] | select(.name == "container.postgres") | .value' \
	<<<"$json")" "^running, 0 restarts$" "postgres: running, 0 restarts"
like "$(grep app.health <<<"$HEALTH_OUT")" "^ok +app\.health +200 +GET " \
	"the human line: ok  name  value  detail"

pg=$(stack_container postgres)
"$DOCKER" stop "$pg" >/dev/null
health_rc e2e --json
is "$HEALTH_RC" 1 "PostgreSQL stopped: exit 1"
for c in db.server db.business app.ready container.postgres; do
	is "$(jq -r --arg c "$c" '.checks[] | select(.name == $c) | .ok' \
		<<<"$HEALTH_OUT")" false "PostgreSQL stopped: $c fails" ||
		diag "$HEALTH_OUT"
done
like "$(jq -r '.checks[] | select(.name == "db.server") | .detail' \
	<<<"$HEALTH_OUT")" "cannot connect to PostgreSQL" \
	"the database check says why"

"$DOCKER" start "$pg" >/dev/null
wait_healthy "$pg" 90
until_healthy 60
is "$HEALTH_RC" 0 "PostgreSQL started again: exit 0" || diag "$HEALTH_OUT"

cp "$STACK_DIR/odooctl.conf" "$STACK_DIR/disk.conf"
printf 'disk_max_percent = 1\n' >>"$STACK_DIR/disk.conf"
HEALTH_OUT=$(ODOOCTL_CONFIG=$STACK_DIR/disk.conf "$ODOOCTL" health e2e) &&
	HEALTH_RC=0 || HEALTH_RC=$?
is "$HEALTH_RC" 1 "disk_max_percent = 1: exit 1"
mount=$(df --output=target "$STACK_DIR/state" | tail -n 1)
like "$(grep "disk:$mount " <<<"$HEALTH_OUT")" "^FAIL +disk:$mount +[0-9]+% +mount $mount holds the .*state_dir" \
	"the failing disk check names the mount of the state_dir" ||
	diag "$HEALTH_OUT"

health_rc e2e --bogus
is "$HEALTH_RC" 2 "an unknown option: exit 2"
health_rc nosuchenv
is "$HEALTH_RC" 2 "an unknown environment: exit 2"
done_testing
