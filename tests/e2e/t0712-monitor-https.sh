#!/usr/bin/env bash
# odooctl monitor's webhook over https: posted by a child process
# (odooctl-monitor --post-webhook, libcurl), so that the CA store never
# stays in the daemon's heap. Against a TLS receiver on loopback with a
# throw-away CA: delivered when the CA is trusted (SSL_CERT_FILE), refused
# with the child's reason (SSL certificate problem) when it is not; the
# url's token in no log line and in no process's argv. No containers: with
# nothing running, the checks go down on the first pass and alert.
. "$(dirname "$0")/lib.sh"

TOKEN=T0KEN$RANDOM$RANDOM
HOOK_PORT=$(free_port)
MON_PID=
RECV_PID=

stack_up e2e
TLS=$STACK_DIR/tls
HOOK=$STACK_DIR/hook.out
LOG=$STACK_DIR/monitor.log
cleanup() {	# under set -e: nothing here may fail
	local rc=$?
	[[ -z $MON_PID ]] || kill "$MON_PID" 2>/dev/null || true
	[[ -z $RECV_PID ]] || kill "$RECV_PID" 2>/dev/null || true
	stack_down_all || true
	exit "$rc"
}
trap cleanup EXIT

mkdir -p "$TLS"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=e2e-ca \
	-keyout "$TLS/ca.key" -out "$TLS/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
	-keyout "$TLS/hook.key" -out "$TLS/hook.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$TLS/ext"
openssl x509 -req -in "$TLS/hook.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" \
	-CAcreateserial -days 2 -extfile "$TLS/ext" -out "$TLS/hook.pem" \
	2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca \
	-keyout "$TLS/other.key" -out "$TLS/other.pem" 2>/dev/null

python3 "$E2E_ROOT/tests/e2e/webhook_receiver.py" "$HOOK_PORT" "$HOOK" \
	--tls "$TLS/hook.pem" "$TLS/hook.key" >"$STACK_DIR/recv.ready" &
RECV_PID=$!
for _ in $(seq 1 50); do
	[[ -s $STACK_DIR/recv.ready ]] && break
	sleep 0.1
done
ok "the TLS receiver listens" test -s "$STACK_DIR/recv.ready"

cat >>"$ODOOCTL_CONFIG" <<-CONF
	backup_max_age_hours = 0
	cpu_max_percent = 100
	mem_max_percent = 100
	monitor_interval = 1
	monitor_retries = 1
	monitor_timeout = 2
	monitor_reminder = 0
	alert_webhook_url = https://127.0.0.1:$HOOK_PORT/hooks/$TOKEN
	alert_timeout = 5
	alert_retries = 0
	metrics_listen = off
CONF

# monitor CAFILE: runs the monitor with SSL_CERT_FILE=CAFILE in the
# background, its log in $LOG.
monitor() {
	SSL_CERT_FILE=$1 "$ODOOCTL" -v monitor e2e 2>"$LOG" &
	MON_PID=$!
}

# wait_log ERE TIMEOUT
wait_log() {
	local end=$((SECONDS + $2))
	until grep -Eq -- "$1" "$LOG"; do
		((SECONDS < end)) || return 1
		sleep 0.1
	done
}

# ---- trusted: delivered by the child ------------------------------------------
argv_seen=
monitor "$TLS/ca.pem"
end=$((SECONDS + 20))
until grep -q '"event": *"down"' "$HOOK" 2>/dev/null; do
	((SECONDS < end)) || break
	# every process's argv while alerts go out: never the token
	if grep -qa "$TOKEN" /proc/[0-9]*/cmdline 2>/dev/null; then
		argv_seen=yes
	fi
	sleep 0.05
done
ok "a down alert reached the https receiver" \
	grep -q '"event": *"down"' "$HOOK"
like "$(head -n 1 "$HOOK")" '"source": *"odooctl"' "as the alert's JSON"
ok "the log says delivered" wait_log 'alert down .*: webhook delivered' 10
is "$argv_seen" "" "the token in no process's argv"
ok "posted by a child, not by the daemon" \
	grep -Eq 'webhook over https: posted by .*/odooctl-monitor --post-webhook \(pid [0-9]+\)' "$LOG"
kill -TERM "$MON_PID"
wait "$MON_PID" || true
MON_PID=
unlike "$(cat "$LOG")" "$TOKEN" "nor in the log"

# ---- not trusted: the child's reason in the log -------------------------------
: >"$HOOK"
monitor "$TLS/other.pem"
ok "an untrusted certificate: the alert fails" wait_log \
	'alert down .*: webhook failed after 1 attempt: TLS: SSL certificate problem: ' 20
is "$(wc -l <"$HOOK")" 0 "and the receiver got nothing"
unlike "$(cat "$LOG")" "$TOKEN" "the token in no log line"
kill -TERM "$MON_PID"
wait "$MON_PID" && rc=0 || rc=$?
MON_PID=
is "$rc" 0 "SIGTERM: exit 0"

# ---- the child on its own -----------------------------------------------------
MONITOR_BIN=$(dirname "$ODOOCTL")/odooctl-monitor
out=$(printf 'no newline' | "$MONITOR_BIN" --post-webhook 5 2>&1) && rc=0 ||
	rc=$?
is "$rc" 2 "--post-webhook without a url line: exit 2"
like "$out" "no url line on stdin" "saying so"
out=$(printf 'https://127.0.0.1:%s/x\n{}' "$HOOK_PORT" |
	SSL_CERT_FILE=$TLS/ca.pem "$MONITOR_BIN" --post-webhook 5 2>&1) &&
	rc=0 || rc=$?
is "$rc" 0 "--post-webhook delivers"
done_testing
