#!/usr/bin/env bash
# odooctl migrate from a simulated systemd install: the Odoo stand-in
# built for the host and run as a plain process by a fake `systemctl` (the
# unit odoo19), its odoo.conf, extra-addons, a PostgreSQL 15 database of
# its own (a plain process, a non-superuser owner) and a filestore under
# data_dir. The plan changes nothing (--json too); a failure after the
# stop (the smoke test fails) starts the service again with its data
# unchanged and leaves no last_good or current; so does a SIGTERM after the
# stop; a SIGKILL after the stop leaves the service down until `odooctl
# recover`, which brings it back; a SIGKILL once the stack serves is
# finished by the next `migrate --yes`, which then migrates: the backup is
# restored before the release's first start, the comparison passes,
# `migrated` in history, last_good, the unit stopped and disabled, the
# backup recorded with trigger migrate; --revert brings the service back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/extpg.sh"
. "$(dirname "$0")/migrate.sh"

migrate_stack

# ---- the systemd install --------------------------------------------------
migrate_install

# ---- the plan -------------------------------------------------------------
out=$("$ODOOCTL" migrate --from-conf "$inst/odoo.conf" e2e 2>&1) && rc=0 || rc=$?
is "$rc" 0 "the plan exits 0"
like "$out" "database 'legacy' at 127.0.0.1:$EXTPG_PORT as 'legacy_owner' \([0-9.]+ [kM]B, 3 tables\); filestore $inst/data/filestore/legacy \(2 files, 40\.0 kB\)" \
	"it names the source database and filestore, measured"
like "$out" "addons +$inst/extra-addons: ocr_billing_webhook" \
	"the addons that will be built"
like "$out" "downtime +about [0-9]+ s" "the expected downtime"
like "$out" "go back +odooctl migrate --revert --service odoo19 e2e" \
	"and how to go back"
is "$(systemctl is-active odoo19)" active "the plan leaves the service running"
is "$("$DOCKER" images -q "$STACK_REPO" | wc -l)" 0 "and builds nothing"
unlike "$out" "$pw" "the source's password is not in the output"

out=$("$ODOOCTL" migrate --json --from-conf "$inst/odoo.conf" e2e 2>/dev/null) &&
	rc=0 || rc=$?
is "$rc" 0 "the plan with --json exits 0"
is "$(jq -r '[.source.database, .source.db_port, .source.tables, .source.files,
	.source.bytes, (.source.addons | index("ocr_billing_webhook") != null)] |
	map(tostring) | join(" ")' <<<"$out")" "legacy $EXTPG_PORT 3 2 40013 true" \
	"--json: the source, measured, and its addons"
is "$(jq -r '[.unit.name, .unit.active, .unit.enabled, .target.database,
	.target.external_database] | map(tostring) | join(" ")' <<<"$out")" \
	"odoo19 true true central false" "--json: the unit as it is and the target"
is "$(jq -r '.downtime_estimate_seconds > 0, .exit, has("result")' <<<"$out" |
	tr '\n' ' ')" "true 0 false " "--json: the downtime estimate, no result: nothing done"
unlike "$out" "$pw" "the source's password is not in the JSON"

# The release containers of the stack that run.
running_releases() {
	"$DOCKER" ps -q --filter "label=com.docker.compose.project=$STACK_PROJECT" \
		--filter label=odooctl.env=e2e | wc -l
}
# the service back as it was: runs, enabled, serves, data unchanged
service_back() {
	is "$(systemctl is-active odoo19)" active "$1: the service runs again"
	is "$(systemctl is-enabled odoo19)" enabled "$1: still enabled"
	is "$(http_code "http://127.0.0.1:$src_port/web/login")" 200 "$1: and serves"
	is "$(src_sum)" "$before" "$1: its database and filestore are unchanged"
	like "$(tail -n 1 "$STACK_DIR/state/history.log")" \
		"\| sha256:[0-9a-f]{64} \| e2e \| migrate_failed \| " \
		"$1: history records migrate_failed"
	ok "$1: no last_good" test ! -e "$STACK_DIR/state/last_good_sha"
	ok "$1: no current" test ! -e "$STACK_DIR/state/current"
	ok "$1: no migration journal left" test ! -e "$STACK_DIR/state/migrate.journal"
	is "$(running_releases)" 0 "$1: no Odoo of the stack runs"
}

# ---- a failure after the stop ---------------------------------------------
cp "$STACK_DIR/odooctl.conf" "$STACK_DIR/failing.conf"
echo "smoke = GET /odooctl-e2e-missing 200" >>"$STACK_DIR/failing.conf"
out=$(ODOOCTL_CONFIG=$STACK_DIR/failing.conf "$ODOOCTL" migrate \
	--from-conf "$inst/odoo.conf" --yes e2e 2>&1) && rc=0 || rc=$?
is "$rc" 1 "a failure after the stop: exit 1"
like "$out" "stop 'odoo19' \(the downtime starts\)" "it had stopped the service"
like "$out" "'odoo19' is running again, as before the migration" "and says it restarted it"
service_back "smoke failed"
restored=$(grep -n "restored: database 'central'" <<<"$out" | cut -d: -f1)
started=$(grep -n "start sha256:[0-9a-f]\{64\}" <<<"$out" | cut -d: -f1)
ok "the backup was restored (line ${restored:-none}) before the release's first start (line ${started:-none})" \
	test "${restored:-0}" -gt 0 -a "${started:-0}" -gt "${restored:-0}"

# ---- SIGTERM after the stop: undone before it exits ------------------------
migrate_bg restore "$STACK_DIR/term.out"
kill -TERM "$pid"
wait "$pid" && rc=0 || rc=$?
is "$rc" 1 "SIGTERM after the stop: exit 1"
like "$(cat "$STACK_DIR/term.out")" "interrupted by a signal" "it says why"
service_back "SIGTERM"

# ---- SIGKILL after the stop: recover brings the service back ---------------
migrate_bg restore "$STACK_DIR/kill.out"
kill -KILL "$pid"
{ wait "$pid"; } 2>/dev/null || true
is "$(systemctl is-active odoo19 || true)" inactive \
	"killed after the stop: the service is down"
ok "the migration's journal is left" test -s "$STACK_DIR/state/migrate.journal"
scratch() {	# the killed run's scratch directories in state_dir
	find "$STACK_DIR/state" -maxdepth 1 -type d \
		\( -name 'migrate-build.*' -o -name 'migrate-source.*' \) | wc -l
}
ok "and its scratch directories" test "$(scratch)" -gt 0
out=$("$ODOOCTL" deploy "sha256:$(printf 'a%.0s' {1..64})" e2e 2>&1) && rc=0 || rc=$?
is "$rc" 3 "a deploy meanwhile is refused" || diag "$out"
out=$("$ODOOCTL" recover e2e 2>&1) && rc=0 || rc=$?
is "$rc" 0 "recover exits 0" || diag "$out"
like "$out" "recover: an unfinished migration of 'odoo19' to e2e \(phase restore\): undoing it" \
	"it names the killed migration and its phase"
service_back "SIGKILL, then recover"
is "$(scratch)" 0 "recover removed the scratch directories"
out=$("$ODOOCTL" recover e2e 2>&1) && rc=0 || rc=$?
like "$out" "nothing to recover" "a second recover has nothing to do"

# ---- SIGKILL once the stack serves; the next migrate finishes it -----------
migrate_bg serving "$STACK_DIR/kill2.out"
kill -KILL "$pid"
{ wait "$pid"; } 2>/dev/null || true
is "$(systemctl is-active odoo19 || true)" inactive \
	"killed once the stack serves: the service is down"
ok "and nothing is last_good yet" test ! -e "$STACK_DIR/state/last_good_sha"

# ---- the migration --------------------------------------------------------
json=$("$ODOOCTL" migrate --json --from-conf "$inst/odoo.conf" --yes e2e \
	2>"$STACK_DIR/migrate.err") && rc=0 || rc=$?
out=$(cat "$STACK_DIR/migrate.err")
is "$rc" 0 "migrate --yes exits 0" || diag "$out"
like "$out" "an earlier migration of e2e was interrupted: finishing it first" \
	"it first finishes the killed migration"
like "$out" "recover: an unfinished migration of 'odoo19' to e2e \(phase serving\)" \
	"which had not committed: undone"
like "$out" "identical: rows of 3 tables, 2 modules, 2 files \(40013 bytes\)" \
	"the comparison passed: rows, modules, filestore"
digest=$(tail -n 1 "$STACK_DIR/state/history.log" | awk -F' [|] ' '{ print $2 }')
like "$(tail -n 1 "$STACK_DIR/state/history.log")" \
	"\| sha256:[0-9a-f]{64} \| e2e \| migrated \| " "history records migrated"
is "$(cat "$STACK_DIR/state/last_good_sha")" "$digest" "it is the last good release"
is "$(jq -r '.result.status, .result.digest, .exit' <<<"$json" | tr '\n' ' ')" \
	"migrated $digest 0 " "--json: the result names the release"
is "$(jq -r .result.container <<<"$json")" "$(awk '{ print $2 }' "$STACK_DIR/state/current")" \
	"--json: and its container, which current names"
ok "--json: the downtime and the backup" \
	test "$(jq -r '.result.downtime_seconds > 0 and (.result.backup | test("\\.zip$"))' <<<"$json")" = true
ok "no migration journal left" test ! -e "$STACK_DIR/state/migrate.journal"
is "$(running_releases)" 1 "one Odoo of the stack runs"
is "$(systemctl is-active odoo19 || true)" inactive "the service is stopped"
is "$(systemctl is-enabled odoo19 || true)" disabled "and disabled"
ok "the unit itself is still there" test -x "$inst/odoo-bin"
is "$(stack_psql central "SELECT count(*) FROM res_partner")" 2500 \
	"the stack's database has the partners"
is "$(stack_psql central "SELECT string_agg(name || '=' || latest_version, ',' ORDER BY name) FROM ir_module_module WHERE state = 'installed'")" \
	"base=19.0.1.3,ocr_billing_webhook=19.0.1.0.0" "and the modules with their versions"
odoo=$(awk '{ print $2 }' "$STACK_DIR/state/current")
is "$("$DOCKER" exec "$odoo" md5sum /var/lib/odoo/filestore/central/c4/c4d2b7aa | cut -d' ' -f1)" \
	"$(md5sum <"$inst/data/filestore/legacy/c4/c4d2b7aa" | cut -d' ' -f1)" \
	"the filestore's files are in the stack's volume"
is "$(http_code "http://127.0.0.1:$PROXY_PORT/web/login")" 200 \
	"the stack serves through the proxy"
unlike "$out$json" "$pw" "the source's password is not in the output"
ok "the backup of the source is listed" \
	test "$("$ODOOCTL" backups e2e --json | jq length)" -ge 1
is "$("$ODOOCTL" backups e2e --json | jq -r '[.[].trigger] | unique | join(",")')" \
	migrate "the backups migrate took are recorded with trigger migrate"
is "$(src_sum)" "$before" "the source is left as it was"

# ---- and back -------------------------------------------------------------
out=$("$ODOOCTL" migrate --revert e2e 2>&1) && rc=0 || rc=$?
is "$rc" 0 "migrate --revert exits 0" || diag "$out"
is "$(systemctl is-active odoo19)" active "the service runs again"
is "$(systemctl is-enabled odoo19)" enabled "and is enabled"
is "$(http_code "http://127.0.0.1:$src_port/web/login")" 200 "and serves"
is "$("$DOCKER" inspect -f '{{.State.Running}}' "$odoo")" false \
	"the stack's release is stopped"
like "$(tail -n 1 "$STACK_DIR/state/history.log")" "\| e2e \| migrate_reverted \| " \
	"history records migrate_reverted"

out=$("$ODOOCTL" migrate --from-conf "$inst/nope.conf" e2e 2>&1) && rc=0 || rc=$?
is "$rc" 2 "a missing odoo.conf: exit 2"
like "$out" "cannot read '$inst/nope.conf'" "and says which"
done_testing
