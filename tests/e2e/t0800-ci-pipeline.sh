#!/usr/bin/env bash
# The CI/CD pipeline run here, step by step, as GitHub would run it: the jobs
# of .github/workflows/*.yml are read and their run: steps executed by
# tests/e2e/ghactions.py (so a broken step fails here too), against a local
# registry that wants a password (as ghcr.io does), a stack from stack_up,
# and an sshd on loopback standing for the server:
#   test-odoo19 lint and image jobs (the test job is this suite itself);
#   deploy-odoo19 image job: docker login, build, push sha-<sha> and latest,
#     the digest as a job output and in the summary;
#   deploy-odoo19 deploy job: odooctl deploy <digest> production <actor>
#     over SSH; then a release that never gets healthy: the job fails and
#     the deploy is rolled back.
# Locally the workflow's REGISTRY (ghcr.io) is the password registry (its user
# the actor, as on ghcr.io with GITHUB_TOKEN), and the
# base image is the Odoo stand-in (ODOO_BASE).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/e2e/deploy.sh
. "$(dirname "${BASH_SOURCE[0]}")/deploy.sh"

PY=/usr/bin/python3
GHA=$E2E_ROOT/tests/e2e/ghactions.py
TEST_WF=$E2E_ROOT/.github/workflows/test-odoo19.yml
DEPLOY_WF=$E2E_ROOT/.github/workflows/deploy-odoo19.yml
ACTOR=e2e-actor
OWNER=Seisei-E2E	# upper case: the repository must come out lower case

stack_up production
W=$STACK_DIR/ci
mkdir -p "$W"
registry_pid='' sshd_pid=''
ci_cleanup() {
	local rc=$?
	[[ -z $sshd_pid ]] || kill "$sshd_pid" 2>/dev/null || true
	[[ -z $registry_pid ]] || kill "$registry_pid" 2>/dev/null || true
	return "$rc"
}
trap 'ci_cleanup; stack_down_all' EXIT

# ---- a registry that wants a password ------------------------------------
REG_PASSWORD=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
password_registry "$W" $ACTOR "$REG_PASSWORD" && rc=0 || rc=$?
registry_pid=$REGISTRY_PID
((rc == 0)) || bail "the password registry does not answer"
ok "a registry on $REGISTRY that answers 401 without a password"

# ---- odooctl refuses to push without the credentials --------------------
REPO=$(tr '[:upper:]' '[:lower:]' <<<"$REGISTRY/$OWNER/seisei-odoo19")
export DOCKER_CONFIG=$W/runner-docker	# the runner's docker client config
mkdir -p "$DOCKER_CONFIG"
"$DOCKER" tag "$STANDIN_ODOO" "$REPO:sha-0000000"
out=$(ODOOCTL_CONFIG=/dev/null "$ODOOCTL" -c <(printf '[ci]\nimage_repository = %s\ndb_name = x\n' "$REPO") \
	push ci --commit 0000000 2>&1) && rc=0 || rc=$?
is "$rc" 1 "odooctl push without docker login fails"
like "$out" "cannot push '$REPO:sha-0000000'.*(unauthorized|authentication required|no basic auth)" \
	"and says the registry wants credentials"
"$DOCKER" rmi "$REPO:sha-0000000" >/dev/null

# ---- the workflows' jobs -------------------------------------------------
SHA=$(git -C "$E2E_ROOT" rev-parse HEAD)
# contexts JSON for ghactions.py: SHA, NEEDS_DIGEST and the deploy settings
# come from the environment, so no secret is in argv.
contexts() {
	jq -n --arg actor "$ACTOR" --arg owner "$OWNER" --arg sha "$SHA" \
		--arg registry "$REGISTRY" --arg digest "${NEEDS_DIGEST:-}" \
		--arg port "${SSH_PORT:-}" --arg user "$(id -un)" \
		--arg odooctl "$ODOOCTL" \
		'{github: {actor: $actor, repository_owner: $owner, sha: $sha},
		  env: {REGISTRY: $registry},
		  secrets: {GITHUB_TOKEN: env.REG_PASSWORD,
			    DEPLOY_SSH_KEY: (env.SSH_KEY // ""),
			    DEPLOY_KNOWN_HOSTS: (env.SSH_KNOWN_HOSTS // "")},
		  vars: {DEPLOY_HOST: "127.0.0.1", DEPLOY_PORT: $port,
			 DEPLOY_USER: $user, DEPLOY_ODOOCTL: $odooctl},
		  needs: {image: {outputs: {digest: $digest}}}}'
}
# run_job WORKFLOW JOB: the job's output in $W/JOB.log, result in $W/JOB.json
run_job() {
	export REG_PASSWORD
	contexts >"$W/contexts.json"
	ODOO_BASE=$STANDIN_ODOO "$PY" "$GHA" run "$1" "$2" "$W/contexts.json" \
		"$W/$2.json" >"$W/$2.log" 2>&1
}
job_log() { tail -n 40 "$W/$1.log"; }

if run_job "$TEST_WF" lint; then
	ok "test-odoo19 lint: odooctl lint, actionlint, shellcheck pass"
else
	fail "test-odoo19 lint" "$(job_log lint)" || true
fi
if run_job "$TEST_WF" image; then
	ok "test-odoo19 image: odooctl build of services/odoo19-central-addons"
else
	fail "test-odoo19 image" "$(job_log image)" || true
fi
like "$(cat "$W/image.log")" "tag=$REPO:sha-${SHA:0:7}" \
	"it builds $REPO:sha-<short sha>"

if run_job "$DEPLOY_WF" image; then
	ok "deploy-odoo19 image: login, build, push"
else
	fail "deploy-odoo19 image" "$(job_log image)" || true
fi
like "$(grep -c "\"$REGISTRY\"" "$DOCKER_CONFIG/config.json")" '^1$' \
	"docker login kept the credentials in the runner's docker config"
DIGEST=$(jq -r .outputs.digest "$W/image.json")
like "$DIGEST" '^sha256:[0-9a-f]{64}$' "the job's output digest"
summary=$(jq -r .summary "$W/image.json")
like "$summary" "digest \| \`$DIGEST\`" "the digest is in the job summary"
reg_digest() {
	curl -fsS -u "$ACTOR:$REG_PASSWORD" -o /dev/null -D - \
		-H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
		"http://$REGISTRY/v2/${REPO#*/}/manifests/$1" |
		tr -d '\r' | awk 'tolower($1) == "docker-content-digest:" { print $2 }'
}
is "$(REG_PASSWORD=$REG_PASSWORD reg_digest "sha-${SHA:0:7}")" "$DIGEST" \
	"the registry holds sha-<short sha> at that digest"
is "$(reg_digest latest)" "$DIGEST" "and latest at the same digest"
unlike "$(cat "$W"/*.log)" "$REG_PASSWORD" "no log holds the password"

# ---- the server: sshd on loopback, odooctl with the stack's config --------
if ((EUID != 0)); then
	skip "the deploy job over SSH" "sshd needs root here"
	done_testing
	exit 0
fi
sed -i "s|^image_repository = .*|image_repository = $REPO|" "$STACK_DIR/odooctl.conf"
SERVER_DOCKER=$W/server-docker	# the server's own docker login
mkdir -p "$SERVER_DOCKER"
printf '%s' "$REG_PASSWORD" | DOCKER_CONFIG=$SERVER_DOCKER "$DOCKER" login \
	"$REGISTRY" --username $ACTOR --password-stdin >/dev/null 2>&1
ok "the server has its own docker login"
ssh-keygen -q -t ed25519 -N '' -C e2e-host -f "$W/host_key"
ssh-keygen -q -t ed25519 -N '' -C e2e-deploy -f "$W/deploy_key"
printf 'environment="ODOOCTL_CONFIG=%s",environment="DOCKER_CONFIG=%s" %s\n' \
	"$STACK_DIR/odooctl.conf" "$SERVER_DOCKER" "$(cat "$W/deploy_key.pub")" \
	>"$W/authorized_keys"
SSH_PORT=$(free_port)
cat >"$W/sshd_config" <<CONF
ListenAddress 127.0.0.1:$SSH_PORT
HostKey $W/host_key
AuthorizedKeysFile $W/authorized_keys
AllowUsers $(id -un)
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitUserEnvironment yes
UsePAM no
StrictModes no
PidFile $W/sshd.pid
CONF
mkdir -p /run/sshd
/usr/sbin/sshd -D -e -f "$W/sshd_config" 2>"$W/sshd.log" &
sshd_pid=$!
for ((i = 0; i < 50; i++)); do
	ss -Htln "sport = :$SSH_PORT" | grep -q . && break
	sleep 0.1
done
ok "sshd on 127.0.0.1:$SSH_PORT" ss -Htln "sport = :$SSH_PORT"
SSH_KEY=$(cat "$W/deploy_key")
SSH_KNOWN_HOSTS="[127.0.0.1]:$SSH_PORT $(cut -d' ' -f1,2 "$W/host_key.pub")"
export SSH_KEY SSH_KNOWN_HOSTS

ok "the stack's postgres and proxy are up" stack_start
NEEDS_DIGEST=$DIGEST
if run_job "$DEPLOY_WF" deploy; then
	ok "deploy-odoo19 deploy: odooctl deploy over SSH succeeds"
else
	fail "deploy-odoo19 deploy" "$(job_log deploy)" || true
fi
is "$("$ODOOCTL" status production --json | jq -r .current.digest)" "$DIGEST" \
	"the pushed digest serves production"
like "$(history_lines | tail -n 1)" " \| $DIGEST \| production \| success \| $ACTOR$" \
	"history: success by the workflow's actor"
is "$(http_code "http://127.0.0.1:$PROXY_PORT/web/login")" 200 \
	"the proxy serves the release"
like "$(jq -r .summary "$W/deploy.json")" "deployed: $DIGEST serves production" \
	"the job summary says it deployed"

# A release that never gets healthy: the deploy job fails, rolled back.
build_release broken never_healthy
SHA=$RELEASE_COMMIT
if BUILD_CONTEXT=$RELEASE_CONTEXT run_job "$DEPLOY_WF" image; then
	ok "deploy-odoo19 image of a broken release"
else
	fail "deploy-odoo19 image of a broken release" "$(job_log image)" || true
fi
BROKEN=$(jq -r .outputs.digest "$W/image.json")
like "$BROKEN" '^sha256:[0-9a-f]{64}$' "its digest"
NEEDS_DIGEST=$BROKEN
run_job "$DEPLOY_WF" deploy && rc=0 || rc=$?
is "$rc" 1 "deploy-odoo19 deploy fails when the deploy rolls back"
like "$(cat "$W/deploy.log")" "ci: FAILED and rolled back" "it says so"
like "$(jq -r .summary "$W/image.json")" "$BROKEN" "(the summary of its image job)"
is "$("$ODOOCTL" status production --json | jq -r .current.digest)" "$DIGEST" \
	"the good release serves again"
like "$(history_lines | tail -n 1)" " \| $BROKEN \| production \| rolled_back \| $ACTOR$" \
	"history: rolled_back"
unlike "$(cat "$W"/*.log)" "PRIVATE KEY" "no log holds the deploy key"
done_testing
