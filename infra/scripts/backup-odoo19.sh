#!/usr/bin/env bash
# backup-odoo19.sh [env] [--trigger manual|scheduled|pre-deploy] [--verify]
#
# Backs up <env> (default: production): its database and filestore in
# Odoo's zip format, then retention; a thin wrapper over `odooctl backup`.
# With --verify, the new backup is then restored into a scratch database
# and checked (`odooctl verify`): `odooctl health` wants a *verified*
# backup younger than backup_max_age_hours, so scheduled backups verify.
# Prints the zip's path. Run by infra/systemd/odooctl-backup@.service.
# Exit status: odooctl's (0 done, 1 failed, 2 usage or configuration,
# 3 refused: not enough space, lock held, postgres down, nothing
# deployed); with --verify, verify's when the backup itself succeeded.
# ODOOCTL, when set, names the odooctl binary (default: odooctl on PATH,
# else this checkout's build/odooctl).
set -euo pipefail

usage() {
	say_usage "$1" \
		"usage: ${0##*/} [env] [--trigger manual|scheduled|pre-deploy] [--verify]" \
		"  e.g. ${0##*/} production --trigger scheduled --verify"
}

# shellcheck source=infra/scripts/common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/common.sh"

env=production
trigger=manual
verify=0
envs=0
while (($#)); do
	case $1 in
	-h | --help) usage 0 ;;
	--verify) verify=1 ;;
	--trigger)
		(($# >= 2)) || usage 2
		trigger=$2
		shift
		;;
	--trigger=*) trigger=${1#--trigger=} ;;
	-*) usage 2 ;;
	*)
		env=$1
		envs=$((envs + 1))
		;;
	esac
	shift
done
((envs <= 1)) || usage 2

odooctl=$(find_odooctl)

zip=$("$odooctl" backup "$env" --trigger "$trigger")
printf '%s\n' "$zip"
((verify)) || exit 0
exec "$odooctl" verify "$zip" "$env"
