#!/usr/bin/env bash
# status_odoo19.sh [env]
#
# Shows what runs in an environment (current release, health, last good
# release, recent history): a thin wrapper over `odooctl status`.
# Exit status: odooctl's.
# ODOOCTL, when set, names the odooctl binary to run.
set -euo pipefail

usage() {
	{
		echo "usage: ${0##*/} [env]"
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
(( npos <= 1 )) || usage 2

odooctl=$(find_odooctl)
exec "$odooctl" status "$@"
