#!/usr/bin/env bash
# Bad input exits 2 and a failed gate or the lock exits 3; in every case the
# running release (same container) and every state file are untouched.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy.sh"

stack_up e2e
sed -i 's/^health_retries *=.*/health_retries = 20/' "$ODOOCTL_CONFIG"
release A
A=$DIGEST
ok "deploy A" "$ODOOCTL" deploy "$A" e2e alice
release B
B=$DIGEST
running_id=$(current_id)
sum=$(state_sum)

# refused CODE REGEX DESC ARGS...: exit CODE, message REGEX, nothing touched.
refused() {
	local code=$1 re=$2 desc=$3 out rc
	shift 3
	out=$("$@" 2>&1) && rc=0 || rc=$?
	is "$rc" "$code" "$desc: exit $code"
	like "$out" "$re" "$desc: the error says why"
	is "$(wc -l <<<"$out")" 1 "$desc: one line" || diag "$out"
	is "$(current_id)" "$running_id" "$desc: the same container serves"
	is "$(state_sum)" "$sum" "$desc: the state files are untouched"
	is "$(serving)" A "$desc: the proxy serves A"
}

refused 2 "malformed digest 'sha256:abc'" "malformed digest" \
	"$ODOOCTL" -q deploy sha256:abc e2e
refused 2 "'latest' is not a digest" "a tag" \
	"$ODOOCTL" -q deploy latest e2e
refused 2 "unknown environment 'prod'" "unknown environment" \
	"$ODOOCTL" -q deploy "$B" prod
cp "$ODOOCTL_CONFIG" "$STACK_DIR/broken.conf"
echo "health_timeout 5" >>"$STACK_DIR/broken.conf"
n=$(wc -l <"$STACK_DIR/broken.conf")
refused 2 "broken.conf:$n: syntax error" "a broken config line" \
	"$ODOOCTL" -q -c "$STACK_DIR/broken.conf" deploy "$B" e2e
refused 2 "deploy: wrong number of arguments \(usage: odooctl deploy" "missing arguments" "$ODOOCTL" -q deploy

absent=sha256:$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
refused 3 "gate 'registry' failed: '$STACK_REPO@$absent' is not in the registry" \
	"digest absent from the registry" "$ODOOCTL" -q deploy "$absent" e2e

sed "s|^image_repository *=.*|image_repository = 127.0.0.1:$(free_port)/nobody|" \
	"$ODOOCTL_CONFIG" >"$STACK_DIR/noreg.conf"
refused 3 "gate 'registry' failed: .*127.0.0.1:[0-9]+/nobody@$B" \
	"a registry that does not answer" \
	"$ODOOCTL" -q -c "$STACK_DIR/noreg.conf" deploy "$B" e2e
sed 's|^docker_socket *=.*|docker_socket = /nonexistent/docker.sock|' \
	"$ODOOCTL_CONFIG" >"$STACK_DIR/nodocker.conf"
refused 3 "gate 'docker' failed: cannot reach docker at '/nonexistent/docker.sock'" \
	"a Docker engine that does not answer" \
	"$ODOOCTL" -q -c "$STACK_DIR/nodocker.conf" deploy "$B" e2e

sed "s|^proxy_url *=.*|proxy_url = http://127.0.0.1:$(free_port)|" \
	"$ODOOCTL_CONFIG" >"$STACK_DIR/noproxy.conf"
refused 3 "gate 'proxy' failed: GET http://127.0.0.1:[0-9]+/web/health: " \
	"a proxy_url that does not answer" \
	"$ODOOCTL" -q -c "$STACK_DIR/noproxy.conf" deploy "$B" e2e

sed 's/^disk_floor_mb *=.*/disk_floor_mb = 1000000000/' "$ODOOCTL_CONFIG" \
	>"$STACK_DIR/floor.conf"
refused 3 "gate 'disk' failed: [0-9]+ MiB free on '.*', the floor is 1000000000 MiB" \
	"disk under the floor" \
	"$ODOOCTL" -q -c "$STACK_DIR/floor.conf" deploy "$B" e2e

pg=$(stack_container postgres)
"$DOCKER" stop "$pg" >/dev/null
refused 3 "gate 'database' failed: cannot connect to PostgreSQL" "database down" \
	"$ODOOCTL" -q deploy "$B" e2e
"$DOCKER" start "$pg" >/dev/null
wait_healthy "$pg" 120

up=$STACK_DIR/state/proxy/upstream.conf
cp "$up" "$STACK_DIR/upstream.good"
echo 'this is not nginx;' >>"$up"
sum=$(state_sum)
refused 3 "gate 'proxy' failed: 'nginx -t' in the switch failed" \
	"a proxy config broken by hand" "$ODOOCTL" -q deploy "$B" e2e
cp "$STACK_DIR/upstream.good" "$up"

printf 'begin deploy %s %s - - %s alice\nphase health\n' "$B" "$STACK_REPO@$B" \
	"$(date +%s)" >"$STACK_DIR/state/journal"
sum=$(state_sum)
refused 3 "unfinished deploy of $B .*phase health.*odooctl recover e2e" \
	"an unfinished deploy in the journal" "$ODOOCTL" -q deploy "$B" e2e
rm "$STACK_DIR/state/journal"
sum=$(state_sum)

# A second deploy while one runs: the first is slow to become healthy.
release C "slow_start 4"
C=$DIGEST
"$ODOOCTL" deploy "$C" e2e alice >"$STACK_DIR/first.log" 2>&1 &
first=$!
end=$((SECONDS + 60))
until grep -q '^==> health' "$STACK_DIR/first.log" || ((SECONDS > end)); do
	sleep 0.1
done
sum=$(state_sum)
out=$("$ODOOCTL" -q deploy "$B" e2e bob 2>&1) && rc=0 || rc=$?
is "$rc" 3 "a second concurrent deploy: exit 3"
like "$out" "deploy.lock' is held by another odooctl \(pid $first\)" \
	"a second concurrent deploy: names the lock and its holder"
is "$(state_sum)" "$sum" "a second concurrent deploy: state untouched"
is "$(history_lines | grep -c bob || true)" 0 \
	"a second concurrent deploy: no history line"
wait "$first" && rc=0 || rc=$?
is "$rc" 0 "the first deploy finishes"
is "$(serving)" C "and C serves"
done_testing
