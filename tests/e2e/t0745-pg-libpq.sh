#!/usr/bin/env bash
# The database probes (pg_check, pg_probe in src/pg/pg.c, over libpq)
# as `odooctl health` and the monitor run them, against real servers:
# throw-away clusters of Debian's PostgreSQL (initdb, pg_ctl) on one free
# port, A on 127.0.0.1 and 127.0.0.2, B on 127.0.0.3, with TLS (a
# self-signed certificate for localhost) and one role per pg_hba.conf
# method: scram-sha-256, md5 (its password stored as MD5), gss (refused),
# hostssl only. The servers' log_connections tells which method and
# whether TLS each login took. Then: every sslmode, a probe that a server
# trickling bytes cannot hold past its deadline, no GSSAPI probe (no
# Kerberos library initialised) to a loopback host, a multi-host db_host
# that follows target_session_attrs=read-write to the writable cluster
# when the first one is read-only, and the binaries: no symbol of the
# removed protocol clients, a running monitor mapping libcurl and libpq.
. "$(dirname "$0")/lib.sh"

pgbin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin \
	2>/dev/null | sort -V | tail -n 1)
[[ -x $pgbin/initdb ]] || bail "no PostgreSQL server in /usr/lib/postgresql"
MONITOR_BIN=$(dirname "$ODOOCTL")/odooctl-monitor

dir=$(mktemp -d /tmp/odooctl-t0745.XXXXXX)
monitor_pid=
as_pg() {
	if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}
cleanup() {
	[[ -z $monitor_pid ]] || kill "$monitor_pid" 2>/dev/null || true
	[[ -z ${trickle_pid:-} ]] || kill "$trickle_pid" 2>/dev/null || true
	for c in a b; do
		as_pg "$pgbin/pg_ctl" -D "$dir/$c" -m immediate stop \
			>/dev/null 2>&1 || true
	done
	rm -rf "$dir"
}
trap cleanup EXIT
if ((EUID == 0)); then chown postgres "$dir"; fi
sock=$dir/sock
port=$(free_port)
as_pg mkdir "$sock"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost -days 2 \
	-keyout "$dir/server.key" -out "$dir/server.crt" >/dev/null 2>&1
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=other -days 2 \
	-keyout "$dir/other.key" -out "$dir/other.crt" >/dev/null 2>&1
chmod 600 "$dir/server.key"
if ((EUID == 0)); then chown postgres "$dir/server.key" "$dir/server.crt"; fi

# cluster NAME ADDRESSES SOCKETDIR [CONF...]: initdb, pg_hba, start
cluster() {
	local name=$1 addrs=$2 sockdir=$3
	shift 3
	as_pg "$pgbin/initdb" -D "$dir/$name" -U postgres --auth=trust \
		-E UTF8 >"$dir/initdb-$name.log" 2>&1 ||
		bail "initdb failed: $(tail -n 5 "$dir/initdb-$name.log")"
	{
		echo "listen_addresses = '$addrs'"
		echo "port = $port"
		echo "unix_socket_directories = '$sockdir'"
		echo "ssl = on"
		echo "ssl_cert_file = '$dir/server.crt'"
		echo "ssl_key_file = '$dir/server.key'"
		echo "log_connections = on"
		printf '%s\n' "$@"
	} >>"$dir/$name/postgresql.conf"
	cat >"$dir/$name/pg_hba.conf" <<-HBA
		local all postgres trust
		local all all scram-sha-256
		hostssl all u_tls 127.0.0.0/8 scram-sha-256
		host all u_scram 127.0.0.0/8 scram-sha-256
		host all u_md5 127.0.0.0/8 md5
		host all u_gss 127.0.0.0/8 gss
	HBA
	as_pg "$pgbin/pg_ctl" -D "$dir/$name" -l "$dir/$name.log" -w -t 60 \
		start >/dev/null ||
		bail "pg_ctl start failed: $(tail -n 5 "$dir/$name.log")"
}
cluster a 127.0.0.1,127.0.0.2 "$sock"
as_pg mkdir "$dir/sock-b"
cluster b 127.0.0.3 "$dir/sock-b"
for s in "$sock" "$dir/sock-b"; do
	psql -X -q -h "$s" -p "$port" -U postgres -d postgres \
		-v ON_ERROR_STOP=1 >/dev/null <<-'SQL' || bail "cannot create the roles"
		CREATE ROLE u_scram LOGIN PASSWORD 'pw scram';
		CREATE ROLE u_tls LOGIN PASSWORD 'pw-tls';
		CREATE ROLE u_gss LOGIN;
		SET password_encryption = 'md5';
		CREATE ROLE u_md5 LOGIN PASSWORD 'pw-md5';
	SQL
done
# A read-only: what a hot standby answers to target_session_attrs
psql -X -q -h "$sock" -p "$port" -U postgres -d postgres \
	-c 'ALTER SYSTEM SET default_transaction_read_only = on' \
	-c 'SELECT pg_reload_conf()' >/dev/null

# run USER PASSWORD [HOST]: `odooctl health --json` of an environment
# whose database is USER@HOST (default 127.0.0.1) on $port (PGSSLMODE and
# the rest from the caller's environment); $OUT is db.server's
# "ok|detail", $MS its duration. Every output is kept in $ALL, for the
# check that no password leaks.
ALL=
run() {
	local user=$1 password=$2 host=${3:-127.0.0.1} json
	printf '%s\n' "$password" >"$dir/password"
	cat >"$dir/odooctl.conf" <<-EOF
		[defaults]
		image_repository = 127.0.0.1:5000/t0745
		db_name          = postgres
		[t]
		state_dir        = $dir/state
		compose_files    = /dev/null
		postgres_service =
		db_host          = $host
		db_port          = $port
		db_user          = $user
		db_password_file = $dir/password
	EOF
	json=$("$ODOOCTL" -c "$dir/odooctl.conf" health t --json 2>&1) ||
		true	# unhealthy: nothing is deployed
	ALL+=$json
	MS=$(jq -r '.checks[] | select(.name == "db.server") | .ms' \
		<<<"$json" 2>/dev/null) || MS=
	OUT=$(jq -r '.checks[] | select(.name == "db.server") |
		"\(.ok)|\(.detail)"' <<<"$json" 2>/dev/null) || OUT=$json
}
# login USER [CLUSTER]: how its log says USER's last login went:
# "METHOD ssl" or "METHOD plain"
login() {
	local log=$dir/${2:-a}.log method ssl=plain
	method=$(grep "connection authenticated: identity=\"$1\"" "$log" |
		tail -n 1 | sed -n 's/.* method=\([a-z0-9-]*\).*/\1/p')
	grep "connection authorized: user=$1 " "$log" | tail -n 1 |
		grep -q 'SSL enabled' && ssl=ssl
	echo "$method $ssl"
}
mkdir -p "$dir/state"

# ---- methods ---------------------------------------------------------------
run u_scram 'pw scram'
like "$OUT" "^true\|SELECT 1 on 'postgres' at 127.0.0.1:$port " \
	"scram-sha-256: login and SELECT 1" || diag "$OUT"
is "$(login u_scram)" "scram-sha-256 plain" \
	"the server took scram-sha-256; no PGSSLMODE: no TLS to loopback"
run u_scram wrong
like "$OUT" "^false\|cannot connect to PostgreSQL database 'postgres' at 127.0.0.1:$port: connection to server at \"127.0.0.1\", port $port failed: FATAL:  password authentication failed for user \"u_scram\"" \
	"wrong password: the server's message, naming database and server"
run u_md5 pw-md5
like "$OUT" '^true\|' "md5: login" || diag "$OUT"
is "$(login u_md5)" "md5 plain" "the server took md5"
run u_gss x
like "$OUT" '^false\|.*GSSAPI' "gss: refused, said so" || diag "$OUT"
run u_scram 'pw scram' "$sock"
like "$OUT" "^true\|SELECT 1 on 'postgres' at $sock:$port " \
	"a unix socket directory as host" || diag "$OUT"
run u_scram 'pw scram' localhost
like "$OUT" '^true\|' "a host name (localhost)" || diag "$OUT"

# ---- every sslmode ---------------------------------------------------------
PGSSLMODE=disable run u_tls pw-tls
like "$OUT" 'no pg_hba.conf entry for host "127.0.0.1", user "u_tls", database "postgres", no encryption' \
	"disable: no TLS, refused by hostssl" || diag "$OUT"
PGSSLMODE=allow run u_tls pw-tls
like "$OUT/$(login u_tls)" '^true\|.*/scram-sha-256 ssl$' \
	"allow: plain refused, then TLS" || diag "$OUT"
run u_tls pw-tls
like "$OUT" 'no encryption' \
	"no PGSSLMODE, loopback: no TLS, refused by hostssl" || diag "$OUT"
PGSSLMODE=prefer run u_tls pw-tls
like "$OUT/$(login u_tls)" '^true\|.*/scram-sha-256 ssl$' \
	"PGSSLMODE=prefer: TLS, as libpq" || diag "$OUT"
PGSSLMODE=require run u_scram 'pw scram'
like "$OUT/$(login u_scram)" '^true\|.*/scram-sha-256 ssl$' \
	"require: scram-sha-256 over TLS" || diag "$OUT"
PGSSLMODE=verify-ca PGSSLROOTCERT=$dir/server.crt run u_tls pw-tls
like "$OUT" '^true\|' "verify-ca with the server's certificate" ||
	diag "$OUT"
PGSSLMODE=verify-ca PGSSLROOTCERT=$dir/other.crt run u_tls pw-tls
like "$OUT" '^false\|.*certificate verify failed' \
	"verify-ca with another root: refused" || diag "$OUT"
PGSSLMODE=require PGSSLROOTCERT=$dir/other.crt run u_tls pw-tls
like "$OUT" '^false\|' "require with a root file verifies it, as libpq"
PGSSLMODE=verify-ca PGSSLROOTCERT=$dir/missing.crt run u_tls pw-tls
like "$OUT" "root certificate file \"$dir/missing.crt\" does not exist" \
	"verify-ca without a root file: said so" || diag "$OUT"
PGSSLMODE=verify-full PGSSLROOTCERT=$dir/server.crt run u_tls pw-tls \
	localhost
like "$OUT" '^true\|' "verify-full: localhost matches the certificate" ||
	diag "$OUT"
PGSSLMODE=verify-full PGSSLROOTCERT=$dir/server.crt run u_tls pw-tls
like "$OUT" '^false\|.*does not match host name "127.0.0.1"' \
	"verify-full: 127.0.0.1 is not in the certificate" || diag "$OUT"
PGSSLMODE=bogus run u_tls pw-tls
like "$OUT" 'invalid sslmode value: "bogus"' "an unknown PGSSLMODE: said so"
PGSSLMODE=verify-full run u_scram 'pw scram' "$sock"
like "$OUT" '^true\|' "verify-full on a unix socket: plain, as libpq" ||
	diag "$OUT"

# ---- no GSSAPI probe to loopback --------------------------------------------
# Kerberos writes KRB5_TRACE as soon as libpq initialises it: a probe for
# GSSAPI encryption would; to loopback odooctl asks for none.
KRB5_TRACE=$dir/krb5.trace run u_scram 'pw scram'
ok "no Kerberos initialised to a loopback host" test ! -e "$dir/krb5.trace"
PGGSSENCMODE=prefer KRB5_TRACE=$dir/krb5.trace run u_scram 'pw scram'
ok "(PGGSSENCMODE=prefer does initialise it: the check above can fail)" \
	test -e "$dir/krb5.trace"

# ---- multi-host: follow the writable cluster ---------------------------------
run u_scram 'pw scram' 127.0.0.2,127.0.0.3
like "$OUT" "^true\|.* at 127.0.0.2:$port " \
	"two hosts: the first one that answers (A, read-only)" || diag "$OUT"
PGTARGETSESSIONATTRS=read-write run u_scram 'pw scram' 127.0.0.2,127.0.0.3
like "$OUT" "^true\|.* at 127.0.0.3:$port " \
	"target_session_attrs=read-write: B, the writable one" || diag "$OUT"

# ---- a deadline over the whole exchange ---------------------------------------
# A server that refuses TLS if asked, then sends an authentication
# request of 2000 bytes one byte every 50 ms: each wait is short, the
# whole would take 100 s; `odooctl health` gives a probe 10 s.
tport=$(free_port)
python3 - "$tport" <<'PY' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
while True:
    c, _ = s.accept()
    try:
        if c.recv(8)[4:] == (80877103).to_bytes(4, "big"):
            c.sendall(b"N")  # no TLS; then the startup packet
        c.recv(4096)
        c.sendall(b"R" + (2000).to_bytes(4, "big"))
        for _ in range(1996):
            c.sendall(b"\0")
            time.sleep(0.05)
    except OSError:
        pass
    c.close()
PY
trickle_pid=$!
for _ in $(seq 1 50); do	# python3 takes its time to listen
	(exec 3<>"/dev/tcp/127.0.0.1/$tport") 2>/dev/null && break
	sleep 0.2
done
saved_port=$port
port=$tport run u_scram 'pw scram'
port=$saved_port
like "$OUT" '^false\|.*timeout expired$' \
	"a server trickling bytes: timed out" || diag "$OUT"
ok "at the deadline, not stretched by the trickle ($MS ms)" \
	test "${MS:-0}" -ge 9900 -a "${MS:-0}" -le 11000
kill "$trickle_pid" 2>/dev/null || true
trickle_pid=

# ---- the binaries ----------------------------------------------------------
removed='httpc_|pgwire_|pgprobe|tlsbio_|metrics_parse_head|metrics_answer'
for bin in "$ODOOCTL" "$MONITOR_BIN"; do
	syms=$(nm "$bin" | grep -E "$removed" || true)
	is "$syms" "" "$(basename "$bin"): no symbol of the removed clients"
done
like "$(ldd "$MONITOR_BIN")" 'libcurl.*libpq|libpq.*libcurl' \
	"odooctl-monitor links libcurl and libpq"
unlike "$(ldd "$MONITOR_BIN")" 'libarchive' \
	"odooctl-monitor does not link libarchive (--as-needed)"
mport=$(free_port)
cat >>"$dir/odooctl.conf" <<EOF
monitor_interval = 1
metrics_listen   = 127.0.0.1:$mport
EOF
printf 'pw scram\n' >"$dir/password"
sed -i "s/^db_user .*/db_user = u_scram/; s/^db_host .*/db_host = 127.0.0.1/
	s/^db_port .*/db_port = $port/" "$dir/odooctl.conf"
"$MONITOR_BIN" -c "$dir/odooctl.conf" t >"$dir/monitor.log" 2>&1 &
monitor_pid=$!
wait_http "http://127.0.0.1:$mport/metrics" 200 30 ||
	diag "$(cat "$dir/monitor.log")"
for _ in $(seq 1 30); do
	curl -fs "http://127.0.0.1:$mport/metrics" |
		grep -q 'odooctl_check_up{env="t",check="db.server"} 1' && break
	sleep 1
done
like "$(curl -fs "http://127.0.0.1:$mport/metrics")" \
	'odooctl_check_up\{env="t",check="db.server"\} 1' \
	"the monitor probes the database (libpq), /metrics answers (libmicrohttpd)"
# its connections are kept from one pass to the next (a SCRAM login a
# second would be most of its CPU), and replaced when they break
backends() {
	psql -X -At -h "$sock" -p "$port" -U postgres -d postgres -c \
		"SELECT string_agg(pid::text, ' ' ORDER BY pid) FROM
		 pg_stat_activity WHERE application_name = 'odooctl'"
}
before=$(backends)
sleep 3
# (db_name is postgres here: one database, one connection)
like "$before" '^[0-9]+$' "the monitor keeps its connection" ||
	diag "$before"
is "$(backends)" "$before" "the same one, three passes later"
psql -X -q -h "$sock" -p "$port" -U postgres -d postgres -c \
	"SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	 WHERE application_name = 'odooctl'" >/dev/null
sleep 3
after=$(backends)
like "$after" '^[0-9]+$' "killed, it is made again" ||
	diag "$after"
unlike "$(cat "$dir/monitor.log")" 'db\.(server|business): failed' \
	"a kept connection that broke is no failed check"
maps=$(cat "/proc/$monitor_pid/maps")
like "$maps" 'libcurl' "the running monitor maps libcurl"
like "$maps" 'libpq' "the running monitor maps libpq"
like "$maps" 'libmicrohttpd' "the running monitor maps libmicrohttpd"
kill -TERM "$monitor_pid"
wait "$monitor_pid" && rc=0 || rc=$?
monitor_pid=
is "$rc" 0 "the monitor stops on SIGTERM"

unlike "$ALL" 'pw scram|pw-tls|pw-md5' "no password in any output"
done_testing
