#!/usr/bin/env bash
# odooctl monitor against a deployed stack, with a webhook receiver and a
# command hook on loopback: the Odoo container stopped -> a "down" alert
# within two intervals, "recovered" after it starts; PostgreSQL stopped ->
# the database and readiness checks go down; a disk threshold crossed on a
# small tmpfs -> an alert naming the mount; a check failing within the
# retry budget sends nothing; /metrics passes promtool; a dead or slow
# receiver never delays the passes, and its retries are bounded; SIGHUP
# reloads (a broken file is refused), SIGTERM stops cleanly; the webhook's
# token is never logged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy.sh"

INTERVAL=3
RETRIES=2
TOKEN=T0KEN$RANDOM$RANDOM
HOOK_PORT=$(free_port)
METRICS_PORT=$(free_port)
MON_PID=
RECV_PID=

stack_up e2e
disk=$STACK_DIR/small
HOOK=$STACK_DIR/hook.out
CMD=$STACK_DIR/cmd.out
LOG=$STACK_DIR/monitor.log
cleanup() {	# under set -e: nothing here may fail
	local rc=$?
	[[ -z $MON_PID ]] || kill "$MON_PID" 2>/dev/null || true
	[[ -z $RECV_PID ]] || kill "$RECV_PID" 2>/dev/null || true
	umount -l "$disk" 2>/dev/null || true
	stack_down_all || true
	exit "$rc"
}
trap cleanup EXIT

# receiver [ARGS]: (re)starts the webhook receiver on $HOOK_PORT.
receiver() {
	[[ -z $RECV_PID ]] || { kill "$RECV_PID" 2>/dev/null || true; }
	[[ -z $RECV_PID ]] || wait "$RECV_PID" 2>/dev/null || true
	RECV_PID=
	(($# == 1)) && [[ $1 == off ]] && return 0
	python3 "$E2E_ROOT/tests/e2e/webhook_receiver.py" "$HOOK_PORT" "$HOOK" \
		"$@" >"$STACK_DIR/recv.ready" &
	RECV_PID=$!
	for _ in $(seq 1 50); do
		[[ -s $STACK_DIR/recv.ready ]] && return 0
		sleep 0.1
	done
	return 1
}

metrics() {
	curl -fs --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics" || true
}

# metric NAME CHECK: the value of NAME{...,check="CHECK"}.
metric() {
	metrics | awk -v n="$1" -v c="check=\"$2\"" \
		'index($0, n "{") == 1 && index($0, c) { print $2 }'
}

passes() {
	metrics | awk '/^odooctl_monitor_passes_total/ { print $2 }'
}

# alerts FILE EVENT CHECK: how many alerts of EVENT for CHECK in FILE.
alerts() {
	[[ $1 == /dev/stdin || -f $1 ]] || { echo 0; return 0; }
	grep -o '{.*' "$1" | jq -c --arg e "$2" --arg c "$3" \
		'select(.event == $e and .check == $c)' 2>/dev/null | wc -l
}

# mark: alerts the receiver got so far are not waited for any more.
mark() {
	MARK=$(wc -l <"$HOOK" 2>/dev/null || echo 0)
}

# wait_alert EVENT CHECK TIMEOUT: until the receiver got such an alert
# after the mark; the time it took in $TOOK (seconds, 0.1 s steps).
wait_alert() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		if (($(tail -n +$((MARK + 1)) "$HOOK" 2>/dev/null |
			alerts /dev/stdin "$1" "$2") > 0)); then
			TOOK=$(awk -v i="$i" 'BEGIN { printf "%.1f", i / 10 }')
			return 0
		fi
		sleep 0.1
	done
	diag "no '$1' alert for $2 within $3 s"
	diag "$(tail -n 20 "$LOG")"
	return 1
}

# wait_log ERE TIMEOUT: until the monitor's log has a line matching ERE.
wait_log() {
	local end=$((SECONDS + $2))
	until grep -Eq -- "$1" "$LOG"; do
		((SECONDS < end)) || return 1
		sleep 0.2
	done
}

# alert_ok DESC EVENT CHECK TIMEOUT: wait_alert as a TAP line.
alert_ok() {
	if wait_alert "$2" "$3" "$4"; then
		ok "$1"
	else
		fail "$1"
	fi
}

# wait_metric NAME CHECK VALUE TIMEOUT
wait_metric() {
	local end=$((SECONDS + $4))
	while [[ $(metric "$1" "$2") != "$3" ]]; do
		((SECONDS < end)) || return 1
		sleep 0.1
	done
}

stack_start
release A
ok "deploy A" "$ODOOCTL" -q deploy "$DIGEST" e2e alice
mkdir -p "$disk"
mount -t tmpfs -o size=4m tmpfs "$disk"
# the checks that depend on this shared machine's load are not the subject
cat >>"$ODOOCTL_CONFIG" <<-EOF
	backup_dir = $disk
	backup_max_age_hours = 0
	cpu_max_percent = 100
	mem_max_percent = 100
	disk_max_percent = 50
	monitor_interval = $INTERVAL
	monitor_retries = $RETRIES
	monitor_timeout = 5
	monitor_reminder = 0
	alert_webhook_url = http://127.0.0.1:$HOOK_PORT/hooks/$TOKEN
	alert_timeout = 2
	alert_retries = 2
	alert_command = sh $STACK_DIR/hook.sh >>$CMD
	metrics_listen = 127.0.0.1:$METRICS_PORT
EOF
: >"$HOOK"
# shellcheck disable=SC2016 # expanded when the hook runs
printf '%s\n' 'printf "%s %s " "$ODOOCTL_ALERT_EVENT" "$ODOOCTL_ALERT_CHECK"' \
	'cat' 'echo' >"$STACK_DIR/hook.sh"
receiver
"$ODOOCTL" monitor e2e 2>"$LOG" &
MON_PID=$!

ok "the monitor serves /metrics" wait_http \
	"http://127.0.0.1:$METRICS_PORT/metrics" 200 30 || bail "$(cat "$LOG")"
# odooctl handed over to its own program (same process id), which maps the
# kept libraries of its protocols and not libarchive
like "$(readlink "/proc/$MON_PID/exe")" '/odooctl-monitor$' \
	"odooctl monitor runs as odooctl-monitor (same pid)"
maps=$(awk '{ print $6 }' "/proc/$MON_PID/maps" | sort -u)
like "$maps" 'libcurl' "it maps libcurl (HTTP)"
like "$maps" 'libpq' "it maps libpq (the database probes)"
like "$maps" 'libmicrohttpd' "it maps libmicrohttpd (/metrics)"
unlike "$maps" 'libarchive' "it does not map libarchive"
wait_metric odooctl_check_state app.health 1 30 || true
for c in app.health app.ready app.proxy container.odoo container.postgres \
	db.server db.business "disk:$disk"; do
	is "$(metric odooctl_check_state "$c")" 1 "$c is up" ||
		diag "$(metrics | grep "check=\"$c\"")"
done
sleep $((INTERVAL * 2))
is "$(wc -l <"$HOOK" 2>/dev/null || echo 0)" 0 "all up: no alert" ||
	diag "$(cat "$HOOK")"
metrics >"$STACK_DIR/metrics.txt"
ok "/metrics passes promtool check metrics" promtool check metrics \
	<"$STACK_DIR/metrics.txt"
like "$(grep '^odooctl_release_info' "$STACK_DIR/metrics.txt")" \
	"digest=\"$DIGEST\".* 1$" "/metrics has the serving release's digest"
like "$(metric odooctl_check_latency_seconds db.server)" '^0\.[0-9]+$' \
	"/metrics has the database check's latency"
like "$(curl -s -o /dev/null -w '%{http_code}' \
	"http://127.0.0.1:$METRICS_PORT/nope")" '^404$' "other paths: 404"

# ---- the Odoo container stopped, then started --------------------------
odoo=$(current_id)
mark
"$DOCKER" stop "$odoo" >/dev/null
alert_ok "Odoo stopped: app.health down alert" down app.health 30
t=$TOOK
like "$t" '^[0-9.]+$' "down alert after $t s (interval $INTERVAL s, retries $RETRIES)"
ok "it came within two intervals" \
	awk -v t="$t" -v i="$INTERVAL" 'BEGIN { exit !(t <= 2 * i) }'
alert_ok "container.odoo down too" down container.odoo 5
is "$(alerts "$CMD" down app.health)" 1 \
	"the command hook got the same alert on stdin"
like "$(grep -c '^down app.health {' "$CMD")" '^1$' \
	"with ODOOCTL_ALERT_EVENT and ODOOCTL_ALERT_CHECK set"
body=$(grep -o '{.*' "$HOOK" | jq -c 'select(.check == "app.health")' |
	head -n 1)
is "$(jq -r '[.source, .env, .state, .release] | join(" ")' <<<"$body")" \
	"odooctl e2e down $DIGEST" "the JSON alert: source, env, state, release"
like "$(jq -r .summary <<<"$body")" '^\[e2e\] app\.health is DOWN on ' \
	"and a summary line"
sleep $((INTERVAL * 3))
is "$(alerts "$HOOK" down app.health)" 1 "still down: no second alert"
"$DOCKER" start "$odoo" >/dev/null
alert_ok "started again: app.health recovered alert" \
	recovered app.health 60
like "$(grep -o '{.*' "$HOOK" | jq -r 'select(.event == "recovered" and
	.check == "app.health") | .summary')" 'recovered on .* after [0-9]+' \
	"the recovery says how long it was down"

# ---- PostgreSQL stopped, then started ------------------------------------
pg=$(stack_container postgres)
mark
"$DOCKER" stop "$pg" >/dev/null
for c in db.server db.business app.ready; do
	alert_ok "PostgreSQL stopped: $c down" down "$c" 30
done
like "$(grep -o '{.*' "$HOOK" | jq -r 'select(.check == "db.server") |
	.detail' | head -n 1)" "cannot connect to PostgreSQL" \
	"the database alert says why"
"$DOCKER" start "$pg" >/dev/null
wait_healthy "$pg" 90 || true
for c in db.server app.ready; do
	alert_ok "PostgreSQL started: $c recovered" recovered "$c" 90
done

# ---- flapping within the retry budget: nothing sent ------------------------
seen=$(alerts "$HOOK" down "disk:$disk")
saw=0
for _ in 1 2 3; do
	wait_metric odooctl_check_failures "disk:$disk" 0 10 || true
	dd if=/dev/zero of="$disk/fill" bs=1k count=2600 status=none
	if wait_metric odooctl_check_failures "disk:$disk" 1 10; then
		saw=$((saw + 1))
	fi
	rm -f "$disk/fill"
done
is "$saw" 3 "the disk check failed once, three times over"
sleep $((INTERVAL * 3))
is "$(alerts "$HOOK" down "disk:$disk")" "$seen" \
	"failures within the retry budget ($RETRIES) sent no alert"
like "$(cat "$LOG")" "disk:$disk: failed \(1 of $RETRIES before down\)" \
	"the log shows them"

# ---- a disk threshold crossed: an alert naming the mount -------------------
mark
dd if=/dev/zero of="$disk/fill" bs=1k count=2600 status=none
alert_ok "the tmpfs over 50 %: a down alert" down "disk:$disk" 10
like "$(grep -o '{.*' "$HOOK" | jq -r "select(.check == \"disk:$disk\") |
	.detail" | tail -n 1)" "^mount $disk holds the backup_dir" \
	"the alert names the mount"
rm -f "$disk/fill"
alert_ok "freed: recovered" recovered "disk:$disk" 10

# ---- a dead receiver, then a slow one: the passes keep their pace ----------
# pace DESC P0 S0: at least one pass per interval since S0, give or take one
pace() {
	local p=$(($(passes) - $2)) e=$((SECONDS - $3))
	ok "$1: $p passes in $e s" awk -v p="$p" -v e="$e" -v i="$INTERVAL" \
		'BEGIN { exit !(p >= int(e / i) - 1) }'
}

receiver off
cmd_seen=$(alerts "$CMD" down "disk:$disk")
p0=$(passes)
s0=$SECONDS
dd if=/dev/zero of="$disk/fill" bs=1k count=2600 status=none
ok "receiver down: the webhook is given up after 1 + alert_retries attempts" \
	wait_log "alert down disk:$disk: webhook failed after 3 attempts" 30
pace "receiver down" "$p0" "$s0"
like "$(cat "$LOG")" "alert down disk:$disk: webhook attempt 1 failed: .*; retry in 1 s" \
	"the failed attempts are logged, with their backoff"
is "$(alerts "$CMD" down "disk:$disk")" "$((cmd_seen + 1))" \
	"the command hook got the alert meanwhile"
for ((i = 0; i < 50; i++)); do	# /metrics may trail the log line a little
	failed=$(metrics | grep 'channel="webhook",result="failed"' || true)
	[[ $failed =~ \ [1-9][0-9]*$ ]] && break
	sleep 0.2
done
like "$failed" ' [1-9][0-9]*$' "/metrics counts the failed alert"
rm -f "$disk/fill"
receiver --delay 30
p0=$(passes)
s0=$SECONDS
ok "receiver slow (30 s): an attempt times out after alert_timeout" \
	wait_log "webhook attempt [0-9] failed: timed out after [0-9]+ ms" 30
pace "receiver slow" "$p0" "$s0"
receiver
ok "the recovery reaches the receiver once it answers again" \
	wait_log "alert recovered disk:$disk: webhook delivered" 30

# ---- SIGHUP: reload; a broken file is refused ------------------------------
cp "$ODOOCTL_CONFIG" "$STACK_DIR/good.conf"
sed -i 's/^monitor_interval = .*/monitor_interval = 2/' "$ODOOCTL_CONFIG"
echo 'alert_webhook_format = slack' >>"$ODOOCTL_CONFIG"
kill -HUP "$MON_PID"
for _ in $(seq 1 50); do
	metrics | grep -q '^odooctl_monitor_interval_seconds{env="e2e"} 2$' &&
		break
	sleep 0.1
done
like "$(metrics | grep '^odooctl_monitor_interval_seconds')" ' 2$' \
	"SIGHUP reloaded the config (interval 2 s)"
dd if=/dev/zero of="$disk/fill" bs=1k count=2600 status=none
body=
for _ in $(seq 1 150); do
	body=$(grep -o '{.*' "$HOOK" | jq -c --arg c "disk:$disk" \
		'select(.text // "" | contains($c + " is DOWN"))' | tail -n 1)
	[[ -n $body ]] && break
	sleep 0.1
done
like "$(jq -r '.text' <<<"$body")" "^\\[e2e\\] disk:$disk is DOWN" \
	"alert_webhook_format = slack: a text"
is "$(jq -r '.attachments[0].color' <<<"$body")" danger \
	"and a red attachment"
rm -f "$disk/fill"
sed -i 's/^monitor_interval = .*/monitor_interval = soon/' "$ODOOCTL_CONFIG"
kill -HUP "$MON_PID"
sleep 1
like "$(cat "$LOG")" "reload: .*monitor_interval: 'soon' is not a number; still running the previous configuration" \
	"a broken file on SIGHUP is refused"
ok "and the monitor runs on" kill -0 "$MON_PID"

# ---- secrets, log format, SIGTERM -------------------------------------------
unlike "$(cat "$LOG")" "$TOKEN" "the webhook token is never logged"
unlike "$("$ODOOCTL" -c "$STACK_DIR/good.conf" config show e2e)" "$TOKEN" \
	"nor shown by config show"
like "$(head -n 1 "$LOG")" '^<5>odooctl monitor started' \
	"journald priority prefixes"
s0=$SECONDS
kill -TERM "$MON_PID"
wait "$MON_PID" && rc=0 || rc=$?
MON_PID=
is "$rc" 0 "SIGTERM: exit 0"
ok "within 6 s" test $((SECONDS - s0)) -le 6
like "$(tail -n 1 "$LOG")" '^<5>stopped$' "the last line says so"

out=$("$ODOOCTL" monitor e2e --bogus 2>&1) && rc=0 || rc=$?
is "$rc" 2 "an unknown option: exit 2"
out=$("$ODOOCTL" monitor nosuchenv 2>&1) && rc=0 || rc=$?
is "$rc" 2 "a broken file: exit 2"
out=$("$ODOOCTL" -c "$STACK_DIR/good.conf" monitor nosuchenv 2>&1) &&
	rc=0 || rc=$?
is "$rc" 2 "an unknown environment: exit 2"
like "$out" "nosuchenv" "naming it"
MONITOR_BIN=$(dirname "$ODOOCTL")/odooctl-monitor
out=$("$MONITOR_BIN" -c "$STACK_DIR/good.conf" nosuchenv 2>&1) && rc=0 ||
	rc=$?
is "$rc" 2 "odooctl-monitor run directly: an unknown environment, exit 2"
like "$("$MONITOR_BIN" --help)" 'usage: odooctl-monitor .*monitor_interval' \
	"odooctl-monitor --help"
# odooctl without odooctl-monitor beside it: a warning, then the monitor in
# its own process
mkdir -p "$STACK_DIR/solo"
cp "$ODOOCTL" "$STACK_DIR/solo/odooctl"
out=$("$STACK_DIR/solo/odooctl" monitor e2e --bogus 2>&1) && rc=0 || rc=$?
like "$out" "cannot run $STACK_DIR/solo/odooctl-monitor .*the monitor runs in this process" \
	"without odooctl-monitor: says so"
is "$rc" 2 "and runs the monitor itself (its usage error: exit 2)"
nc_port=$(free_port)
python3 -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
print("ready", flush=True); time.sleep(30)' "$nc_port" >"$STACK_DIR/busy" &
busy=$!
for _ in $(seq 1 50); do [[ -s $STACK_DIR/busy ]] && break; sleep 0.1; done
sed -i "s|^metrics_listen = .*|metrics_listen = 127.0.0.1:$nc_port|" \
	"$STACK_DIR/good.conf"
out=$("$ODOOCTL" -c "$STACK_DIR/good.conf" monitor e2e 2>&1) && rc=0 ||
	rc=$?
kill "$busy" 2>/dev/null || true
is "$rc" 1 "the metrics port taken: exit 1"
like "$out" "cannot listen on 127.0.0.1:$nc_port: Address already in use" \
	"naming the address"
done_testing
