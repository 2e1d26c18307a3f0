#!/bin/sh
# odooctl-entrypoint: starts Odoo with the image's config file.
#
# Replaces the official image's entrypoint, which appends --db_host,
# --db_user and --db_password to odoo's arguments: the password would be
# visible in `ps` and in `docker inspect`. Here the connection comes from the
# libpq variables PGHOST, PGPORT, PGUSER and PGPASSWORD in the environment,
# and this script never prints or passes them.
#
#   (no arguments) | odoo [ARGS]   odoo -c /etc/odoo/odoo.conf [ARGS]
#   --flag ...                     odoo -c /etc/odoo/odoo.conf --flag ...
#   odoo SUBCOMMAND ...            odoo SUBCOMMAND ... (ODOO_RC names the config)
#   anything else                  run as is (e.g. sh, odoo-bin helpers)
#
# Before starting the server it waits for PostgreSQL (at most
# ODOOCTL_DB_WAIT seconds, default 30; 0 disables) when pg_isready is
# installed and PGHOST is set. If the wait times out, Odoo starts anyway and
# reports the connection error itself.
#
# Odoo's master password (admin_passwd) is a secret, so it is neither in
# the image nor in git: when ODOO_ADMIN_PASSWD is set (from the stack's
# .env), this script writes a copy of the config with admin_passwd added to
# a mode 0600 file in ODOOCTL_RUNTIME_DIR (default /tmp, inside the
# container) and starts Odoo with that; the variable is then removed from
# Odoo's environment. The value never reaches a command line: awk reads it
# from its environment.
#
# POSIX sh: runs under dash, bash and busybox sh.
set -eu

ODOO_CONF=${ODOO_RC:-/etc/odoo/odoo.conf}

runtime_conf() {
	[ -n "${ODOO_ADMIN_PASSWD:-}" ] || return 0
	case $ODOO_ADMIN_PASSWD in
	*'
'*)
		echo "odooctl-entrypoint: ODOO_ADMIN_PASSWD holds a newline" >&2
		exit 2
		;;
	esac
	old_umask=$(umask)
	umask 077
	conf=$(mktemp "${ODOOCTL_RUNTIME_DIR:-/tmp}/odoo.conf.XXXXXX")
	awk '
		/^[[:space:]]*admin_passwd[[:space:]]*=/ { next }
		{ print }
		/^[[:space:]]*\[options\][[:space:]]*$/ {
			print "admin_passwd = " ENVIRON["ODOO_ADMIN_PASSWD"]
		}
	' "$ODOO_CONF" >"$conf"
	umask "$old_umask"
	unset ODOO_ADMIN_PASSWD
	ODOO_CONF=$conf
}

runtime_conf

wait_for_db() {
	limit=${ODOOCTL_DB_WAIT:-30}
	case $limit in
	'' | *[!0-9]*) limit=30 ;;
	esac
	[ "$limit" -gt 0 ] || return 0
	[ -n "${PGHOST:-}" ] || return 0
	command -v pg_isready >/dev/null 2>&1 || return 0
	start=$(date +%s)
	while ! pg_isready -q -t 2 >/dev/null 2>&1; do
		if [ $(($(date +%s) - start)) -ge "$limit" ]; then
			echo "odooctl-entrypoint: PostgreSQL at ${PGHOST}:${PGPORT:-5432}" \
			     "not ready after ${limit} s, starting Odoo anyway" >&2
			return 0
		fi
		sleep 1
	done
	return 0
}

if [ "$#" -eq 0 ]; then
	set -- odoo
fi

case $1 in
odoo | odoo-bin)
	shift
	case ${1:-} in
	'' | -*)
		wait_for_db
		exec odoo -c "$ODOO_CONF" "$@"
		;;
	scaffold | help)
		exec odoo "$@"
		;;
	*)
		# A subcommand (shell, db, module, neutralize, ...): odoo reads
		# the config file named by ODOO_RC.
		export ODOO_RC="$ODOO_CONF"
		wait_for_db
		exec odoo "$@"
		;;
	esac
	;;
-*)
	wait_for_db
	exec odoo -c "$ODOO_CONF" "$@"
	;;
*)
	exec "$@"
	;;
esac
