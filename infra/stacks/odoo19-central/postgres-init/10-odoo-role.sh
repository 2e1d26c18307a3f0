#!/bin/sh
# Run once by the postgres image's entrypoint, on an empty data directory
# (/docker-entrypoint-initdb.d): creates the role Odoo connects as,
# ODOO_DB_USER with ODOO_DB_PASSWORD, LOGIN CREATEDB NOSUPERUSER
# NOCREATEROLE. Odoo creates its database as that role, so it owns it and
# everything in it; odooctl keeps POSTGRES_USER (the superuser) for
# backups, restores and checks. A cluster made before this script existed:
# `odooctl dbrole ENV` does the same, and hands the database over.
#
# Executed (mode 0755) by the official image and the tests' stand-in, or
# sourced: no `set -e`, no `exit`. The password reaches psql on its
# standard input, never in an argv.
odoo_role_sql() {
	user=$(printf '%s' "$ODOO_DB_USER" | sed 's/"/""/g')
	pass=$(printf '%s' "$ODOO_DB_PASSWORD" | sed "s/'/''/g")
	printf 'CREATE ROLE "%s" WITH LOGIN CREATEDB NOSUPERUSER NOCREATEROLE PASSWORD '"'"'%s'"'"';\n' \
		"$user" "$pass"
	unset user pass
}

if [ -z "${ODOO_DB_USER:-}" ] || [ -z "${ODOO_DB_PASSWORD:-}" ]; then
	echo "10-odoo-role.sh: ODOO_DB_USER and ODOO_DB_PASSWORD must be set" >&2
	false
elif [ "$ODOO_DB_USER" = "${POSTGRES_USER:-postgres}" ]; then
	echo "10-odoo-role.sh: ODOO_DB_USER must not be POSTGRES_USER" \
	     "(the superuser)" >&2
	false
else
	odoo_role_sql | psql -X -q -v ON_ERROR_STOP=1 \
		--username "${POSTGRES_USER:-postgres}" --dbname postgres
fi
