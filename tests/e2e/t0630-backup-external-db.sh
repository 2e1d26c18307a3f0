#!/usr/bin/env bash
# An environment whose database is outside the stack (postgres_service
# empty): a PostgreSQL 15 server run here as a plain process, reached as a
# non-superuser owner role with a scram password, the filestore still the
# stack's. backup -> restore into another database: a pg_dump of the two
# is identical, and so are the filestore trees; verify passes. The host's
# pg_dump and psql do the work, with the password on a passfile they
# inherit: never in their argv or environment, never in odooctl's output.
# A client older than the server is refused, naming the package; so is an
# unreachable server.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy.sh"
. "$(dirname "$0")/backup.sh"
. "$(dirname "$0")/extpg.sh"

backup_stack
cleanup() {	# under set -e: nothing here may fail
	local rc=$?
	extpg_stop || true
	stack_down_all || true
	exit "$rc"
}
trap cleanup EXIT
extpg_start || bail "cannot start the external PostgreSQL"

password="ext:$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')\\pw"
extpg_owner central_owner "$password" central ||
	bail "cannot create the owner role"
extpg_sql central "
	CREATE TABLE ir_module_module (id serial PRIMARY KEY,
		name varchar NOT NULL, state varchar, latest_version varchar);
	INSERT INTO ir_module_module (name, state, latest_version) VALUES
		('base', 'installed', '19.0.1.3'),
		('ocr_billing_webhook', 'installed', '19.0.1.0.0'),
		('crm', 'uninstalled', NULL);
	CREATE TABLE res_partner (id serial PRIMARY KEY, name varchar,
		comment text);
	INSERT INTO res_partner (name, comment)
		SELECT 'customer ' || g, repeat(md5(g::text), 4) || E'\\ttab'
		FROM generate_series(1, 3000) g;
	CREATE TABLE ir_attachment (id serial PRIMARY KEY, name varchar,
		store_fname varchar, file_size int);
	INSERT INTO ir_attachment (name, store_fname, file_size) VALUES
		('bill.pdf', '1f/1f2e3d4c', 7), ('photo.jpg', 'aa/aa99bb88', 65536);
	CREATE VIEW big_customers AS SELECT id, name FROM res_partner
		WHERE id > 2900;" central_owner || bail "cannot seed the database"
"$DOCKER" exec "$ODOO" sh -c '
	cd /var/lib/odoo/filestore/central && mkdir -p 1f aa &&
	printf invoice > 1f/1f2e3d4c && head -c 65536 /dev/urandom > aa/aa99bb88'

# The host's own binaries, wrapped to record what each run shows the
# system (argv, environment, its fd 3) before it becomes the real tool.
wrap=$STACK_DIR/pgbin
runs=$STACK_DIR/pgbin-runs.log
mkdir -p "$wrap"
for tool in pg_dump psql; do
	cat >"$wrap/$tool" <<-EOF
		#!/bin/sh
		{
			echo "argv: \$0 \$*"
			tr '\\0' '\\n' < /proc/\$\$/environ | sed 's/^/env: /'
			[ "\$1" = --version ] ||
				echo "fd3: \$(readlink /proc/\$\$/fd/3)"
			for p in /proc/[0-9]*; do
				tr '\\0' ' ' < "\$p/cmdline" 2>/dev/null; echo
			done | sed 's/^/ps: /'
		} >> "$runs"
		exec $EXTPG_BIN/$tool "\$@"
	EOF
	chmod 0755 "$wrap/$tool"
done
printf '%s\n' "$password" >"$STACK_DIR/db.password"
chmod 0600 "$STACK_DIR/db.password"
conf=$STACK_DIR/odooctl.conf
cp "$conf" "$STACK_DIR/odooctl.conf.stack"
cat >>"$conf" <<EOF
postgres_service =
db_host          = 127.0.0.1
db_port          = $EXTPG_PORT
db_user          = central_owner
db_password_file = $STACK_DIR/db.password
pg_bindir        = $wrap
EOF
like "$("$ODOOCTL" config show e2e)" $'postgres_service = \n' \
	"config show: postgres_service is empty (the database is external)"

out=$("$ODOOCTL" backup e2e --json 2>"$STACK_DIR/backup.err") && rc=0 || rc=$?
is "$rc" 0 "backup of the external database exits 0" ||
	diag "$(cat "$STACK_DIR/backup.err")"
zip=$(jq -r .path <<<"$out")
is "$(jq -r '.dump.rows["public.res_partner"]' <<<"$out")" 3000 \
	"the dump has the partners"
is "$(jq -r .filestore.files <<<"$out")" 2 \
	"and the stack's filestore (2 files)"
is "$(jq -r .pg_version <<<"$out")" 15.0 "pg_version is the external server's"
is "$(unzip -p "$zip" manifest.json | jq -c '.modules | keys')" \
	'["base","ocr_billing_webhook"]' "manifest.json lists the installed modules"
like "$(grep -c '^argv: .*/pg_dump --no-owner --format=p -d central$' "$runs")" \
	'^1$' "the host's pg_dump made the dump"

ok "restore into another database" "$ODOOCTL" -q restore "$zip" e2e --db copy
is "$(extpg_dump copy | sha256sum)" "$(extpg_dump central | sha256sum)" \
	"pg_dump of the restored database is identical to the original's"
is "$(extpg_sql postgres "SELECT pg_get_userbyid(datdba) FROM pg_database
	WHERE datname = 'copy'")" central_owner \
	"the copy belongs to the owner role (no superuser needed)"
tree=$(fs_tree central)
like "$tree" "1f2e3d4c .* 7 " "the original filestore has its files"
is "$(fs_tree copy)" "$tree" "the restored filestore tree is identical"
unlike "$(extpg_sql postgres "SELECT datname FROM pg_database")" odooctl_ \
	"no staging database left"

out=$("$ODOOCTL" verify latest e2e --json 2>&1) && rc=0 || rc=$?
is "$rc" 0 "verify passes" || diag "$out"
is "$(jq -r '.verified.checks | [.[]] | unique | join(",")' "${zip%.zip}.json")" \
	ok "every check passed"

is "$(cat "$runs" "$STACK_DIR/backup.err" | grep -cF -- "$password" || true)" 0 \
	"the password is in no tool's argv or environment, no ps line, no output"
like "$(grep -c '^ps: .*odooctl backup e2e --json' "$runs")" '^[1-9][0-9]*$' \
	"(every process's command line was looked at while the tools ran)"
like "$(grep -c '^env: PGPASSFILE=/dev/fd/3$' "$runs")" '^[1-9][0-9]*$' \
	"the tools read it from the passfile on their fd 3"
is "$(grep '^fd3: ' "$runs" | sort -u)" "fd3: /memfd:odooctl-pgpass (deleted)" \
	"which is a memfd, never a file on disk"
unlike "$(grep '^env: PGPASSWORD=' "$runs" || true)" . \
	"no PGPASSWORD in their environment"

# A client older than the server.
old=$STACK_DIR/oldbin
mkdir -p "$old"
for tool in pg_dump psql; do
	printf '#!/bin/sh\necho "%s (PostgreSQL) 14.11 (Debian 14.11-1)"\n' \
		"$tool" >"$old/$tool"
	chmod 0755 "$old/$tool"
done
sed -i "s|^pg_bindir .*|pg_bindir = $old|" "$conf"
n=$(find "$STACK_DIR/state/backups" -name '*.zip' | wc -l)
out=$("$ODOOCTL" backup e2e 2>&1) && rc=0 || rc=$?
is "$rc" 3 "a client older than the server: refused (exit 3)"
like "$out" "the PostgreSQL client in '$old' is 14, older than the server at 127.0.0.1:$EXTPG_PORT \(15\.[0-9]+\): install postgresql-client-15" \
	"the one-line error names the versions and the package"
like "$(tail -n 1 <<<"$out")" "^error: backup of e2e refused: .*older than the server.*postgresql-client-15 and set pg_bindir = /usr/lib/postgresql/15/bin$" \
	"on one line, the last"
is "$(find "$STACK_DIR/state/backups" -name '*.zip' | wc -l)" "$n" \
	"no backup was written"
out=$("$ODOOCTL" verify latest e2e 2>&1) && rc=0 || rc=$?
is "$rc" 3 "verify is refused the same way"

# Without pg_bindir: the host's own client of the server's major or newer.
sed -i "/^pg_bindir /d" "$conf"
ok "without pg_bindir, /usr/lib/postgresql/15/bin is found" \
	"$ODOOCTL" -q backup e2e

sed -i "s|^db_port .*|db_port = $(free_port)|" "$conf"
out=$("$ODOOCTL" backup e2e 2>&1) && rc=0 || rc=$?
is "$rc" 3 "an unreachable server: refused (exit 3)"
like "$out" "cannot connect to PostgreSQL database 'postgres' at 127.0.0.1:" \
	"and says where it tried"
done_testing
