#!/usr/bin/env bash
# status_odoo19.sh [env]
#
# Shows what runs in an environment (current release, health, last good
# release, recent history): a thin wrapper over `odooctl status`.
# Exit status: odooctl's.
# ODOOCTL, when set, names the odooctl binary to run.
set -euo pipefail

usage() {
	say_usage "$1" "usage: ${0##*/} [env]"
}

# shellcheck source=infra/scripts/common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/common.sh"

wrap status 0 1 "$@"
