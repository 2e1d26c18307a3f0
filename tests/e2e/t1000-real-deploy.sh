#!/usr/bin/env bash
# The real Odoo 19 image, laid out as the official odoo:19.0 (user, folders,
# entrypoint, ports, volumes, ODOO_RC, curl). On it: a new database
# installed once (odoo -i, by the first release's image), the first
# deploy, the OCR webhook through the proxy
# (accepted with the token, refused without), a code-only release under
# constant load with no failed request; under upgrade_trigger = version, a
# release whose model code changed while its version did not: lint --since
# flags it, the gate warns, and it goes out code-only (no 503); status, a
# verified backup, health
# with every check ok (backup.age included), /websocket through the proxy
# (101 from the gevent worker), and one pass of the monitor.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy.sh"
. "$(dirname "$0")/real.sh"
real_or_skip

# ---- the image: laid out as the official odoo:19.0 ---------------------------
cfg=$("$DOCKER" image inspect -f '{{json .Config}}' "$REAL_ODOO")
is "$(jq -r .User <<<"$cfg")" odoo "the image runs as the user odoo"
is "$(jq -c .Entrypoint <<<"$cfg")" '["/entrypoint.sh"]' "ENTRYPOINT the official entrypoint"
is "$(jq -c .Cmd <<<"$cfg")" '["odoo"]' 'CMD ["odoo"]'
is "$(jq -c '.Volumes | keys' <<<"$cfg")" '["/mnt/extra-addons","/var/lib/odoo"]' \
	"VOLUMEs /var/lib/odoo and /mnt/extra-addons"
is "$(jq -c '.ExposedPorts | keys' <<<"$cfg")" '["8069/tcp","8071/tcp","8072/tcp"]' \
	"EXPOSE 8069 8071 8072"
is "$(jq -r '.Env[] | select(startswith("ODOO_RC="))' <<<"$cfg")" \
	ODOO_RC=/etc/odoo/odoo.conf "ODOO_RC=/etc/odoo/odoo.conf"
is "$("$DOCKER" run --rm --entrypoint sh "$REAL_ODOO" -c 'id -u; id -g;
	stat -c "%u %n" /var/lib/odoo /mnt/extra-addons /etc/odoo/odoo.conf;
	command -v curl; odoo --version')" "101
101
101 /var/lib/odoo
101 /mnt/extra-addons
101 /etc/odoo/odoo.conf
/usr/bin/curl
Odoo Server 19.0" "uid and gid 101, its folders and config, curl, Odoo 19.0"

real_stack_up e2e
real_release R1
R1=$DIGEST
t=$SECONDS
ok "a new database: odoo -i ocr_billing_webhook by R1's image" real_install "$R1" ||
	bail "no database to deploy onto"
diag "install: $((SECONDS - t)) s"
is "$(stack_psql central "SELECT state FROM ir_module_module
	WHERE name = 'ocr_billing_webhook'")" installed \
	"ocr_billing_webhook is installed"

t=$SECONDS
out=$("$ODOOCTL" deploy "$R1" e2e alice 2>&1) && rc=0 || rc=$?
is "$rc" 0 "the first deploy of R1" || diag "$out"
diag "first deploy: $((SECONDS - t)) s"
is "$(serving)" R1 "the proxy serves R1 (a file of the addon, by Odoo)"
like "$(curl -s --max-time 10 "http://127.0.0.1:$PROXY_PORT/web/login")" \
	'<form[^>]*action="/web/login"' "/web/login is Odoo's login page"

# ---- the OCR webhook through the proxy ---------------------------------------
is "$(ocr_event INV-1)" 200 "the webhook accepts an event with the token"
is "$(ocr_event INV-2 wrong-token)" 401 "and refuses a bad token"
is "$(ocr_event INV-3 '')" 401 "and a missing one"
is "$(stack_psql central "SELECT string_agg(document_id || ':' || event ||
	':' || state, ',') FROM ocr_billing_event")" \
	"INV-1:document.processed:received" \
	"one ocr.billing.event record, from the accepted call"

# deploy_under_load DIGEST: odooctl deploy under load_until; $out, $rc,
# and a status code a line in $STACK_DIR/codes
deploy_under_load() {
	local stopfile=$STACK_DIR/load.stop loader
	rm -f "$stopfile"
	load_until "$stopfile" 300 >"$STACK_DIR/codes" &
	loader=$!
	sleep 1
	out=$("$ODOOCTL" deploy "$1" e2e alice 2>&1) && rc=0 || rc=$?
	sleep 1
	touch "$stopfile"
	wait "$loader" || true
}

# ---- a code-only release under constant load ---------------------------------
real_release R2
R2=$DIGEST
deploy_under_load "$R2"
is "$rc" 0 "the code-only release R2 deploys" || diag "$out"
like "$out" "path: code-only" "it takes the code-only path"
is "$(serving)" R2 "the proxy serves R2"
total=$(wc -l <"$STACK_DIR/codes")
bad=$(grep -cvx 200 "$STACK_DIR/codes" || true)
diag "load during the deploy: $total requests, $bad not 200"
ok "the load sent requests during the whole deploy" test "$total" -ge 20
is "$bad" 0 "no request failed or was refused during the switch" ||
	diag "$(sort "$STACK_DIR/codes" | uniq -c)"
is "$(stack_psql central "SELECT count(*) FROM ocr_billing_event")" 1 \
	"the OCR event is still there"

# ---- upgrade_trigger = version: a model's code changes, its version not ------
# (a method's body: nothing for the database to learn, so no -u is right;
# lint and the gate still point it out)
method_change() {
	sed -i "s/self.write({'state': 'processed'})/self.write({'state': 'processed'})  # R3/" \
		ocr_billing_webhook/models/ocr_billing_event.py
}
sed -i "s|^\[e2e\]|[e2e]\nupgrade_trigger = version|" "$ODOOCTL_CONFIG"
real_release R3 method_change
R3=$DIGEST
out=$("$ODOOCTL" lint --since HEAD~1 --no-python "$RELEASE_CONTEXT/addons" 2>&1) &&
	rc=0 || rc=$?
is "$rc" 1 "lint --since: a finding (exit 1)" || diag "$out"
like "$out" "ocr_billing_webhook/__manifest__.py:[0-9]+:[0-9]+: warning: version-bump: .*models/ocr_billing_event.py" \
	"lint --since flags the models change without a version bump"
deploy_under_load "$R3"
is "$rc" 0 "R3 deploys" || diag "$out"
like "$out" "addon ocr_billing_webhook changed \(models, data or views\) but its version did not" \
	"the gate warns that the changed model is not upgraded"
like "$out" "path: code-only" "under upgrade_trigger = version it is code-only"
unlike "$out" "upgrade: odoo -u" "no module upgrade ran"
total=$(wc -l <"$STACK_DIR/codes")
bad=$(grep -cvx 200 "$STACK_DIR/codes" || true)
diag "load during R3's deploy: $total requests, $bad not 200"
is "$bad" 0 "no client saw a 503 (or any other failure)" ||
	diag "$(sort "$STACK_DIR/codes" | uniq -c)"
is "$(serving)" R3 "the proxy serves R3"
is "$(ocr_event INV-3)" 200 "the webhook takes events on R3"

# ---- status, backup, health ---------------------------------------------------
status=$("$ODOOCTL" status e2e --json)
is "$(jq -r .current.digest <<<"$status")" "$R3" "status: R3 serves"
is "$(jq -r .current.healthy <<<"$status")" true "status: healthy"
is "$(jq -r .last_deploy.path <<<"$status")" code-only \
	"status: the last deploy was code-only"
ok "odooctl backup" "$ODOOCTL" -q backup e2e
out=$("$ODOOCTL" verify latest e2e 2>&1) && rc=0 || rc=$?
is "$rc" 0 "odooctl verify passes on a real Odoo 19 database" || diag "$out"
like "$out" "check tables +ok" "every table's rows equal the dump's"
json=''
for ((i = 0; i < 15; i++)); do	# the CPU check samples a shared machine
	json=$("$ODOOCTL" health e2e --json) && break
	sleep 2
done
is "$(jq -r .healthy <<<"$json")" true "health: healthy" || diag "$json"
for c in app.health app.ready app.proxy container.odoo container.postgres \
	db.server db.business db.connections system.cpu system.memory \
	backup.age; do
	is "$(jq -r --arg c "$c" '.checks[] | select(.name == $c) | .ok' \
		<<<"$json")" true "health: $c ok"
done

# ---- /websocket through the proxy ---------------------------------------------
ws=$(curl -s -i --max-time 5 --http1.1 -o - \
	-H 'Connection: Upgrade' -H 'Upgrade: websocket' \
	-H 'Sec-WebSocket-Version: 13' \
	-H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
	-H "Origin: http://127.0.0.1:$PROXY_PORT" \
	"http://127.0.0.1:$PROXY_PORT/websocket" 2>/dev/null | head -n 1 || true)
like "$ws" '^HTTP/1\.1 101' "/websocket through the proxy: 101 Switching Protocols"

# ---- the monitor, one pass -----------------------------------------------------
METRICS_PORT=$(free_port)
cat >>"$STACK_DIR/odooctl.conf" <<EOF
monitor_interval = 2
monitor_timeout = 10
metrics_listen = 127.0.0.1:$METRICS_PORT
cpu_max_percent = 100
EOF
"$ODOOCTL" monitor e2e 2>"$STACK_DIR/monitor.log" &
mon=$!
passes=''
for ((i = 0; i < 60; i++)); do
	passes=$(curl -fs --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics" |
		awk '/^odooctl_monitor_passes_total/ { print $2 }' || true)
	[[ -n $passes && $passes != 0 ]] && break
	sleep 1
done
metrics=$(curl -fs --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics" || true)
kill "$mon" 2>/dev/null || true
wait "$mon" 2>/dev/null || true
like "$passes" '^[1-9]' "the monitor made a pass" ||
	diag "$(cat "$STACK_DIR/monitor.log")"
for c in app.health app.ready app.proxy container.odoo db.server db.business \
	backup.age; do
	like "$(grep "^odooctl_check_state{" <<<"$metrics" |
		grep "check=\"$c\"")" ' 1$' "monitor: $c is up"
done
like "$(grep '^odooctl_release_info' <<<"$metrics")" "digest=\"$R3\"" \
	"monitor: /metrics names R3"
done_testing
