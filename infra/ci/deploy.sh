#!/usr/bin/env bash
# CI step: deploys a release on the server over SSH:
#   ssh DEPLOY_USER@DEPLOY_HOST odooctl deploy DIGEST ENV OPERATOR
# and fails when the deploy does (exit 1: it failed and was rolled back; 3:
# refused by a gate or the lock; 2: usage; 255: ssh). The result goes to the
# job summary.
#   infra/ci/deploy.sh DIGEST ENV OPERATOR
# Environment: DEPLOY_HOST, DEPLOY_USER, DEPLOY_PORT [22], DEPLOY_SSH_KEY
# (the private key, from a secret), DEPLOY_KNOWN_HOSTS (the server's
# known_hosts lines: the host key is always checked), DEPLOY_ODOOCTL (odooctl
# on the server [odooctl]). The key only ever lives in a mode-0600 file in a
# private temporary directory, removed on exit.
# shellcheck source=infra/ci/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

(($# == 3)) || ci_die "usage: deploy.sh DIGEST ENV OPERATOR"
digest=$1 env=$2 operator=$3
[[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] ||
	ci_die "'$digest' is not a digest (sha256:<64 hex>)"
[[ $env =~ ^[A-Za-z0-9_.-]+$ ]] || ci_die "'$env' is not an environment name"
name_re='^[][A-Za-z0-9_.@-]+$'	# GitHub logins, and bots' "name[bot]"
[[ $operator =~ $name_re ]] || ci_die "'$operator' is not an operator name"
for v in DEPLOY_HOST DEPLOY_USER DEPLOY_SSH_KEY DEPLOY_KNOWN_HOSTS; do
	[[ -n ${!v:-} ]] || ci_die "$v is empty"
done

dir=$(mktemp -d "${RUNNER_TEMP:-/tmp}/odooctl-deploy.XXXXXX")
trap 'rm -rf "$dir"' EXIT
(
	umask 077
	printf '%s\n' "$DEPLOY_SSH_KEY" >"$dir/key"
	printf '%s\n' "$DEPLOY_KNOWN_HOSTS" >"$dir/known_hosts"
)
remote=$(printf '%q ' "${DEPLOY_ODOOCTL:-odooctl}" deploy "$digest" "$env" \
	"$operator")
echo "ci: deploy $digest to $env on ${DEPLOY_HOST} as $operator"
rc=0
ssh -i "$dir/key" -o IdentitiesOnly=yes -o BatchMode=yes \
	-o StrictHostKeyChecking=yes -o UserKnownHostsFile="$dir/known_hosts" \
	-o ConnectTimeout=30 -o ServerAliveInterval=30 \
	-p "${DEPLOY_PORT:-22}" -l "$DEPLOY_USER" -- "$DEPLOY_HOST" \
	"$remote" || rc=$?
case $rc in
0) verdict="deployed: $digest serves $env" ;;
1) verdict="FAILED and rolled back: the last good release serves $env" ;;
2) verdict="not run: usage or configuration error on the server" ;;
3) verdict="refused by a gate check or the lock: nothing was touched" ;;
255) verdict="ssh to ${DEPLOY_HOST} failed" ;;
*) verdict="odooctl deploy exited $rc" ;;
esac
ci_summary "### Deploy to $env" "" "\`$digest\` by $operator: $verdict"
echo "ci: $verdict"
exit "$rc"
