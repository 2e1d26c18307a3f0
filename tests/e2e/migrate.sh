# shellcheck shell=bash
# A simulated systemd install of Odoo 19, for the migrate tests: the Odoo
# stand-in built for the host and run as a plain process by a fake
# `systemctl` (the unit odoo19), its odoo.conf, extra-addons, a database of
# its own on the external PostgreSQL (extpg.sh; a non-superuser owner) and
# a filestore under data_dir.
#   migrate_stack       the stack (env e2e), the external PostgreSQL, the
#                       build context, an EXIT trap that stops them all
#   migrate_install     sets inst (its directory), sd (the unit's state),
#                       pw (the database password), src_port, SYSTEMCTL,
#                       before (src_sum of the install as it starts)
#   src_sum             a checksum of its database dump and filestore
#   fake_systemctl SD PORT START   the fake systemctl itself (below)
#   migrate_bg PHASE OUT  migrate --yes in the background (output in OUT),
#                       returns once its journal has PHASE; sets pid

# fake_systemctl SD PORT START: $STACK_DIR/bin/systemctl (in $SYSTEMCTL)
# for one unit, odoo19, whose process is the shell command START (its output
# in SD/odoo.log, its pid in SD/pid), up once 127.0.0.1:PORT answers
# /web/health; enable and disable mark SD/enabled; every call is logged in
# SD/calls.
fake_systemctl() {
	local sd=$1 port=$2 start=$3
	SYSTEMCTL=$STACK_DIR/bin/systemctl
	mkdir -p "$STACK_DIR/bin"
	cat >"$SYSTEMCTL" <<-EOF
	#!/bin/bash
	sd=$sd
	echo "\$*" >>"\$sd/calls"
	[[ \$2 == odoo19 ]] || { echo "Unit \$2.service could not be found." >&2; exit 4; }
	running() { [[ -f \$sd/pid ]] && kill -0 "\$(cat "\$sd/pid")" 2>/dev/null; }
	case \$1 in
	is-active) if running; then echo active; else echo inactive; exit 3; fi ;;
	is-enabled) if [[ -f \$sd/enabled ]]; then echo enabled; else echo disabled; exit 1; fi ;;
	enable) touch "\$sd/enabled" ;;
	disable) rm -f "\$sd/enabled" ;;
	start)
		running && exit 0
		$start </dev/null >>"\$sd/odoo.log" 2>&1 &
		echo \$! >"\$sd/pid"
		for _ in \$(seq 300); do
			curl -sf -o /dev/null "http://127.0.0.1:$port/web/health" && exit 0
			running || break
			sleep 0.1
		done
		echo "odoo19 did not start" >&2; exit 1 ;;
	stop)
		running || exit 0
		kill "\$(cat "\$sd/pid")"
		for _ in \$(seq 300); do running || break; sleep 0.1; done
		if running; then kill -KILL "\$(cat "\$sd/pid")"; sleep 0.5; fi
		rm -f "\$sd/pid" ;;
	*) echo "fake systemctl: \$1?" >&2; exit 2 ;;
	esac
	EOF
	chmod 0755 "$SYSTEMCTL"
}

migrate_cleanup() {	# under set -e: nothing here may fail
	local rc=$?
	[[ -z ${SYSTEMCTL:-} ]] || "$SYSTEMCTL" stop odoo19 || true
	extpg_stop || true
	stack_down_all || true
	exit "$rc"
}

migrate_stack() {
	stack_up e2e
	trap migrate_cleanup EXIT
	extpg_start || bail "cannot start the source's PostgreSQL"
	build_release base >/dev/null	# build_context: the Dockerfile and its files
}

# shellcheck disable=SC2034 # pid is the caller's
migrate_bg() {
	local _
	"$ODOOCTL" migrate --from-conf "$inst/odoo.conf" --yes e2e >"$2" 2>&1 &
	pid=$!
	for _ in $(seq 900); do
		grep -q "^phase $1\b" "$STACK_DIR/state/migrate.journal" 2>/dev/null &&
			return 0
		sleep 0.1
	done
	bail "the migration never reached its phase $1"
}

# shellcheck disable=SC2034 # the variables are the tests'
migrate_install() {
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
	cat >"$inst/odoo.conf" <<-EOF
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
	fake_systemctl "$sd" "$src_port" "PGHOST=127.0.0.1 PGPORT=$EXTPG_PORT \
PGUSER=legacy_owner PGPASSWORD='$pw' setsid '$inst/odoo-bin' \
-c '$inst/odoo.conf'"
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
	before=$(src_sum)
}

src_sum() {
	{ extpg_dump legacy; cd "$inst/data/filestore/legacy" &&
		find . -type f | sort | xargs md5sum; } | sha256sum
}
