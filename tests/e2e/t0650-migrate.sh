#!/usr/bin/env bash
# odooctl migrate from a simulated systemd install: the Odoo stand-in
# built for the host and run as a plain process by a fake `systemctl` (the
# unit odoo19), its odoo.conf, extra-addons, a PostgreSQL 15 database of
# its own (a plain process, a non-superuser owner) and a filestore under
# data_dir. The plan changes nothing; a failure after the stop (the smoke
# test fails) starts the service again with its data unchanged; the
# migration moves it into the stack (the comparison passes, `migrated`
# in history, last_good, the unit stopped and disabled); --revert brings
# the service back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/extpg.sh"

stack_up e2e
cleanup() {	# under set -e: nothing here may fail
	local rc=$?
	[[ -z ${SYSTEMCTL:-} ]] || "$SYSTEMCTL" stop odoo19 || true
	extpg_stop || true
	stack_down_all || true
	exit "$rc"
}
trap cleanup EXIT
extpg_start || bail "cannot start the source's PostgreSQL"
build_release base >/dev/null	# build_context: the Dockerfile and its files

# ---- the systemd install --------------------------------------------------
inst=$STACK_DIR/opt/odoo19
sd=$STACK_DIR/systemd
mkdir -p "$inst/extra-addons" "$inst/data/filestore/legacy/3a" \
	"$inst/data/filestore/legacy/c4" "$sd" "$STACK_DIR/bin"
cp -pR "$SERVICE_DIR/addons/." "$inst/extra-addons/"
# shellcheck disable=SC2046 # pkg-config output is a list of words
cc -std=c17 -O2 -o "$inst/odoo-bin" "$E2E_ROOT/tests/fixtures/standin/odoo-standin.c" \
	$(pkg-config --cflags --libs libpq libmicrohttpd) -lpthread ||
	bail "cannot build the stand-in for the host"
pw="legacy:$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"
extpg_owner legacy_owner "$pw" legacy || bail "cannot create the source role"
src_port=$(free_port)
cat >"$inst/odoo.conf" <<EOF
[options]
; as the seed's server has it
db_host = 127.0.0.1
db_port = $EXTPG_PORT
db_user = legacy_owner
db_password = $pw
db_name = legacy
data_dir = $inst/data
addons_path = $inst/extra-addons
http_port = $src_port
gevent_port = $(free_port)
list_db = False
EOF
chmod 0600 "$inst/odoo.conf"

# systemctl for one unit, odoo19: the stand-in as the service's process.
SYSTEMCTL=$STACK_DIR/bin/systemctl
cat >"$SYSTEMCTL" <<EOF
#!/bin/bash
sd=$sd
[[ \$2 == odoo19 ]] || { echo "Unit \$2.service could not be found." >&2; exit 4; }
running() { [[ -f \$sd/pid ]] && kill -0 "\$(cat "\$sd/pid")" 2>/dev/null; }
case \$1 in
is-active) if running; then echo active; else echo inactive; exit 3; fi ;;
is-enabled) if [[ -f \$sd/enabled ]]; then echo enabled; else echo disabled; exit 1; fi ;;
enable) touch "\$sd/enabled" ;;
disable) rm -f "\$sd/enabled" ;;
start)
	running && exit 0
	PGHOST=127.0.0.1 PGPORT=$EXTPG_PORT PGUSER=legacy_owner \\
	PGPASSWORD='$pw' setsid "$inst/odoo-bin" -c "$inst/odoo.conf" \\
		</dev/null >>"\$sd/odoo.log" 2>&1 &
	echo \$! >"\$sd/pid"
	for _ in \$(seq 100); do
		curl -sf -o /dev/null "http://127.0.0.1:$src_port/web/health" && exit 0
		sleep 0.1
	done
	echo "odoo19 did not start" >&2; exit 1 ;;
stop)
	running || exit 0
	kill "\$(cat "\$sd/pid")"
	while running; do sleep 0.1; done
	rm -f "\$sd/pid" ;;
*) echo "fake systemctl: \$1?" >&2; exit 2 ;;
esac
EOF
chmod 0755 "$SYSTEMCTL"
export PATH=$STACK_DIR/bin:$PATH
systemctl enable odoo19
systemctl start odoo19 || bail "the systemd install does not start: $(cat "$sd/odoo.log")"

extpg_sql legacy "
	ALTER TABLE ir_module_module ADD latest_version varchar;
	UPDATE ir_module_module SET latest_version = '19.0.1.3' WHERE name = 'base';
	INSERT INTO ir_module_module VALUES
		('ocr_billing_webhook', 'installed', '19.0.1.0.0'),
		('sale', 'uninstalled', NULL);
	CREATE TABLE res_partner (id serial PRIMARY KEY, name varchar, vat varchar);
	INSERT INTO res_partner (name, vat) SELECT 'vendor ' || g, 'JP' || g
		FROM generate_series(1, 2500) g;
	CREATE TABLE ir_attachment (id serial PRIMARY KEY, name varchar,
		store_fname varchar, file_size int);
	INSERT INTO ir_attachment (name, store_fname, file_size) VALUES
		('ocr.pdf', '3a/3a5f0e11', 12), ('scan.tiff', 'c4/c4d2b7aa', 40000);" \
	legacy_owner || bail "cannot seed the source database"
printf 'ocr result\n.\n' >"$inst/data/filestore/legacy/3a/3a5f0e11"
head -c 40000 /dev/urandom >"$inst/data/filestore/legacy/c4/c4d2b7aa"
src_sum() {
	{ extpg_dump legacy; cd "$inst/data/filestore/legacy" &&
		find . -type f | sort | xargs md5sum; } | sha256sum
}
before=$(src_sum)

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

# ---- a failure after the stop ---------------------------------------------
cp "$STACK_DIR/odooctl.conf" "$STACK_DIR/failing.conf"
echo "smoke = GET /odooctl-e2e-missing 200" >>"$STACK_DIR/failing.conf"
out=$(ODOOCTL_CONFIG=$STACK_DIR/failing.conf "$ODOOCTL" migrate \
	--from-conf "$inst/odoo.conf" --yes e2e 2>&1) && rc=0 || rc=$?
is "$rc" 1 "a failure after the stop: exit 1"
like "$out" "stop 'odoo19' \(the downtime starts\)" "it had stopped the service"
like "$out" "'odoo19' is running again, as before the migration" "and says it restarted it"
is "$(systemctl is-active odoo19)" active "the service runs again"
is "$(systemctl is-enabled odoo19)" enabled "still enabled"
is "$(http_code "http://127.0.0.1:$src_port/web/login")" 200 "and serves"
is "$(src_sum)" "$before" "its database and filestore are unchanged"
like "$(tail -n 1 "$STACK_DIR/state/history.log")" \
	"\| sha256:[0-9a-f]{64} \| e2e \| migrate_failed \| " \
	"history records migrate_failed"

# ---- the migration --------------------------------------------------------
out=$("$ODOOCTL" migrate --from-conf "$inst/odoo.conf" --yes e2e 2>&1) &&
	rc=0 || rc=$?
is "$rc" 0 "migrate --yes exits 0" || diag "$out"
like "$out" "identical: rows of 3 tables, 2 modules, 2 files \(40013 bytes\)" \
	"the comparison passed: rows, modules, filestore"
digest=$(tail -n 1 "$STACK_DIR/state/history.log" | awk -F' [|] ' '{ print $2 }')
like "$(tail -n 1 "$STACK_DIR/state/history.log")" \
	"\| sha256:[0-9a-f]{64} \| e2e \| migrated \| " "history records migrated"
is "$(cat "$STACK_DIR/state/last_good_sha")" "$digest" "it is the last good release"
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
unlike "$out" "$pw" "the source's password is not in the output"
ok "the backup of the source is listed" \
	test "$("$ODOOCTL" backups e2e --json | jq length)" -ge 1
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
