#!/usr/bin/env bash
# health-check-odoo19.sh [env] [--json]
# health-check-odoo19.sh --monitor [env]
#
# One pass of every health check of an environment (`odooctl health`:
# exit 0 healthy, 1 not, 2 usage or configuration error), or, with
# --monitor, the monitoring daemon in the foreground (`odooctl monitor`:
# checks every monitor_interval, alerts on changes, /metrics).
# ODOOCTL, when set, names the odooctl binary to run.
set -euo pipefail

usage() {
	say_usage "$1" "usage: ${0##*/} [env] [--json]" \
		"       ${0##*/} --monitor [env]"
}

# shellcheck source=infra/scripts/common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/common.sh"

verb=health
case "${1:-}" in
-h | --help)
	usage 0
	;;
--monitor)
	verb=monitor
	shift
	;;
esac
run_odooctl "$verb" 0 1 "$@"
