#!/usr/bin/env bash
# odooctl secrets pull|check against each provider, with no Docker:
# - ssm: an SSM-compatible endpoint on loopback (tests/e2e/ssm_endpoint.py)
#   that recomputes every SigV4 signature with Debian's python3-botocore
#   and pages GetParametersByPath 2 parameters at a time; credentials from
#   the environment (with a session token), the shared credentials file
#   (a profile) and IMDSv2; a wrong secret key is refused by the endpoint;
# - env_file: refused (exit 3) at mode 0644, read at 0600;
# - command: KEY=VALUE from any program; its failure is reported with the
#   known secret values redacted from its stderr;
# the rendered env file is mode 0600 and keeps its other lines; no secret
# value appears in any output, nor in the providers' /proc/PID/cmdline.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/e2e/secrets.sh
. "$(dirname "${BASH_SOURCE[0]}")/secrets.sh"

if ! /usr/bin/python3 -c 'import botocore.auth' 2>/dev/null; then
	skip "secrets providers" "python3-botocore is not installed"
	done_testing
	exit 0
fi

DIR=$(mktemp -d /tmp/odooctl-e2e-secrets.XXXXXX)
trap 'ssm_stop; rm -rf "$DIR"' EXIT
OUT=$DIR/all-output	# every line odooctl printed, grepped at the end
LEAK_PATTERNS=$DIR/patterns
rnd() { head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
PW="pg-$(rnd)"
TOKEN_V="tok $(rnd) it's"
WEBHOOK_V="wh-$(rnd)"
OUTSIDE_V="outside-$(rnd)"
SESSION="session-$(rnd)"
printf '%s\n' "$PW" "$TOKEN_V" "$WEBHOOK_V" "$OUTSIDE_V" "$SSM_SECRET" \
	"$SESSION" >"$LEAK_PATTERNS"

params=$(jq -n --arg pw "$PW" --arg tok "$TOKEN_V" --arg wh "$WEBHOOK_V" \
	--arg out "$OUTSIDE_V" '{
	"/odoo19/e2e/POSTGRES_PASSWORD": $pw, "/odoo19/e2e/API_TOKEN": $tok,
	"/odoo19/e2e/WEBHOOK_SECRET": $wh, "/odoo19/e2e/ODOO_DB_NAME": "central",
	"/odoo19/e2e/PROXY_PORT": "8080", "/odoo19/other/OUTSIDE": $out}')
ssm_start "$DIR/ssm" "$params" "$SESSION"

ENV_FILE=$DIR/stack.env
conf() {	# conf PROVIDER [KEY = VALUE lines...]
	{
		printf '[e2e]\nimage_repository = %s\ndb_name = central\n' \
			"$E2E_REGISTRY/odooctl-e2e/secrets"
		printf 'env_file = %s\nstate_dir = %s\n' "$ENV_FILE" "$DIR/state"
		printf 'secrets_provider = %s\n' "$1"
		shift
		printf '%s\n' "$@"
	} >"$DIR/odooctl.conf"
}
export ODOOCTL_CONFIG=$DIR/odooctl.conf
run() {	# run ARGS...: odooctl's status in $RC, its output in $RUN_OUT
	RUN_OUT=$("$ODOOCTL" "$@" 2>&1) && RC=0 || RC=$?
	printf '%s\n' "$RUN_OUT" >>"$OUT"
}
aws_env() {	# the credentials in the environment, with the session token
	AWS_ACCESS_KEY_ID=$SSM_KEY_ID AWS_SECRET_ACCESS_KEY=$SSM_SECRET \
		AWS_SESSION_TOKEN=$SESSION HOME=$DIR/home \
		AWS_EC2_METADATA_DISABLED=true "$@"
}
requests() { grep -c "^$1" "$DIR/ssm/log" || true; }

# ---- ssm ---------------------------------------------------------------------
conf ssm "ssm_path = /odoo19/e2e/" "ssm_region = $SSM_REGION" \
	"ssm_endpoint = $SSM_URL" \
	"secrets_required = POSTGRES_PASSWORD, API_TOKEN"
printf '# the stack\nPOSTGRES_USER=odoo\nPOSTGRES_PASSWORD=old\n' >"$ENV_FILE"
chmod 644 "$ENV_FILE"
aws_env run -v secrets pull e2e
is "$RC" 0 "ssm: pull exits 0" || diag "$RUN_OUT"
is "$(requests 'verified POST GetParametersByPath')" 3 \
	"the endpoint verified the SigV4 signature of 3 pages (NextToken)"
is "$(requests refused)" 0 "and refused none"
is "$(stat -c %a "$ENV_FILE")" 600 "the env file is mode 0600"
is "$(grep -c . "$ENV_FILE")" 7 "3 lines kept + 5 keys, the old password replaced"
like "$(head -n 2 "$ENV_FILE" | tr '\n' ' ')" "^# the stack POSTGRES_USER=odoo" \
	"the stack's other lines are kept, in order"
# shellcheck disable=SC1090 # the rendered file, read back as a shell would
got=$(set -a && . "$ENV_FILE" && printf '%s|%s|%s|%s' "$POSTGRES_PASSWORD" \
	"$API_TOKEN" "$WEBHOOK_SECRET" "$PROXY_PORT")
is "$got" "$PW|$TOKEN_V|$WEBHOOK_V|8080" \
	"every value reads back exactly (quotes where needed)"
unlike "$(cat "$ENV_FILE")" "OUTSIDE" "nothing from outside ssm_path"
like "$RUN_OUT" "5 keys from ssm written to" "pull says how many keys"
like "$RUN_OUT" "credentials from the environment" "-v: where credentials came from"

aws_env run secrets check e2e --json
is "$RC" 0 "check: nothing missing, exit 0"
is "$(jq -c '[.ok, .keys, .missing]' <<<"$RUN_OUT")" '[true,5,[]]' \
	"check --json: ok, 5 keys, none missing"
conf ssm "ssm_path = /odoo19/e2e/" "ssm_region = $SSM_REGION" \
	"ssm_endpoint = $SSM_URL" \
	"secrets_required = POSTGRES_PASSWORD,SMTP_PASSWORD,ADMIN_PASSWD"
aws_env run secrets check e2e
is "$RC" 1 "check: a required key missing, exit 1"
like "$RUN_OUT" "missing: SMTP_PASSWORD" "check names the missing key"
like "$RUN_OUT" "missing: ADMIN_PASSWD" "and the other one"
aws_env run secrets check e2e --json
is "$(jq -c .missing <<<"$RUN_OUT")" '["SMTP_PASSWORD","ADMIN_PASSWD"]' \
	"check --json lists both"
sum=$(sha256sum <"$ENV_FILE")
aws_env run secrets pull e2e
is "$RC" 1 "pull with a required key missing exits 1"
is "$(sha256sum <"$ENV_FILE")" "$sum" "and leaves the env file as it was"

conf ssm "ssm_path = /odoo19/e2e/" "ssm_region = $SSM_REGION" \
	"ssm_endpoint = $SSM_URL"
AWS_ACCESS_KEY_ID=$SSM_KEY_ID AWS_SECRET_ACCESS_KEY=not-the-key \
	AWS_SESSION_TOKEN=$SESSION run secrets pull e2e
is "$RC" 1 "a wrong secret key: exit 1"
like "$RUN_OUT" "HTTP 400 InvalidSignatureException: signature mismatch" \
	"the endpoint's refusal is reported"
is "$(requests 'refused POST AmazonSSM.GetParametersByPath: signature mismatch')" \
	1 "the endpoint found the signature wrong"
is "$(sha256sum <"$ENV_FILE")" "$sum" "the env file is untouched"
AWS_ACCESS_KEY_ID=$SSM_KEY_ID AWS_SECRET_ACCESS_KEY=$SSM_SECRET \
	HOME=$DIR/home AWS_EC2_METADATA_DISABLED=true run secrets pull e2e
is "$RC" 1 "no session token where one is needed: exit 1"
like "$RUN_OUT" "X-Amz-Security-Token" "the endpoint says what is missing"

mkdir -p "$DIR/home/.aws"
printf '[default]\naws_access_key_id = WRONG\naws_secret_access_key = x\n\n[deploy]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n' \
	"$SSM_KEY_ID" "$SSM_SECRET" "$SESSION" >"$DIR/home/.aws/credentials"
HOME=$DIR/home AWS_PROFILE=deploy AWS_EC2_METADATA_DISABLED=true \
	run -v secrets pull e2e
is "$RC" 0 "credentials from ~/.aws/credentials, profile deploy" ||
	diag "$RUN_OUT"
like "$RUN_OUT" "credentials from the shared credentials file" \
	"-v says so"
rm -r "$DIR/home/.aws"

HOME=$DIR/home AWS_EC2_METADATA_SERVICE_ENDPOINT=${SSM_URL%/} \
	run -v secrets check e2e
is "$RC" 0 "credentials from the instance metadata service" ||
	diag "$RUN_OUT"
is "$(requests 'imds token')" 1 "IMDSv2: a session token was asked for"
is "$(requests 'imds credentials')" 1 "then the role's credentials"
is "$(requests 'imds refused')" 0 "no metadata request without the token"
HOME=$DIR/home AWS_EC2_METADATA_DISABLED=true run secrets check e2e
is "$RC" 1 "no credentials anywhere: exit 1"
like "$RUN_OUT" "no AWS credentials" "and says so"

# ---- env_file ----------------------------------------------------------------
SRC=$DIR/secrets.env
printf 'POSTGRES_PASSWORD=%s\nexport API_TOKEN="%s"\n' "$PW" "$TOKEN_V" >"$SRC"
chmod 644 "$SRC"
conf env_file "secrets_file = $SRC"
sum=$(sha256sum <"$ENV_FILE")
run secrets pull e2e
is "$RC" 3 "env_file at mode 0644: refused, exit 3"
like "$RUN_OUT" "secrets file '$SRC' has mode 0644 .*refused" \
	"the refusal names the file and its mode"
is "$(sha256sum <"$ENV_FILE")" "$sum" "the env file is untouched"
chmod 640 "$SRC"
run secrets check e2e
is "$RC" 3 "mode 0640 is refused too"
chmod 600 "$SRC"
run secrets pull e2e
is "$RC" 0 "mode 0600: pulled"
# shellcheck disable=SC1090
is "$(set -a && . "$ENV_FILE" && echo "$API_TOKEN")" "$TOKEN_V" \
	"the env_file provider's values land in the env file"
ln -s "$SRC" "$DIR/link.env"
conf env_file "secrets_file = $DIR/link.env"
run secrets pull e2e
is "$RC" 1 "a symlink as secrets_file is not followed"

# ---- command -----------------------------------------------------------------
# The provider scans every process's cmdline for the values it is about
# to print (from its own file, not its argv) before printing them.
cat >"$DIR/provider.sh" <<-EOF
	#!/bin/sh
	for f in /proc/[0-9]*/cmdline; do
		grep -qaF -f "$LEAK_PATTERNS" "\$f" 2>/dev/null &&
			echo "\$f" >>"$DIR/cmdline-leaks"
	done
	cat "$SRC"
	echo "WEBHOOK_SECRET=$WEBHOOK_V"
EOF
chmod 700 "$DIR/provider.sh"
conf command "secrets_command = $DIR/provider.sh"
run secrets pull e2e
is "$RC" 0 "command provider: pulled" || diag "$RUN_OUT"
like "$RUN_OUT" "3 keys from command" "its 3 keys"
is "$(cat "$DIR/cmdline-leaks" 2>/dev/null)" "" \
	"no process's cmdline held a secret while the provider ran"
cat >"$DIR/failing.sh" <<-EOF
	#!/bin/sh
	pw=\$(sed -n 's/^POSTGRES_PASSWORD=//p' "$ENV_FILE")
	echo "vault: sealed; the stale password \$pw is kept" >&2
	exit 3
EOF
chmod 700 "$DIR/failing.sh"
conf command "secrets_command = $DIR/failing.sh"
run secrets check e2e
is "$RC" 1 "a failing command: exit 1"
like "$RUN_OUT" "exited with status 3: vault: sealed; the stale password \[redacted\] is kept" \
	"its stderr is reported with the env file's password redacted"

conf command "secrets_command = echo \$\$ >$DIR/hang.pid; exec sleep 60" \
	"secrets_timeout = 1"
start=$SECONDS
run secrets check e2e
is "$RC" 1 "a command that hangs: exit 1"
like "$RUN_OUT" "no answer within secrets_timeout \(1 s\)" "after secrets_timeout"
ok "within seconds, not a minute" test $((SECONDS - start)) -lt 15
sleep 0.5
ok "the hung command was killed" test -s "$DIR/hang.pid" -a \
	! -d "/proc/$(cat "$DIR/hang.pid")"

# ---- config errors -----------------------------------------------------------
conf ssm "ssm_region = $SSM_REGION"
run secrets pull e2e
is "$RC" 2 "ssm without ssm_path: exit 2"
conf none
run secrets check e2e
is "$RC" 2 "no provider: exit 2"
conf vault
run secrets check e2e
is "$RC" 2 "an unknown provider is a config error"
like "$RUN_OUT" "'vault' is not one of none\|env_file\|ssm\|command" \
	"naming the choices"

no_leak "$OUT" "no secret value in any of odooctl's output ($(wc -l <"$OUT") lines)"
done_testing
