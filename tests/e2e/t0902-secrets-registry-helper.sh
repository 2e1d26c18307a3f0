#!/usr/bin/env bash
# Registry credentials from a docker credential helper: a registry that
# wants a password (docker-registry with htpasswd), the docker client's
# config naming a helper for it (credHelpers), and a fake
# docker-credential-e2e on PATH that reads the registry from stdin and
# prints {"Username","Secret"}. odooctl build, push and deploy (the pull
# by digest, the image removed locally first) reach the registry through
# the Engine API with those credentials; without the helper the push is
# refused; the password is in no output and no process's cmdline.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/e2e/deploy.sh
. "$(dirname "${BASH_SOURCE[0]}")/deploy.sh"
# shellcheck source=tests/e2e/secrets.sh
. "$(dirname "${BASH_SOURCE[0]}")/secrets.sh"

if ! command -v htpasswd >/dev/null; then
	skip "registry credentials from a helper" \
		"htpasswd is not installed (apache2-utils)"
	done_testing
	exit 0
fi

stack_up e2e
W=$STACK_DIR/reg
mkdir -p "$W/bin" "$W/docker"
registry_pid='' SAMPLER_PID=''
trap '[[ -z $registry_pid ]] || kill "$registry_pid" 2>/dev/null;
	[[ -z $SAMPLER_PID ]] || kill "$SAMPLER_PID" 2>/dev/null;
	stack_down_all' EXIT

REG_PASSWORD="reg-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
LEAK_PATTERNS=$W/patterns
printf '%s\n' "$REG_PASSWORD" >"$LEAK_PATTERNS"
password_registry "$W" deployer "$REG_PASSWORD" && rc=0 || rc=$?
registry_pid=$REGISTRY_PID
((rc == 0)) || bail "the password registry does not answer"
ok "a registry on $REGISTRY that answers 401 without a password"

# The helper's answer is in a 0600 file, never in an argument.
(
	umask 077
	jq -n --arg s "$REG_PASSWORD" --arg u "$REGISTRY" \
		'{ServerURL: $u, Username: "deployer", Secret: $s}' \
		>"$W/answer.json"
)
cat >"$W/bin/docker-credential-e2e" <<EOF
#!/bin/sh
[ "\$1" = get ] || exit 9
host=\$(cat)
echo "get \$host" >>"$W/helper.log"
if [ "\$host" = "$REGISTRY" ]; then
	cat "$W/answer.json"
else
	echo "credentials not found in native keychain"
	exit 1
fi
EOF
chmod 700 "$W/bin/docker-credential-e2e"

REPO=$REGISTRY/odooctl-e2e/$STACK_PROJECT
sed -i "s|^image_repository = .*|image_repository = $REPO|" "$ODOOCTL_CONFIG"
STACK_REPO=$REPO
export DOCKER_CONFIG=$W/docker
OUT=$W/all-output

build_release A
"$ODOOCTL" -q build >>"$OUT" 2>&1
"$ODOOCTL" push >>"$OUT" 2>&1 && rc=0 || rc=$?
is "$rc" 1 "push with no credentials: refused by the registry"
like "$(cat "$OUT")" "unauthorized|authentication required|no basic auth" \
	"and says the registry wants credentials"

printf '{"auths": {"%s": {}}, "credHelpers": {"%s": "e2e"}}\n' \
	"$REGISTRY" "$REGISTRY" >"$DOCKER_CONFIG/config.json"
export PATH=$W/bin:$PATH
cmdline_sampler "$W/cmdline-leaks"
DIGEST=$("$ODOOCTL" -q push 2>>"$OUT") && rc=0 || rc=$?
is "$rc" 0 "push with the helper's credentials"
like "$DIGEST" '^sha256:[0-9a-f]{64}$' "push prints the digest"
like "$(head -n 1 "$W/helper.log")" "^get $REGISTRY$" \
	"the helper got the registry's host on stdin"
(umask 077 && printf 'user = "deployer:%s"\n' "$REG_PASSWORD" >"$W/curlrc")
code=$(curl -s -K "$W/curlrc" -o /dev/null -w '%{http_code}' \
	-H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
	"http://$REGISTRY/v2/odooctl-e2e/$STACK_PROJECT/manifests/$DIGEST")
is "$code" 200 "the registry holds the pushed manifest"

"$DOCKER" rmi -f "$("$DOCKER" image inspect -f '{{.Id}}' "$REPO@$DIGEST")" \
	>/dev/null
calls=$(wc -l <"$W/helper.log")
stack_start
"$ODOOCTL" deploy "$DIGEST" e2e alice >>"$OUT" 2>&1 && rc=0 || rc=$?
is "$rc" 0 "deploy pulls the release by digest with the helper's credentials" ||
	diag "$(tail -n 15 "$OUT")"
is "$(serving)" A "the proxy serves A"
ok "the helper was asked again for the pull" \
	test "$(wc -l <"$W/helper.log")" -gt "$calls"
ok "the cmdline sampler ran to the end" kill "$SAMPLER_PID"
SAMPLER_PID=
is "$(cat "$W/cmdline-leaks" 2>/dev/null)" "" \
	"no /proc/PID/cmdline held the registry password"
no_leak "$OUT" "the registry password is in no output ($(wc -l <"$OUT") lines)"
hits=$(grep -rlF -f "$LEAK_PATTERNS" "$STACK_DIR/state" || true)
is "$hits" "" "nor in state_dir"
done_testing
