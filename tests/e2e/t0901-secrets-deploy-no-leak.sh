#!/usr/bin/env bash
# A stack whose database password comes from SSM (the loopback endpoint of
# t0900, which verifies SigV4) through `odooctl secrets pull`, then a
# build, push, deploy, backup and health: while they run, every process's
# /proc/PID/cmdline on the machine is sampled for the password and the
# other secret values; afterwards, no output, history line, journal, log
# under state_dir or container command line holds one.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/e2e/deploy.sh
. "$(dirname "${BASH_SOURCE[0]}")/deploy.sh"
# shellcheck source=tests/e2e/secrets.sh
. "$(dirname "${BASH_SOURCE[0]}")/secrets.sh"

if ! /usr/bin/python3 -c 'import botocore.auth' 2>/dev/null; then
	skip "secrets reach the stack and never leak" \
		"python3-botocore is not installed"
	done_testing
	exit 0
fi

stack_up e2e
SAMPLER_PID=
trap 'ssm_stop; [[ -z $SAMPLER_PID ]] || kill "$SAMPLER_PID" 2>/dev/null;
	stack_down_all' EXIT
rnd() { head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
# A space and a '$' the env file has to quote; compose must read it back.
POSTGRES_PASSWORD="pg $(rnd) \$x"
API_TOKEN="tok-$(rnd)"
LEAK_PATTERNS=$STACK_DIR/patterns
printf '%s\n' "$POSTGRES_PASSWORD" "$API_TOKEN" "$SSM_SECRET" \
	>"$LEAK_PATTERNS"

params=$(jq -n --arg pw "$POSTGRES_PASSWORD" --arg tok "$API_TOKEN" '{
	"/odoo19/e2e/POSTGRES_PASSWORD": $pw, "/odoo19/e2e/API_TOKEN": $tok}')
ssm_start "$STACK_DIR/ssm" "$params"
sed -i '/^POSTGRES_PASSWORD=/d' "$STACK_DIR/.env"
cat >>"$ODOOCTL_CONFIG" <<-EOF
	secrets_provider = ssm
	ssm_path         = /odoo19/e2e
	ssm_region       = $SSM_REGION
	ssm_endpoint     = $SSM_URL
EOF
export AWS_ACCESS_KEY_ID=$SSM_KEY_ID AWS_SECRET_ACCESS_KEY=$SSM_SECRET
export AWS_EC2_METADATA_DISABLED=true
OUT=$STACK_DIR/all-output

"$ODOOCTL" secrets check e2e >>"$OUT" 2>&1 && rc=0 || rc=$?
is "$rc" 0 "secrets check: SSM has POSTGRES_PASSWORD"
ok "secrets pull" "$ODOOCTL" secrets pull e2e
is "$(grep -c 'verified POST GetParametersByPath' "$STACK_DIR/ssm/log")" 2 \
	"two signed requests verified (check, pull)"
is "$(stat -c %a "$STACK_DIR/.env")" 600 "the stack's .env is mode 0600"

cmdline_sampler "$STACK_DIR/cmdline-leaks"
stack_start
release A
"$ODOOCTL" -v deploy "$DIGEST" e2e alice >>"$OUT" 2>&1 && rc=0 || rc=$?
is "$rc" 0 "deploy with the pulled password" || diag "$(tail -n 20 "$OUT")"
is "$(serving)" A "the proxy serves A"
is "$(stack_psql central 'SELECT 1')" 1 \
	"PostgreSQL took the quoted password from the env file"
"$ODOOCTL" -v backup e2e >>"$OUT" 2>&1 && rc=0 || rc=$?
is "$rc" 0 "a backup (pg_dump through the password)"
"$ODOOCTL" -v health e2e >>"$OUT" 2>&1 || true
like "$(cat "$OUT")" "ok +db.business" "health reached the business database"
"$ODOOCTL" status e2e >>"$OUT" 2>&1 || true
"$ODOOCTL" history e2e >>"$OUT" 2>&1 || true
sleep 0.2
ok "the cmdline sampler ran to the end" kill "$SAMPLER_PID"
SAMPLER_PID=

passes=$(wc -c <"$STACK_DIR/cmdline-leaks.passes")
ok "the sampler scanned every process $passes times" test "$passes" -ge 100
is "$(cat "$STACK_DIR/cmdline-leaks" 2>/dev/null)" "" \
	"no /proc/PID/cmdline held a secret while odooctl ran"
no_leak "$OUT" "no secret in odooctl's output ($(wc -l <"$OUT") lines, -v)"
hits=$(grep -rlF -f "$LEAK_PATTERNS" "$STACK_DIR/state" || true)
is "$hits" "" "no secret in history.log, the journal or any log in state_dir"
like "$(history_lines | grep ' | success | ')" " \| $DIGEST \| e2e \| success \| alice$" \
	"the deploy's history line is intact"
# A line written before redaction existed (or by hand) still never
# reaches the terminal: stdout is redacted too.
printf '2026-01-01T00:00:00Z | %s | e2e | success | %s\n' "$DIGEST" \
	"$POSTGRES_PASSWORD" >>"$STACK_DIR/state/history.log"
out=$("$ODOOCTL" history e2e 2>&1)
like "$(tail -n 1 <<<"$out")" " \| success \| \[redacted\]$" \
	"history prints an old line holding the password redacted"
json=$("$ODOOCTL" history e2e --json 2>&1)
is "$(jq -r '.[-1].operator' <<<"$json")" "[redacted]" \
	"history --json too, and stays valid JSON"
printf '%s\n%s\n' "$out" "$json" >"$STACK_DIR/history-out"
no_leak "$STACK_DIR/history-out" "no secret in either"
c=$(awk '{ print $2 }' "$STACK_DIR/state/current")
cmd=$("$DOCKER" inspect -f '{{json .Path}} {{json .Args}} {{json .Config.Cmd}} {{json .Config.Entrypoint}}' "$c")
printf '%s\n' "$cmd" >"$STACK_DIR/container-cmd"
no_leak "$STACK_DIR/container-cmd" \
	"the release container's command line carries no secret"
done_testing
