#!/usr/bin/env bash
# Odoo's own database role. The stack's postgres-init/ makes ODOO_DB_USER
# (LOGIN CREATEDB, not a superuser) on the first start; Odoo connects as it
# (pg_stat_activity), creates the business database as it, and the gate's
# db_superuser and db_owner checks pass with no gate_allow. The database
# and every object in it stay the role's after a backup -> restore and a
# database-changing deploy (whose upgrade alters a table: only its owner
# may). A cluster made before: the database the superuser's, the role
# missing. A deploy creates the role, then the gate refuses (db_owner),
# naming `odooctl dbrole` (allowed anyway, the release cannot use its
# database and is rolled back, the restore handing the database to the
# new role); dbrole hands everything over (idempotent);
# then the deploy passes and Odoo connects as the new role, whose password
# never shows in odooctl's output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy.sh"
. "$(dirname "$0")/backup.sh"

# Objects of central (and central) that ROLE does not own, by the
# catalogs; pg_database_owner's schema counts as the owner's.
not_owned_by() {
	stack_psql central "
	WITH r AS (SELECT oid FROM pg_roles WHERE rolname IN ('$1',
		'pg_database_owner'))
	SELECT count(*) FROM (
		SELECT datdba AS o FROM pg_database WHERE datname = 'central'
		UNION ALL SELECT nspowner FROM pg_namespace
			WHERE nspname = 'public'
		UNION ALL SELECT relowner FROM pg_class
			WHERE relnamespace = 'public'::regnamespace
		UNION ALL SELECT proowner FROM pg_proc
			WHERE pronamespace = 'public'::regnamespace
		UNION ALL SELECT typowner FROM pg_type
			WHERE typnamespace = 'public'::regnamespace) x
	WHERE o NOT IN (SELECT oid FROM r)"
}

# The distinct roles of Odoo's connections to central, comma-separated.
odoo_roles() {
	stack_psql postgres "SELECT string_agg(DISTINCT usename, ',')
		FROM pg_stat_activity WHERE datname = 'central'
		AND application_name = 'odoo19'"
}

version_info() {
	curl -s --max-time 10 -H 'Content-Type: application/json' \
		-H 'X-Odoo-Database: central' \
		-d '{"jsonrpc":"2.0","method":"call","params":{},"id":1}' \
		"http://127.0.0.1:$PROXY_PORT/web/webclient/version_info"
}

stack_up e2e
unlike "$(cat "$ODOOCTL_CONFIG")" gate_allow "the stack's config allows no check"

# ---- a new stack: the init script's role ------------------------------------
release A
out=$("$ODOOCTL" deploy "$DIGEST" e2e alice 2>&1) && rc=0 || rc=$?
is "$rc" 0 "deploy A" || diag "$out"
like "$out" "gate db_superuser +ok" "db_superuser passes without gate_allow"
like "$out" "gate db_owner +ok" "and so does db_owner"
is "$(stack_psql postgres "SELECT rolsuper, rolcreatedb, rolcreaterole,
	rolcanlogin FROM pg_roles WHERE rolname = 'odoo'")" "f|t|f|t" \
	"postgres-init/ made role odoo: LOGIN CREATEDB NOSUPERUSER NOCREATEROLE"
is "$(odoo_roles)" odoo "Odoo's connection to central is role odoo's"
is "$(stack_psql postgres "SELECT bool_or(r.rolsuper) FROM pg_stat_activity a
	JOIN pg_roles r ON r.rolname = a.usename
	WHERE a.application_name = 'odoo19'")" f "and not a superuser's"
is "$(stack_psql postgres "SELECT pg_get_userbyid(datdba) FROM pg_database
	WHERE datname = 'central'")" odoo "Odoo created central as odoo"

ODOO=$(current_id)
PG=$(stack_container postgres)
seed_data
pg_sql central "CREATE TYPE partner_kind AS ENUM ('person', 'company');
	CREATE SEQUENCE invoice_number;
	CREATE VIEW big_partners AS SELECT id, name FROM res_partner
		WHERE id > 4900;
	CREATE FUNCTION partner_count() RETURNS bigint LANGUAGE sql
		AS 'SELECT count(*) FROM res_partner'"
is "$(not_owned_by odoo)" 0 "everything in central is odoo's"

# ---- backup -> restore --------------------------------------------------------
zip=$("$ODOOCTL" backup e2e --json 2>"$STACK_DIR/backup.err" | jq -r .path) ||
	diag "$(cat "$STACK_DIR/backup.err")"
ok "backup" test -f "$zip"
stack_psql central "DROP VIEW big_partners" >/dev/null
out=$("$ODOOCTL" restore "$zip" e2e --force 2>&1) && rc=0 || rc=$?
is "$rc" 0 "restore --force over central" || diag "$out"
like "$out" "will belong to role 'odoo'" "it says who will own it"
is "$(not_owned_by odoo)" 0 "after the restore, everything is odoo's again"
is "$(stack_psql central "SELECT viewowner FROM pg_views
	WHERE viewname = 'big_partners'")" odoo "the view is back, odoo's"
ok "Odoo reads the restored database" wait_http \
	"http://127.0.0.1:$PROXY_PORT/web/login" 200 60
like "$(version_info)" '"server_serie": "19.0"' \
	"version_info on central answers (the registry reads as odoo)"
out=$("$ODOOCTL" restore "$zip" e2e --db copy 2>&1) && rc=0 || rc=$?
is "$rc" 0 "restore into another database" || diag "$out"
is "$(stack_psql postgres "SELECT pg_get_userbyid(datdba) FROM pg_database
	WHERE datname = 'copy'")" odoo "the copy is odoo's too"

# ---- a release that changes the database ------------------------------------
release B "" changed
out=$("$ODOOCTL" deploy "$DIGEST" e2e alice 2>&1) && rc=0 || rc=$?
is "$rc" 0 "deploy B, which upgrades a module" || diag "$out"
like "$out" "path: database-changing" "(the database-changing path)"
is "$(stack_psql central "SELECT count(*) FROM information_schema.columns
	WHERE table_name = 'ir_module_module'
	AND column_name = 'latest_version'")" 1 \
	"the upgrade, as odoo, altered ir_module_module (its owner only may)"
is "$(stack_psql central "SELECT tableowner FROM pg_tables
	WHERE tablename = 'standin_upgrades'")" odoo \
	"the table the upgrade made is odoo's"
is "$(not_owned_by odoo)" 0 "everything in central is still odoo's"
is "$(odoo_roles)" odoo "B connects as odoo"

# ---- a cluster made before: the superuser's database, no role yet -------------
stack_psql central "REASSIGN OWNED BY odoo TO postgres" >/dev/null
like "$(not_owned_by odoo)" '^[1-9][0-9]*$' \
	"(central and its objects made the superuser's)"
new_pw=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
sed -i -e 's/^ODOO_DB_USER=.*/ODOO_DB_USER=odoo_new/' \
	-e "s/^ODOO_DB_PASSWORD=.*/ODOO_DB_PASSWORD=$new_pw/" "$STACK_DIR/.env"
is "$(stack_psql postgres "SELECT count(*) FROM pg_roles
	WHERE rolname = 'odoo_new'")" 0 "(no role odoo_new yet)"
release C
n=$(history_lines | wc -l)
out=$("$ODOOCTL" deploy "$DIGEST" e2e alice 2>&1) && rc=0 || rc=$?
is "$rc" 3 "deploy C is refused" || diag "$out"
like "$out" "created role 'odoo_new'" "the deploy created the missing role"
like "$out" "gate 'db_owner' failed: [0-9]+ objects of database 'central' \([A-Z]+ .*\) do not belong to role 'odoo_new' that Odoo connects as: run 'odooctl dbrole e2e'" \
	"the gate names db_owner and the command that fixes it"
is "$(statuses_since "$n")" "started refused" "history: started, refused"
is "$(stack_psql postgres "SELECT rolsuper, rolcreatedb FROM pg_roles
	WHERE rolname = 'odoo_new'")" "f|t" "odoo_new: CREATEDB, not a superuser"

# Let through, the stand-in connects as odoo_new and cannot read its
# tables: the release never gets ready and is rolled back. Its rollback
# point is a backup here, whose restore hands the database to the
# environment's role (a clone would give back the database as it was,
# the superuser's).
sed -e 's/^\([[:space:]]*health_retries[[:space:]]*=\).*/\1 5/' \
	-e 's/^\[e2e\]/[e2e]\nrollback_point = backup/' "$ODOOCTL_CONFIG" \
	>"$STACK_DIR/impatient.conf"
out=$("$ODOOCTL" -c "$STACK_DIR/impatient.conf" deploy --allow db_owner \
	"$DIGEST" e2e alice 2>&1) && rc=0 || rc=$?
is "$rc" 1 "deploy C with --allow db_owner fails" || diag "$out"
like "$out" "permission denied for (schema public|table ir_module_module)" \
	"Odoo's role cannot use a database it does not own"
is "$(last_status)" rolled_back "history: rolled_back"
is "$(not_owned_by odoo_new)" 0 \
	"the rollback's restore handed central to the env's role, odoo_new"
stack_psql central "REASSIGN OWNED BY odoo_new TO postgres" >/dev/null

out2=$("$ODOOCTL" dbrole e2e 2>&1) && rc=0 || rc=$?
is "$rc" 0 "odooctl dbrole e2e" || diag "$out2"
like "$out2" "database 'central': [1-9][0-9]* objects handed to role 'odoo_new'" \
	"it hands central over"
is "$(not_owned_by odoo_new)" 0 "everything in central is odoo_new's"
like "$("$ODOOCTL" dbrole e2e 2>&1)" "database 'central': 0 objects handed" \
	"a second run has nothing to do"
is "$(PGPASSWORD=$new_pw psql -X -At -h 127.0.0.1 -p "$POSTGRES_PORT" \
	-U odoo_new -d central -c 'SELECT current_user' 2>&1)" odoo_new \
	"odoo_new logs in with ODOO_DB_PASSWORD"

out3=$("$ODOOCTL" deploy "$DIGEST" e2e alice 2>&1) && rc=0 || rc=$?
is "$rc" 0 "deploy C now passes" || diag "$out3"
like "$(odoo_roles)" "odoo_new" "C connects as odoo_new"
is "$(stack_psql postgres "SELECT bool_or(r.rolsuper) FROM pg_stat_activity a
	JOIN pg_roles r ON r.rolname = a.usename
	WHERE a.application_name = 'odoo19'")" f "no Odoo connection is a superuser's"
is "$(printf '%s\n' "$out" "$out2" "$out3" | grep -cF -- "$new_pw" || true)" 0 \
	"the role's password is in no output"

# A superuser is never made Odoo's role.
sed -i 's/^ODOO_DB_USER=.*/ODOO_DB_USER=postgres2/' "$STACK_DIR/.env"
stack_psql postgres "CREATE ROLE postgres2 SUPERUSER LOGIN" >/dev/null
out=$("$ODOOCTL" dbrole e2e 2>&1) && rc=0 || rc=$?
is "$rc" 1 "dbrole with a superuser as ODOO_DB_USER fails"
like "$out" "role 'postgres2' is a PostgreSQL superuser" "and says why"
done_testing
