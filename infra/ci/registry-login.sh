#!/usr/bin/env bash
# CI step: logs the docker client in to REGISTRY as $REGISTRY_USER with the
# password or token in $REGISTRY_PASSWORD (never in argv: it goes through
# stdin). `docker login` checks it against the registry and keeps it in
# $DOCKER_CONFIG/config.json (else ~/.docker/config.json), where `odooctl
# push` and `odooctl deploy` read it.
#   REGISTRY_USER=u REGISTRY_PASSWORD=p infra/ci/registry-login.sh REGISTRY
# shellcheck source=infra/ci/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

(($# == 1)) || ci_die "usage: registry-login.sh REGISTRY"
[[ -n ${REGISTRY_USER:-} ]] || ci_die "REGISTRY_USER is empty"
[[ -n ${REGISTRY_PASSWORD:-} ]] || ci_die "REGISTRY_PASSWORD is empty"
printf '%s' "$REGISTRY_PASSWORD" |
	"${DOCKER:-docker}" login "$1" --username "$REGISTRY_USER" \
		--password-stdin
