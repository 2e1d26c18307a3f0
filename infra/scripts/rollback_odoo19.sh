#!/usr/bin/env bash
# rollback_odoo19.sh [digest] [env]
#
# Puts a previous release back in service: the given digest, or the last
# good release before the current one when omitted; env defaults to
# odooctl's default environment. A thin wrapper over `odooctl rollback`.
# Exit status: odooctl's (0 ok, 1 failed, 2 usage/configuration, 3 refused).
# ODOOCTL, when set, names the odooctl binary to run.
set -euo pipefail

usage() {
	{
		echo "usage: ${0##*/} [digest] [env]"
	} >&"$(( $1 == 0 ? 1 : 2 ))"
	exit "$1"
}

# shellcheck source=infra/scripts/common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/common.sh"

case "${1:-}" in
-h | --help)
	usage 0
	;;
esac
npos=$(positionals "$@")
(( npos <= 2 )) || usage 2

odooctl=$(find_odooctl)
exec "$odooctl" rollback "$@"
