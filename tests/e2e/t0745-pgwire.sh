#!/usr/bin/env bash
# pgwire (src/pg/pgwire*.c), the probes' own client of PostgreSQL's
# protocol, against a real server: a throw-away cluster of Debian's
# PostgreSQL (initdb, pg_ctl) on a free loopback port and a socket
# directory, with TLS (a self-signed certificate for localhost) and one
# role per pg_hba.conf method: scram-sha-256, md5 (its password stored as
# MD5), password, trust, gss (refused by pgwire), hostssl only. The server's
# log_connections tells which method each login took. The helper is
# build/tests/pgwire_probe (make unit), linked --as-needed: no libpq.
. "$(dirname "$0")/lib.sh"

probe=$(dirname "$ODOOCTL")/tests/pgwire_probe
[[ -x $probe ]] || bail "$probe is missing (make unit builds it)"
pgbin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin \
	2>/dev/null | sort -V | tail -n 1)
[[ -x $pgbin/initdb ]] || bail "no PostgreSQL server in /usr/lib/postgresql"

dir=$(mktemp -d /tmp/odooctl-t0745.XXXXXX)
as_pg() {
	if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}
cleanup() {
	as_pg "$pgbin/pg_ctl" -D "$dir/data" -m immediate stop \
		>/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT
if ((EUID == 0)); then chown postgres "$dir"; fi
sock=$dir/sock
port=$(free_port)
as_pg mkdir "$sock"
as_pg "$pgbin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
	>"$dir/initdb.log" 2>&1 ||
	bail "initdb failed: $(tail -n 5 "$dir/initdb.log")"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost -days 2 \
	-keyout "$dir/server.key" -out "$dir/server.crt" >/dev/null 2>&1
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=other -days 2 \
	-keyout "$dir/other.key" -out "$dir/other.crt" >/dev/null 2>&1
chmod 600 "$dir/server.key"
if ((EUID == 0)); then chown postgres "$dir/server.key" "$dir/server.crt"; fi
cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sock'
ssl = on
ssl_cert_file = '$dir/server.crt'
ssl_key_file = '$dir/server.key'
log_connections = on
CONF
cat >"$dir/data/pg_hba.conf" <<HBA
local all postgres trust
local all all scram-sha-256
hostssl all u_tls 127.0.0.1/32 scram-sha-256
host all u_scram 127.0.0.1/32 scram-sha-256
host all u_md5 127.0.0.1/32 md5
host all u_pw 127.0.0.1/32 password
host all u_trust 127.0.0.1/32 trust
host all u_gss 127.0.0.1/32 gss
HBA
as_pg "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
	>/dev/null || bail "pg_ctl start failed: $(tail -n 5 "$dir/server.log")"
psql -X -q -h "$sock" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
	>/dev/null <<'SQL' || bail "cannot create the roles"
CREATE ROLE u_scram LOGIN PASSWORD 'pw scram';
CREATE ROLE u_tls LOGIN PASSWORD 'pw-tls';
CREATE ROLE u_pw LOGIN PASSWORD 'pw-clear';
CREATE ROLE u_trust LOGIN;
CREATE ROLE u_gss LOGIN;
SET password_encryption = 'md5';
CREATE ROLE u_md5 LOGIN PASSWORD 'pw-md5';
SQL

# run USER PASSWORD [SQL...]: the probe (on 127.0.0.1 unless PGHOST says
# otherwise; PGSSLMODE... from the caller); output in $OUT, status in $RC.
# Every output is kept in $ALL, for the check that no password leaks.
ALL=
run() {
	local user=$1 password=$2
	shift 2
	OUT=$(PGHOST=${PGHOST:-127.0.0.1} PGPORT=$port PGUSER=$user \
		PGPASSWORD=$password PGDATABASE=postgres PGCONNECT_TIMEOUT=10 \
		"$probe" "$@" 2>&1) && RC=0 || RC=$?
	ALL+=$OUT
}
# rows: $OUT without its first line (server_version).
rows() { sed 1d <<<"$OUT"; }
# method USER: how the server's log says USER's last login authenticated.
method() {
	grep "connection authenticated: identity=\"$1\"" "$dir/server.log" |
		tail -n 1 | sed -n 's/.* method=\([a-z0-9-]*\).*/\1/p'
}
ssl_sql='SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'
major=$(basename "$(dirname "$pgbin")")

unlike "$(ldd "$probe")" 'libpq' "the probe program maps no libpq"

# ---- methods ---------------------------------------------------------------
run u_scram 'pw scram' 'SELECT current_user, 1, NULL' "$ssl_sql"
is "$RC" 0 "scram-sha-256: login and queries" || diag "$OUT"
like "$(head -n 1 <<<"$OUT")" "^server_version ${major}[0-9]{4}\$" \
	"server_version as PQserverVersion"
is "$(rows)" $'u_scram\t1\tNULL\nf' \
	"a row with a NULL; prefer on loopback: no TLS"
is "$(method u_scram)" scram-sha-256 "the server took scram-sha-256"
run u_scram wrong
is "$RC" 1 "scram-sha-256, wrong password: exit 1"
is "$OUT" "cannot connect to PostgreSQL database 'postgres' at 127.0.0.1:$port: password authentication failed for user \"u_scram\"" \
	"the server's message, naming the database and the server"
run u_scram ''
like "$OUT" 'asks for a password and none is configured$' \
	"no password: said so"

run u_md5 pw-md5 'SELECT current_user'
is "$RC/$(rows)" 0/u_md5 "md5: login" || diag "$OUT"
is "$(method u_md5)" md5 "the server took md5"
run u_md5 pw-wrong
like "$OUT" 'password authentication failed for user "u_md5"$' \
	"md5, wrong password: the server's message"

run u_pw pw-clear 'SELECT current_user'
is "$RC/$(rows)" 0/u_pw "password (cleartext): login" || diag "$OUT"
is "$(method u_pw)" password "the server took password"

run u_trust '' 'SELECT current_user'
is "$RC/$(rows)" 0/u_trust "trust: login without a password"

run u_gss x
is "$RC" 1 "gss: exit 1"
like "$OUT" 'GSSAPI or SSPI authentication, which odooctl does not support$' \
	"gss: refused, said so" || diag "$OUT"

PGHOST=$sock run u_scram 'pw scram' 'SELECT current_user'
is "$RC/$(rows)" 0/u_scram "a unix socket directory as host" || diag "$OUT"
PGHOST=localhost run u_scram 'pw scram' 'SELECT 1'
is "$RC" 0 "a host name (localhost)" || diag "$OUT"

# ---- queries ---------------------------------------------------------------
run u_scram 'pw scram' 'SELECT * FROM nope'
is "$RC" 1 "a failing query: exit 1"
like "$OUT" 'relation "nope" does not exist$' "the server's message"
run u_scram 'pw scram' \
	'SELECT g, md5(g::text) FROM generate_series(1, 30000) g'
is "$RC/$(rows | wc -l)" 0/30000 "30000 rows of 2 columns"
run u_scram 'pw scram' 'SELECT 1; SELECT 2, 3' 'SET application_name = x' \
	"SELECT 'ü', ''"
is "$(rows)" $'2\t3\nü\t' \
	"several statements: the last one's rows; UTF-8; an empty value"
start=$SECONDS
PROBE_QUERY_MS=700 run u_scram 'pw scram' 'SELECT pg_sleep(30)'
is "$RC" 1 "a query slower than its timeout: exit 1"
like "$OUT" "server at 127.0.0.1:$port: timeout expired\$" "said so"
ok "within the bound" test $((SECONDS - start)) -le 5

# ---- TLS -------------------------------------------------------------------
PGSSLMODE=require run u_tls pw-tls "$ssl_sql"
is "$RC/$(rows)" 0/t "require: TLS, a hostssl entry" || diag "$OUT"
PGSSLMODE=disable run u_tls pw-tls
like "$OUT" 'no pg_hba.conf entry for host "127.0.0.1", user "u_tls", database "postgres", no encryption$' \
	"disable: no TLS, refused by hostssl"
run u_tls pw-tls
like "$OUT" 'no encryption$' "prefer on loopback: no TLS (documented)"
PGSSLMODE=allow run u_tls pw-tls "$ssl_sql"
is "$RC/$(rows)" 0/t "allow: plain refused, then TLS, as libpq" ||
	diag "$OUT"
PGSSLMODE=require run u_scram 'pw scram' "$ssl_sql"
is "$RC/$(rows)" 0/t "require: scram-sha-256 over TLS"
PGSSLMODE=verify-ca PGSSLROOTCERT=$dir/server.crt run u_tls pw-tls "$ssl_sql"
is "$RC/$(rows)" 0/t "verify-ca with the server's certificate" ||
	diag "$OUT"
PGSSLMODE=verify-ca PGSSLROOTCERT=$dir/other.crt run u_tls pw-tls
like "$OUT" 'TLS: server certificate: ' \
	"verify-ca with another root: refused" || diag "$OUT"
PGSSLMODE=require PGSSLROOTCERT=$dir/other.crt run u_tls pw-tls
is "$RC" 1 "require with a root file verifies it, as libpq"
PGSSLMODE=verify-ca PGSSLROOTCERT=$dir/missing.crt run u_tls pw-tls
like "$OUT" "root certificate file '$dir/missing.crt' does not exist" \
	"verify-ca without a root file: said so"
PGHOST=localhost PGSSLMODE=verify-full PGSSLROOTCERT=$dir/server.crt \
	run u_tls pw-tls "$ssl_sql"
is "$RC/$(rows)" 0/t "verify-full: localhost matches the certificate" ||
	diag "$OUT"
PGSSLMODE=verify-full PGSSLROOTCERT=$dir/server.crt run u_tls pw-tls
like "$OUT" 'TLS: server certificate: .*mismatch' \
	"verify-full: 127.0.0.1 is not in the certificate" || diag "$OUT"
PGSSLMODE=bogus run u_tls pw-tls
like "$OUT" "invalid PGSSLMODE 'bogus'" "an unknown PGSSLMODE: said so"
PGSSLMODE=require PGSSLROOTCERT=system run u_tls pw-tls
like "$OUT" 'PGSSLROOTCERT=system needs sslmode verify-full$' \
	"require with the system's roots: refused (as libpq 16)" || diag "$OUT"
PGSSLMODE=prefer PGSSLROOTCERT=system run u_scram 'pw scram' 'SELECT 1'
is "$RC" 1 "prefer with the system's roots: refused, not fallen back to plain"
# as libpq: sslmode means nothing on a unix socket
PGSSLMODE=verify-full PGHOST=$sock run u_scram 'pw scram' 'SELECT 1'
is "$RC" 0 "verify-full on a unix socket: plain, as libpq" || diag "$OUT"

psql -X -q -h "$sock" -p "$port" -U postgres -d postgres \
	-c 'ALTER SYSTEM SET ssl = off' -c 'SELECT pg_reload_conf()' >/dev/null
sleep 1
PGSSLMODE=require run u_scram 'pw scram'
like "$OUT" 'server does not support SSL, but SSL was required$' \
	"require, a server without TLS: refused"
PGSSLMODE=prefer PGHOST=$sock run u_scram 'pw scram'
is "$RC" 0 "prefer, a server without TLS: plain"

# ---- no server -------------------------------------------------------------
as_pg "$pgbin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
run u_scram 'pw scram'
like "$OUT" "at 127.0.0.1:$port: Connection refused\$" \
	"server stopped: refused"
unlike "$ALL" 'pw scram|pw-tls|pw-md5|pw-clear' "no password in any message"
done_testing
