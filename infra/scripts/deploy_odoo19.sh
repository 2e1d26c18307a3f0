#!/usr/bin/env bash
# deploy_odoo19.sh <digest> <env> [operator]
#
# Deploys the release sha256:<digest> (or repo@sha256:<digest>) to the
# environment <env>, with gate checks, health checks and automatic rollback:
# a thin wrapper over `odooctl deploy`, kept with the arguments of the
# former rsync-based script. The operator defaults to odooctl's choice
# (the invoking user). Exit status: odooctl's (0 ok, 1 failed and rolled
# back, 2 usage/configuration, 3 refused by a gate or lock).
# ODOOCTL, when set, names the odooctl binary to run.
set -euo pipefail

usage() {
	say_usage "$1" "usage: ${0##*/} <digest> <env> [operator]" \
		"  e.g. ${0##*/} sha256:3f1c...e9 production alice"
}

# shellcheck source=infra/scripts/common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/common.sh"

wrap deploy 2 3 "$@"
