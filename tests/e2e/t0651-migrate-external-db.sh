#!/usr/bin/env bash
# odooctl migrate with the database left where it is: the environment's
# database is external (postgres_service empty) and is the systemd
# install's own (same server, same name), so only the filestore moves into
# the stack's volume. The stack's Odoo reaches that server through
# ODOO_DB_HOST and ODOO_DB_PORT in the stack's .env (host.docker.internal,
# the host), as the install's own role (ODOO_DB_USER, not a superuser, the
# owner of everything in it), the stack's postgres never starts; the comparison passes, and
# --revert brings the systemd service back on the same database.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/extpg.sh"
. "$(dirname "$0")/migrate.sh"

EXTPG_LISTEN='*' migrate_stack
migrate_install

# The environment: the install's database as its external one.
printf '%s\n' "$pw" >"$STACK_DIR/db.password"
chmod 0600 "$STACK_DIR/db.password"
cat >>"$STACK_DIR/odooctl.conf" <<EOF
postgres_service =
db_host          = 127.0.0.1
db_port          = $EXTPG_PORT
db_user          = legacy_owner
db_password_file = $STACK_DIR/db.password
db_name          = legacy
EOF
sed -i -e "s/^ODOO_DB_NAME=.*/ODOO_DB_NAME=legacy/" \
	-e "s/^POSTGRES_USER=.*/POSTGRES_USER=legacy_owner/" \
	-e "s/^POSTGRES_PASSWORD=.*/POSTGRES_PASSWORD=$pw/" \
	-e "s/^ODOO_DB_USER=.*/ODOO_DB_USER=legacy_owner/" \
	-e "s/^ODOO_DB_PASSWORD=.*/ODOO_DB_PASSWORD=$pw/" "$STACK_DIR/.env"
printf 'ODOO_DB_HOST=host.docker.internal\nODOO_DB_PORT=%s\n' "$EXTPG_PORT" \
	>>"$STACK_DIR/.env"

out=$("$ODOOCTL" migrate --from-conf "$inst/odoo.conf" e2e 2>&1) && rc=0 || rc=$?
is "$rc" 0 "the plan exits 0" || diag "$out"
like "$out" "restore the filestore into the stack's volume \(database 'legacy' stays where it is, as the external database\)" \
	"the plan says the database stays where it is"
is "$("$ODOOCTL" migrate --json --from-conf "$inst/odoo.conf" e2e 2>/dev/null |
	jq -r '[.target.external_database, .target.database_in_place] | map(tostring) | join(" ")')" \
	"true true" "--json: database_in_place"

out=$("$ODOOCTL" migrate --from-conf "$inst/odoo.conf" --yes e2e 2>&1) &&
	rc=0 || rc=$?
is "$rc" 0 "migrate --yes exits 0" || diag "$out"
like "$out" "restored: filestore/legacy from [^ ]+\.zip \(database 'legacy' left as it is\)" \
	"only the filestore was restored"
like "$out" "identical: rows of 3 tables, 2 modules, 2 files \(40013 bytes\)" \
	"the comparison passed"
like "$(tail -n 1 "$STACK_DIR/state/history.log")" \
	"\| sha256:[0-9a-f]{64} \| e2e \| migrated \| " "history records migrated"
odoo=$(awk '{ print $2 }' "$STACK_DIR/state/current")
is "$("$DOCKER" inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$odoo" |
	grep -E '^PG(HOST|PORT)=' | sort | tr '\n' ' ')" \
	"PGHOST=host.docker.internal PGPORT=$EXTPG_PORT " \
	"the stack's Odoo is pointed at the external database by .env"
is "$("$DOCKER" ps -q --filter "label=com.docker.compose.project=$STACK_PROJECT" \
	--filter label=com.docker.compose.service=postgres | wc -l)" 0 \
	"the stack's postgres never started"
is "$(http_code "http://127.0.0.1:$PROXY_PORT/web/health?db_server_status=1")" 200 \
	"the stack's Odoo reaches the database (health with db_server_status)"
is "$(http_code "http://127.0.0.1:$PROXY_PORT/web/login")" 200 \
	"and serves through the proxy"
is "$(extpg_sql legacy "SELECT count(*) FROM res_partner")" 2500 \
	"the database is the install's, where it was"
unlike "$(extpg_sql postgres "SELECT string_agg(datname, ' ') FROM pg_database")" \
	odooctl_ "no staging database was made"
is "$("$DOCKER" exec "$odoo" md5sum /var/lib/odoo/filestore/legacy/c4/c4d2b7aa | cut -d' ' -f1)" \
	"$(md5sum <"$inst/data/filestore/legacy/c4/c4d2b7aa" | cut -d' ' -f1)" \
	"the filestore's files are in the stack's volume"
unlike "$out" "$pw" "the password is not in the output"

out=$("$ODOOCTL" migrate --revert e2e 2>&1) && rc=0 || rc=$?
is "$rc" 0 "migrate --revert exits 0" || diag "$out"
is "$(systemctl is-active odoo19)" active "the service runs again"
is "$(http_code "http://127.0.0.1:$src_port/web/login")" 200 "and serves"
done_testing
