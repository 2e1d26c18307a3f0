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
	{
		echo "usage: ${0##*/} <digest> <env> [operator]"
		echo "  e.g. ${0##*/} sha256:3f1c...e9 production alice"
	} >&"$(( $1 == 0 ? 1 : 2 ))"
	exit "$1"
}

find_odooctl() {
	local here
	if [[ -n "${ODOOCTL:-}" ]]; then
		printf '%s\n' "$ODOOCTL"
	elif command -v odooctl >/dev/null 2>&1; then
		command -v odooctl
	else
		here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
		if [[ -x "$here/../../build/odooctl" ]]; then
			printf '%s\n' "$here/../../build/odooctl"
		else
			echo "${0##*/}: odooctl not found on PATH nor at" \
			     "$here/../../build/odooctl (run make)" >&2
			exit 2
		fi
	fi
}

case "${1:-}" in
-h | --help)
	usage 0
	;;
esac
# Options (e.g. --json) go to odooctl as they are; count the rest.
npos=0
for arg in "$@"; do
	[[ $arg == -* ]] || npos=$((npos + 1))
done
(( npos == 2 || npos == 3 )) || usage 2

odooctl=$(find_odooctl)
exec "$odooctl" deploy "$@"
