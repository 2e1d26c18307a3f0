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
	say_usage "$1" "usage: ${0##*/} [digest] [env]"
}

# shellcheck source=infra/scripts/common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/common.sh"

wrap rollback 0 2 "$@"
