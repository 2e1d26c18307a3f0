#!/usr/bin/env bash
# install-deployer.sh [--user NAME] [--state-dir DIR]... [--backup-dir DIR]...
#                     [--config FILE] [--env-file FILE]...
#
# Sets up the dedicated user odooctl runs as (doc/security.md), as root,
# idempotently:
#   - the user (default `deployer`), a system user with a home and a login
#     shell, in the `docker` group (created when missing), so it can drive
#     the Engine API and compose without sudo;
#   - each state_dir (default /srv/deployments/odoo19) and its backups/
#     (or each --backup-dir) owned by it, mode 0700: history, journal,
#     upstream.conf and the backups (the whole database) are its alone;
#   - the config file (default /etc/odooctl/odooctl.conf, when it exists)
#     root-owned, group the user, mode 0640: it reads it, cannot change it;
#   - each --env-file (the stack's .env: database password, master
#     password) owned by it, mode 0600.
# Membership of `docker` is root on the host in all but name: give it to
# this user only, and let people deploy through it (sudo -u deployer).
# Exit status: 0 done, 1 a step failed, 2 usage (or not root).
set -euo pipefail

usage() {
	{
		echo "usage: ${0##*/} [--user NAME] [--state-dir DIR]... [--backup-dir DIR]..."
		echo "       [--config FILE] [--env-file FILE]..."
	} >&"$(($1 == 0 ? 1 : 2))"
	exit "$1"
}

user=deployer
config=/etc/odooctl/odooctl.conf
state_dirs=()
backup_dirs=()
env_files=()
while (($#)); do
	case $1 in
	--user) user=${2:?--user needs a name}; shift ;;
	--state-dir) state_dirs+=("${2:?--state-dir needs a directory}"); shift ;;
	--backup-dir) backup_dirs+=("${2:?--backup-dir needs a directory}"); shift ;;
	--config) config=${2:?--config needs a file}; shift ;;
	--env-file) env_files+=("${2:?--env-file needs a file}"); shift ;;
	-h | --help) usage 0 ;;
	*) echo "${0##*/}: unknown argument '$1'" >&2; usage 2 ;;
	esac
	shift
done
((${#state_dirs[@]})) || state_dirs=(/srv/deployments/odoo19)
if [[ ! $user =~ ^[a-z_][a-z0-9_-]{0,31}$ ]]; then
	echo "${0##*/}: '$user' is not a valid user name" >&2
	exit 2
fi
if ((EUID != 0)); then
	echo "${0##*/}: must run as root (it creates a user and chowns state)" >&2
	exit 2
fi

say() { echo "install-deployer: $*"; }

if ! getent group docker >/dev/null; then
	groupadd --system docker
	say "group docker created"
fi
if id -u "$user" >/dev/null 2>&1; then
	usermod -a -G docker "$user"
	say "user $user exists; in group docker"
else
	useradd --system --create-home --shell /bin/bash --user-group \
		--groups docker --comment "odooctl deployments" "$user"
	say "user $user created, in group docker"
fi

# DIR owned by the user, mode 0700, with everything in it.
own_dir() {
	mkdir -p -- "$1"
	chown -R -- "$user:$user" "$1"
	chmod 0700 -- "$1"
	say "$1: owner $user, mode 0700"
}

for d in "${state_dirs[@]}"; do
	own_dir "$d"
done
if ((${#backup_dirs[@]})); then
	for d in "${backup_dirs[@]}"; do
		own_dir "$d"
	done
else
	for d in "${state_dirs[@]}"; do
		own_dir "$d/backups"
	done
fi
if [[ -f $config ]]; then
	chown -- "root:$user" "$config"
	chmod 0640 -- "$config"
	say "$config: owner root, group $user, mode 0640"
fi
if ((${#env_files[@]})); then
	for f in "${env_files[@]}"; do
		[[ -f $f ]] || { echo "${0##*/}: no env file '$f'" >&2; exit 1; }
		chown -- "$user:$user" "$f"
		chmod 0600 -- "$f"
		say "$f: owner $user, mode 0600"
	done
fi
say "done: run odooctl as $user (e.g. sudo -u $user odooctl deploy ...)"
