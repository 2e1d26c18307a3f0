#!/usr/bin/env bash
# infra/scripts/install-deployer.sh, as root: a deploy user in the docker
# group that owns state_dir and backups (mode 0700), the config readable by
# it only (root:user 0640), the stack's .env its own (0600); run twice
# (idempotent). The user runs odooctl and reaches the Docker engine; an
# other user can read none of it. The user is removed at the end.
. "$(dirname "$0")/lib.sh"

script=$E2E_ROOT/infra/scripts/install-deployer.sh
if ((EUID != 0)); then
	skip "install-deployer.sh" "needs root (useradd)"
	done_testing
	exit 0
fi
user=odooctl-t$$
dir=$(mktemp -d /tmp/odooctl-deployer.XXXXXX)
group_existed=0
getent group docker >/dev/null && group_existed=1
cleanup() {
	userdel -r "$user" >/dev/null 2>&1 || true
	if getent group "$user" >/dev/null; then
		groupdel "$user" 2>/dev/null || true
	fi
	((group_existed)) || groupdel docker 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT

state=$dir/srv/odoo19
mkdir -p "$state" "$dir/etc" "$dir/stack"
chmod 0755 "$dir" "$dir/srv"
echo "2026-01-01T00:00:00Z | - | e2e | backup_ok | root" >"$state/history.log"
cat >"$dir/etc/odooctl.conf" <<-CONF
	[e2e]
	image_repository = 127.0.0.1:5000/odooctl-e2e/deployer
	db_name          = central
	state_dir        = $state
	compose_files    = $E2E_ROOT/infra/stacks/odoo19-central/docker-compose.yml
	env_file         = $dir/stack/.env
CONF
echo "POSTGRES_PASSWORD=not-used" >"$dir/stack/.env"
chmod 0644 "$dir/stack/.env"

out=$("$script" --user "$user" --state-dir "$state" \
	--config "$dir/etc/odooctl.conf" --env-file "$dir/stack/.env" 2>&1) \
	&& rc=0 || rc=$?
is "$rc" 0 "install-deployer.sh: exit 0" || diag "$out"
like "$out" "user $user created, in group docker" "it says it created the user"
like " $(id -nG "$user") " " docker " "the user is in the docker group"
is "$(stat -c '%U %a' "$state")" "$user 700" "state_dir: owned by it, mode 0700"
is "$(stat -c '%U %a' "$state/backups")" "$user 700" "backups: owned by it, mode 0700"
is "$(stat -c '%U' "$state/history.log")" "$user" "what state_dir held is its own"
is "$(stat -c '%U %G %a' "$dir/etc/odooctl.conf")" "root $user 640" \
	"the config: root-owned, readable by the user's group only"
is "$(stat -c '%U %a' "$dir/stack/.env")" "$user 600" "the .env: its own, mode 0600"

out=$("$script" --user "$user" --state-dir "$state" 2>&1) && rc=0 || rc=$?
is "$rc" 0 "a second run: exit 0" || diag "$out"
like "$out" "user $user exists; in group docker" "a second run finds the user"

as_user() { runuser -u "$1" -- "${@:2}"; }
out=$(as_user "$user" "$ODOOCTL" -c "$dir/etc/odooctl.conf" history e2e --verify 2>&1) \
	&& rc=0 || rc=$?
is "$rc" 0 "the user runs odooctl on its state (history --verify)" || diag "$out"
like "$out" "^chain started: 1 existing lines sealed" "and may write there (the chain)"
is "$(stat -c '%U' "$state/history.log.chain")" "$user" "the chain is its own"
if [[ $(stat -c %G /var/run/docker.sock 2>/dev/null) == docker ]]; then
	ok "the user reaches the Docker engine (docker group)" \
		as_user "$user" "$DOCKER" -H unix:///var/run/docker.sock version
else
	skip "the user reaches the Docker engine" "the socket's group is not docker"
fi
out=$(as_user nobody ls "$state" 2>&1) && rc=0 || rc=$?
is "$((rc != 0))" 1 "another user cannot list state_dir"
out=$(as_user nobody cat "$dir/etc/odooctl.conf" 2>&1) && rc=0 || rc=$?
is "$((rc != 0))" 1 "another user cannot read the config"
out=$(as_user nobody "$ODOOCTL" -c "$dir/etc/odooctl.conf" history e2e 2>&1) \
	&& rc=0 || rc=$?
is "$((rc != 0))" 1 "another user cannot run odooctl on it"

out=$(runuser -u nobody -- "$script" --user x 2>&1) && rc=0 || rc=$?
is "$rc" 2 "not root: exit 2"
out=$("$script" --user 'Bad Name' 2>&1) && rc=0 || rc=$?
is "$rc" 2 "an invalid user name: exit 2"

done_testing
