# shellcheck shell=bash
# A PostgreSQL 15 server outside any stack, as RDS or a host's own server
# would be: a plain process (initdb in a temp dir, pg_ctl) on a free
# 127.0.0.1 port, scram passwords over TCP, the socket trusted for the
# test's own setup as the superuser.
#   extpg_start              sets EXTPG_DIR, EXTPG_PORT (stop it with
#                            extpg_stop, e.g. from the EXIT trap); listens
#                            on $EXTPG_LISTEN (default 127.0.0.1; '*' lets
#                            containers in too, scram from any address)
#   extpg_owner ROLE PW DB   ROLE: LOGIN CREATEDB, not a superuser (like
#                            RDS's master user); DB owned by it
#   extpg_sql DB SQL [ROLE]  psql -At over the socket (default: postgres)
#   extpg_dump DB            pg_dump --no-owner of DB, without the random
#                            \restrict key lines
#   extpg_stop
EXTPG_BIN=/usr/lib/postgresql/15/bin

extpg_start() {
	local addr=${EXTPG_LISTEN:-127.0.0.1}
	EXTPG_DIR=$(mktemp -d /tmp/odooctl-extpg.XXXXXX)
	EXTPG_PORT=$(free_port)
	chown postgres: "$EXTPG_DIR"
	runuser -u postgres -- "$EXTPG_BIN/initdb" -D "$EXTPG_DIR/data" \
		-U postgres -E UTF8 --locale=C.UTF-8 --auth-local=trust \
		--auth-host=scram-sha-256 >"$EXTPG_DIR/initdb.log" 2>&1 || {
		diag "$(cat "$EXTPG_DIR/initdb.log")"
		return 1
	}
	[[ $addr == 127.0.0.1 ]] ||
		echo "host all all 0.0.0.0/0 scram-sha-256" >>"$EXTPG_DIR/data/pg_hba.conf"
	# -o on one line: pg_ctl pastes it into a shell command
	runuser -u postgres -- "$EXTPG_BIN/pg_ctl" -D "$EXTPG_DIR/data" -w \
		-l "$EXTPG_DIR/server.log" start >/dev/null \
		-o "-p $EXTPG_PORT -k $EXTPG_DIR -c listen_addresses='$addr'" || {
		diag "$(cat "$EXTPG_DIR/server.log")"
		return 1
	}
	export EXTPG_DIR EXTPG_PORT
}

extpg_sql() {
	"$EXTPG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$EXTPG_DIR" \
		-p "$EXTPG_PORT" -U "${3:-postgres}" -d "$1" -c "$2"
}

extpg_owner() {
	extpg_sql postgres "CREATE ROLE $1 LOGIN CREATEDB PASSWORD '$2'" &&
		extpg_sql postgres "CREATE DATABASE $3 OWNER $1"
}

extpg_dump() {
	"$EXTPG_BIN/pg_dump" -h "$EXTPG_DIR" -p "$EXTPG_PORT" -U postgres \
		--no-owner -d "$1" | grep -v '^\\\(un\)\?restrict '
}

extpg_stop() {
	[[ -n ${EXTPG_DIR:-} && -d $EXTPG_DIR ]] || return 0
	runuser -u postgres -- "$EXTPG_BIN/pg_ctl" -D "$EXTPG_DIR/data" \
		-m immediate stop >/dev/null 2>&1 || true
	rm -rf "$EXTPG_DIR"
}
