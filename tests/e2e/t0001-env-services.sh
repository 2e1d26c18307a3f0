#!/usr/bin/env bash
# The test environment itself: dockerd, the registry, the stand-in images,
# PostgreSQL with a password login, and the stand-in Odoo answering through
# nginx, both with plain docker and as the stack's compose services (the
# real docker-compose.yml and nginx.conf).
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

ok "dockerd answers" "$DOCKER" version
is "$(http_code "http://$E2E_REGISTRY/v2/")" 200 "registry answers /v2/"
for image in "$STANDIN_POSTGRES" "$STANDIN_NGINX" "$STANDIN_ODOO"; do
	like "$("$DOCKER" image inspect -f \
		'{{index .Config.Labels "odooctl.recipe"}}' "$image" 2>&1)" \
		'^[0-9a-f]{64}$' "image $image exists (recipe label)"
done

stack_up e2e
net=${STACK_PROJECT}_raw
pg=${STACK_PROJECT}_rawpg
odoo=${STACK_PROJECT}_rawodoo
proxy=${STACK_PROJECT}_rawproxy
cleanup_raw() {
	"$DOCKER" rm -fv "$pg" "$odoo" "$proxy" >/dev/null 2>&1 || true
	"$DOCKER" network rm "$net" >/dev/null 2>&1 || true
}
trap 'cleanup_raw; stack_down_all' EXIT

# ---- the registry: push, then pull by digest ----------------------------------
ref=$STACK_REPO:standin
"$DOCKER" tag "$STANDIN_ODOO" "$ref"
ok "push the stand-in to the registry" "$DOCKER" push "$ref"
digest=$("$DOCKER" image inspect -f '{{range .RepoDigests}}{{.}} {{end}}' \
	"$ref" | tr ' ' '\n' | grep -m1 "^$STACK_REPO@" || true)
like "$digest" "^$STACK_REPO@sha256:[0-9a-f]{64}\$" "pushed image has a digest"
"$DOCKER" rmi "$ref" >/dev/null
"$DOCKER" rmi "$digest" >/dev/null 2>&1 || true
ok "pull it back by digest" "$DOCKER" pull "$digest"

# ---- plain docker: postgres, stand-in, nginx on a user-defined network ------
"$DOCKER" network create "$net" >/dev/null
export POSTGRES_PASSWORD	# given to docker by name: not in any argv
"$DOCKER" run -d --name "$pg" --network "$net" -e POSTGRES_USER=odoo \
	-e POSTGRES_PASSWORD -p 127.0.0.1::5432 "$STANDIN_POSTGRES" >/dev/null
end=$((SECONDS + 60))
until "$DOCKER" exec "$pg" pg_isready -q -h 127.0.0.1 -U odoo -d postgres; do
	((SECONDS < end)) || bail "postgres not ready after 60 s"
	sleep 0.5
done
pgport=$("$DOCKER" port "$pg" 5432/tcp | head -n 1 | sed 's/.*://')
is "$(PGPASSWORD=$POSTGRES_PASSWORD psql -X -h 127.0.0.1 -p "$pgport" \
	-U odoo -d postgres -Atc 'SELECT current_user' 2>&1)" odoo \
	"postgres accepts a password login from the host"
like "$(PGPASSWORD=wrong psql -X -h 127.0.0.1 -p "$pgport" -U odoo \
	-d postgres -Atc 'SELECT 1' 2>&1 || true)" \
	'password authentication failed' "and refuses a wrong password"

"$DOCKER" run -d --name "$odoo" --network "$net" -e PGHOST="$pg" \
	-e PGUSER=odoo -e PGPASSWORD="$POSTGRES_PASSWORD" -p 127.0.0.1::8069 \
	"$STANDIN_ODOO" odoo --database=central >/dev/null
oport=$("$DOCKER" port "$odoo" 8069/tcp | head -n 1 | sed 's/.*://')
ok "stand-in answers /web/health" wait_http "http://127.0.0.1:$oport/web/health" 200 30
conf=$STACK_DIR/raw-proxy.conf
cat >"$conf" <<EOF
server {
    listen 8080;
    resolver 127.0.0.11 valid=5s ipv6=off;
    set \$odoo_upstream "$odoo:8069";
    location / { proxy_pass http://\$odoo_upstream; }
}
EOF
"$DOCKER" run -d --name "$proxy" --network "$net" -p 127.0.0.1::8080 \
	-v "$conf:/etc/nginx/conf.d/proxy.conf:ro" "$STANDIN_NGINX" >/dev/null
nport=$("$DOCKER" port "$proxy" 8080/tcp | head -n 1 | sed 's/.*://')
ok "stand-in answers /web/health through nginx" \
	wait_http "http://127.0.0.1:$nport/web/health?db_server_status=1" 200 30
rpc='{"jsonrpc":"2.0","method":"call","params":{},"id":1}'
like "$(curl -s --max-time 10 -H 'X-Odoo-Database: central' -d "$rpc" \
	"http://127.0.0.1:$oport/web/webclient/version_info")" \
	'"result": \{"server_version": "19.0"' "version_info: the -d database exists"
like "$(curl -s --max-time 10 -H 'X-Odoo-Database: missing' -d "$rpc" \
	"http://127.0.0.1:$oport/web/webclient/version_info")" \
	'"error": \{.*does not exist' "version_info: a missing database is an error"
like "$(curl -s --max-time 10 "http://127.0.0.1:$oport/web/login")" \
	'<form.*Log in' "/web/login has a login form"
is "$(http_code "http://127.0.0.1:$oport/nope")" 404 "unknown path: 404"
out=$("$DOCKER" run --rm --network "$net" -e PGHOST="$pg" -e PGUSER=odoo \
	-e PGPASSWORD="$POSTGRES_PASSWORD" "$STANDIN_ODOO" \
	odoo -d central -u base --stop-after-init --no-http 2>&1) || true
like "$out" 'INFO central odoo\.modules\.loading: Modules loaded\.' \
	"stand-in -u base --stop-after-init: Modules loaded."
"$DOCKER" stop "$pg" >/dev/null
is "$(curl -s --max-time 20 -w ' %{http_code}' \
	"http://127.0.0.1:$oport/web/health?db_server_status=1")" \
	'{"status": "fail", "db_server_status": false} 500' \
	"postgres stopped: db_server_status false, 500"
start=$SECONDS
"$DOCKER" stop -t 20 "$odoo" >/dev/null
is "$("$DOCKER" inspect -f '{{.State.ExitCode}}' "$odoo")" 0 "stand-in exits 0 on SIGTERM"
ok "promptly" test $((SECONDS - start)) -le 5
cleanup_raw

# ---- the stack: compose file, nginx.conf, a release container ----------------
ok "compose up postgres, switch and proxy (healthy)" stack_start
ODOO_IMAGE=$digest
export ODOO_IMAGE
ok "start a release container as odooctl does" compose run -d --no-deps \
	--name "$STACK_PROJECT-standin" -l "odooctl.env=$STACK_ENV" \
	-l "odooctl.release=sha256:${digest#*@sha256:}" -l odooctl.managed=1 \
	-p 127.0.0.1::8069 odoo19
ok "release container healthy" wait_healthy "$STACK_PROJECT-standin" 90
proxy=$(stack_container switch)
base=http://127.0.0.1:$PROXY_PORT
is "$(http_code "$base/web/login")" 503 "proxy in maintenance before a switch"
cat >"$STACK_DIR/state/proxy/upstream.conf.new" <<EOF
set \$odoo_upstream "$STACK_PROJECT-standin:8069";
set \$odoo_ws_upstream "$STACK_PROJECT-standin:8072";
set \$odoo_maintenance 0;
EOF
mv "$STACK_DIR/state/proxy/upstream.conf.new" "$STACK_DIR/state/proxy/upstream.conf"
ok "nginx -t && nginx -s reload in the switch" "$DOCKER" exec "$proxy" sh -c \
	'nginx -t && nginx -s reload'
ok "stack: /web/health through the proxy" wait_http "$base/web/health" 200 30
is "$(curl -s --max-time 10 "$base/web/health?db_server_status=1")" \
	'{"status": "pass", "db_server_status": true}' "stack: db_server_status"
like "$(curl -s --max-time 10 -H 'X-Odoo-Database: central' \
	-H 'Content-Type: application/json' \
	-d '{"jsonrpc":"2.0","method":"call","params":{},"id":1}' \
	"$base/web/webclient/version_info")" '"server_serie": "19.0"' \
	"stack: version_info on the business database"
is "$(http_code "$base/websocket")" 200 "stack: /websocket reaches port 8072"
is "$(http_code "$base/nginx-health")" 200 "stack: proxy's own health"

done_testing
