# shellcheck shell=bash
# Helpers for odooctl's end-to-end tests (tests/e2e/tNNNN-*.sh), sourced by
# each of them. tests/e2e/run.sh starts the services and exports:
#   ODOOCTL       the binary under test (default build/odooctl)
#   DOCKER        the docker client (/usr/bin/docker: Debian's 20.10)
#   DOCKER_HOST   the daemon the tests use
#   E2E_REGISTRY  the registry, 127.0.0.1:5000
#   E2E_RUN_DIR   run.sh's scratch dir (stacks left behind are swept)
# A test can also run alone, e.g. `bash tests/e2e/t0001-env-services.sh`,
# when those services already answer.
#
# TAP: every assertion prints "ok N - DESC" or "not ok N - DESC" (then "# "
# diagnostics) and returns non-zero when it failed, so under `set -e` a bare
# failing assertion ends the test (its EXIT trap tears the stack down); write
# `ok ... || true` to go on after a failure. done_testing prints the plan
# "1..N" and fails if any assertion failed.
#   ok DESC [CMD ARGS...]   passes; with CMD: passes when CMD exits 0
#   fail DESC [DIAG...]     fails
#   is GOT WANT DESC        passes when GOT == WANT
#   like GOT ERE DESC       passes when GOT matches the extended regex ERE
#   unlike GOT ERE DESC     passes when it does not
#   skip DESC REASON        "ok N - DESC # SKIP REASON"
#   diag MSG...             "# MSG" lines
#   bail MSG                fails and exits the test at once
#
# A stack (compose project) per test:
#   stack_up [ENV]          temp dir $STACK_DIR with .env and odooctl.conf
#                           (exported as ODOOCTL_CONFIG) for environment ENV
#                           (default e2e) of project $STACK_PROJECT
#                           (odoo19-t<pid>), free loopback ports $PROXY_PORT
#                           and $POSTGRES_PORT, repository $STACK_REPO in the
#                           test registry; stack_down runs on exit.
#                           Nothing is started.
#   stack_start             compose up -d postgres switch proxy, waits for all to
#                           be healthy (writes a maintenance upstream.conf
#                           first when odooctl has not written one)
#   compose ARGS...         docker-compose on the stack, as odooctl runs it
#   stack_compose_add FILE  a compose file of the test's own on top of the
#                           stack's (compose_files, and compose above); call
#                           it before stack_start
#   stack_down              removes the project's containers (also those
#                           labelled odooctl.env=ENV), volumes, network,
#                           images of $STACK_REPO and $STACK_DIR
#   build_release NAME [FAULT [changed]]
#                           a build context in $RELEASE_CONTEXT (the stack's
#                           build_context; a git repo, commit in
#                           $RELEASE_COMMIT): the Dockerfile and files of
#                           services/odoo19-central-addons, its addons, and
#                           NAME in ocr_billing_webhook/static/ (a new image,
#                           same addon checksums). FAULT (e.g. never_healthy,
#                           "slow_start 20", upgrade_fail) goes to
#                           static/standin_fault (checksums unchanged);
#                           "changed" also changes the addon's checksum (a
#                           release that upgrades the module).
#   serving_release         NAME of the release the proxy serves (its
#                           static/odooctl_e2e_release.txt), or nothing
#   stack_psql DB SQL       psql -At on the stack's PostgreSQL from the host,
#                           as the superuser postgres (password
#                           $POSTGRES_PASSWORD through the env); Odoo's role
#                           is odoo (ODOO_DB_USER), password
#                           $ODOO_DB_PASSWORD
#   wait_healthy CONTAINER [TIMEOUT]   until docker reports it healthy
#   wait_http URL CODE [TIMEOUT]   until URL answers CODE (default 60 s)
#   http_code URL [CURL ARGS...]   the status code (000: no answer)
#   free_port               a free loopback TCP port
#   password_registry DIR USER PASSWORD
#                           a docker-registry on a free loopback port that
#                           wants USER's PASSWORD (htpasswd), storage in
#                           DIR/registry; its address in $REGISTRY, its PID
#                           in $REGISTRY_PID (the caller stops it); 1 (its
#                           log on stderr) when it does not answer 401
set -euo pipefail

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ODOOCTL=${ODOOCTL:-$E2E_ROOT/build/odooctl}
if [[ -z ${DOCKER:-} ]]; then
	DOCKER=docker
	[[ -x /usr/bin/docker ]] && DOCKER=/usr/bin/docker
fi
COMPOSE=${COMPOSE:-docker-compose}
E2E_REGISTRY=${E2E_REGISTRY:-127.0.0.1:5000}
# The stand-in images of this checkout's recipe (build-images.sh --tags).
if [[ -z ${STANDIN_ODOO:-} ]]; then
	eval "$("$E2E_ROOT/tests/fixtures/standin/build-images.sh" --tags)"
fi
STACK_COMPOSE_FILE=$E2E_ROOT/infra/stacks/odoo19-central/docker-compose.yml
SERVICE_DIR=$E2E_ROOT/services/odoo19-central-addons
export ODOOCTL DOCKER E2E_REGISTRY

# ---- TAP -------------------------------------------------------------------

_tap_n=0
_tap_failed=0

diag() {
	local line
	while IFS= read -r line; do
		printf '# %s\n' "$line"
	done <<<"$*"
}

_tap() {	# _tap PASSED DESC [DIAG]
	_tap_n=$((_tap_n + 1))
	if (($1)); then
		printf 'ok %d - %s\n' "$_tap_n" "$2"
	else
		_tap_failed=$((_tap_failed + 1))
		printf 'not ok %d - %s\n' "$_tap_n" "$2"
		[[ -z ${3:-} ]] || diag "$3"
	fi
}

ok() {
	local desc=$1 out
	shift
	if (($# == 0)); then
		_tap 1 "$desc"
	elif out=$("$@" 2>&1); then
		_tap 1 "$desc"
	else
		_tap 0 "$desc" "$(printf '%s\n' "command failed ($?): $*" \
			"$(tail -n 30 <<<"$out")")"
		return 1
	fi
}

fail() {
	local desc=$1
	shift
	_tap 0 "$desc" "$*"
	return 1
}

is() {
	if [[ $1 == "$2" ]]; then
		_tap 1 "$3"
	else
		_tap 0 "$3" "$(printf 'got:  %s\nwant: %s' "$1" "$2")"
		return 1
	fi
}

like() {
	if [[ $1 =~ $2 ]]; then
		_tap 1 "$3"
	else
		_tap 0 "$3" "$(printf 'got:  %s\nwant: /%s/' "$1" "$2")"
		return 1
	fi
}

unlike() {
	if [[ ! $1 =~ $2 ]]; then
		_tap 1 "$3"
	else
		_tap 0 "$3" "$(printf 'got:  %s\nwant no /%s/' "$1" "$2")"
		return 1
	fi
}

skip() {
	_tap_n=$((_tap_n + 1))
	printf 'ok %d - %s # SKIP %s\n' "$_tap_n" "$1" "${2:-}"
}

bail() {
	_tap 0 "$*"
	exit 1
}

done_testing() {
	printf '1..%d\n' "$_tap_n"
	((_tap_failed == 0))
}

# ---- HTTP ------------------------------------------------------------------

http_code() {
	local url=$1
	shift
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@" "$url" ||
		true
}

wait_http() {
	local url=$1 want=$2 timeout=${3:-60} got
	local end=$((SECONDS + timeout))
	while :; do
		got=$(http_code "$url")
		[[ $got == "$want" ]] && return 0
		((SECONDS < end)) || break
		sleep 0.5
	done
	diag "wait_http $url: wanted $want for ${timeout} s, last got $got"
	return 1
}

free_port() {
	local port used
	used=$(ss -Htln | awk '{ n = split($4, a, ":"); print a[n] }')
	while :; do
		# below Linux's ephemeral range (32768-60999), which docker
		# uses for 127.0.0.1::PORT publishing
		port=$((20000 + RANDOM % 12000))
		grep -qx "$port" <<<"$used" && continue
		[[ " ${_ports_taken:-} " == *" $port "* ]] && continue
		_ports_taken="${_ports_taken:-} $port"
		echo "$port"
		return 0
	done
}

# ---- stacks ----------------------------------------------------------------

_stack_dirs=()

stack_up() {
	local env=${1:-e2e} socket=/var/run/docker.sock
	STACK_ENV=$env
	STACK_PROJECT=odoo19-t$$
	((${#_stack_dirs[@]} == 0)) || STACK_PROJECT+=-$((${#_stack_dirs[@]} + 1))
	STACK_DIR=$(mktemp -d "/tmp/odooctl-e2e-$STACK_PROJECT.XXXXXX")
	_stack_dirs+=("$STACK_DIR")
	STACK_REPO=$E2E_REGISTRY/odooctl-e2e/$STACK_PROJECT
	PROXY_PORT=$(free_port)
	POSTGRES_PORT=$(free_port)
	POSTGRES_PASSWORD=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
	ODOO_DB_PASSWORD=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
	RELEASE_CONTEXT=$STACK_DIR/src/context
	[[ ${DOCKER_HOST:-} == unix://* ]] && socket=${DOCKER_HOST#unix://}
	mkdir -p "$STACK_DIR/state/proxy" "$RELEASE_CONTEXT"
	(
		umask 077
		cat >"$STACK_DIR/.env" <<-EOF
			POSTGRES_USER=postgres
			POSTGRES_PASSWORD=$POSTGRES_PASSWORD
			ODOO_DB_USER=odoo
			ODOO_DB_PASSWORD=$ODOO_DB_PASSWORD
			ODOO_ADMIN_PASSWD=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
			ODOO_DB_NAME=central
			POSTGRES_IMAGE=$STANDIN_POSTGRES
			PROXY_IMAGE=$STANDIN_NGINX
			PROXY_BIND=127.0.0.1
			PROXY_PORT=$PROXY_PORT
			POSTGRES_PORT=$POSTGRES_PORT
			POSTGRES_MEM_LIMIT=512m
			POSTGRES_CPUS=1
			ODOO_MEM_LIMIT=512m
			ODOO_CPUS=1
			PROXY_MEM_LIMIT=128m
			PROXY_CPUS=0.5
			LOG_MAX_SIZE=5m
			LOG_MAX_FILE=2
		EOF
	)
	cat >"$STACK_DIR/odooctl.conf" <<-EOF
		; written by tests/e2e/lib.sh stack_up for $STACK_PROJECT
		[defaults]
		image_repository = $STACK_REPO
		compose_files    = $STACK_COMPOSE_FILE
		build_context    = $RELEASE_CONTEXT
		odoo_base        = $STANDIN_ODOO
		docker_socket    = $socket
		db_name          = central
		db_user          = postgres
		db_host          = 127.0.0.1
		db_port          = $POSTGRES_PORT
		health_interval  = 1
		health_timeout   = 5
		health_retries   = 60
		drain_seconds    = 1
		stop_timeout     = 10
		disk_floor_mb    = 64
		keep_releases    = 2

		[$env]
		state_dir        = $STACK_DIR/state
		compose_project  = $STACK_PROJECT
		env_file         = $STACK_DIR/.env
		proxy_url        = http://127.0.0.1:$PROXY_PORT
	EOF
	{
		printf 'STACK_ENV=%q\nSTACK_PROJECT=%q\nSTACK_DIR=%q\n' \
			"$env" "$STACK_PROJECT" "$STACK_DIR"
		printf 'STACK_REPO=%q\n' "$STACK_REPO"
	} >"$STACK_DIR/stack.env"
	if [[ -n ${E2E_RUN_DIR:-} ]]; then
		echo "$STACK_DIR" >>"$E2E_RUN_DIR/stacks"
	fi
	export ODOOCTL_CONFIG=$STACK_DIR/odooctl.conf
	export STACK_ENV STACK_PROJECT STACK_DIR STACK_REPO PROXY_PORT \
		POSTGRES_PORT RELEASE_CONTEXT
	trap 'stack_down_all' EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
}

STACK_COMPOSE_EXTRA=()
compose() {
	local files=(-f "$STACK_COMPOSE_FILE") f
	for f in "${STACK_COMPOSE_EXTRA[@]}"; do
		files+=(-f "$f")
	done
	ODOO_IMAGE=${ODOO_IMAGE:-$STANDIN_ODOO@sha256:$(printf '0%.0s' {1..64})} \
	ODOOCTL_PROXY_DIR=$STACK_DIR/state/proxy \
		"$COMPOSE" -p "$STACK_PROJECT" "${files[@]}" \
		--env-file "$STACK_DIR/.env" "$@"
}

stack_compose_add() {
	STACK_COMPOSE_EXTRA+=("$1")
	sed -i "s|^compose_files .*|&,$1|" "$ODOOCTL_CONFIG"
}

# The container ID of a compose service of the stack.
stack_container() {
	"$DOCKER" ps -aq --filter "label=com.docker.compose.project=$STACK_PROJECT" \
		--filter "label=com.docker.compose.service=$1" \
		--filter "label=com.docker.compose.oneoff=False"
}

wait_healthy() {	# wait_healthy CONTAINER [TIMEOUT]
	local end=$((SECONDS + ${2:-90})) state
	while :; do
		state=$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$1" \
			2>/dev/null || true)
		[[ $state == healthy ]] && return 0
		((SECONDS < end)) || break
		sleep 1
	done
	diag "container $1 is '$state', not healthy"
	return 1
}

stack_start() {
	local up=$STACK_DIR/state/proxy/upstream.conf s
	if [[ ! -e $up ]]; then
		cat >"$up" <<-'EOF'
			# written by tests/e2e/lib.sh (no release yet)
			set $odoo_upstream "odooctl-no-release.invalid:8069";
			set $odoo_ws_upstream "odooctl-no-release.invalid:8072";
			set $odoo_maintenance 1;
		EOF
	fi
	compose up -d postgres switch proxy >"$STACK_DIR/compose-up.log" 2>&1 || {
		diag "$(cat "$STACK_DIR/compose-up.log")"
		return 1
	}
	for s in postgres switch proxy; do
		wait_healthy "$(stack_container "$s")" 120 || return 1
	done
}

# stack_down_dir DIR: tears down the stack whose stack.env is in DIR.
stack_down_dir() {
	local STACK_ENV STACK_PROJECT STACK_DIR STACK_REPO ids
	[[ -f $1/stack.env ]] || return 0
	# shellcheck disable=SC1091
	. "$1/stack.env"
	compose down -v --remove-orphans -t 5 >/dev/null 2>&1 || true
	ids=$("$DOCKER" ps -aq \
		--filter "label=com.docker.compose.project=$STACK_PROJECT"
		"$DOCKER" ps -aq --filter "label=odooctl.env=$STACK_ENV" \
		--filter "name=$STACK_PROJECT")
	if [[ -n $ids ]]; then
		# shellcheck disable=SC2086
		"$DOCKER" rm -fv $ids >/dev/null 2>&1 || true
	fi
	ids=$("$DOCKER" volume ls -q --filter "name=${STACK_PROJECT}_")
	if [[ -n $ids ]]; then
		# shellcheck disable=SC2086
		"$DOCKER" volume rm -f $ids >/dev/null 2>&1 || true
	fi
	"$DOCKER" network rm "${STACK_PROJECT}_default" >/dev/null 2>&1 || true
	# By reference (tag or digest), not ID: an ID may also be a stand-in's.
	ids=$("$DOCKER" images --digests --format \
		'{{.Repository}} {{.Tag}} {{.Digest}}' |
		awk -v r="$STACK_REPO" '$1 == r && $2 != "<none>" { print r ":" $2 }
			$1 == r && $3 != "<none>" { print r "@" $3 }')
	if [[ -n $ids ]]; then
		# shellcheck disable=SC2086
		"$DOCKER" rmi $ids >/dev/null 2>&1 || true
	fi
	[[ ${E2E_KEEP:-0} == 1 ]] || rm -rf "$STACK_DIR"
}

stack_down() {
	stack_down_dir "$STACK_DIR"
}

stack_down_all() {
	local rc=$? d
	for d in "${_stack_dirs[@]}"; do
		stack_down_dir "$d"
	done
	return "$rc"
}

stack_psql() {
	PGPASSWORD=$POSTGRES_PASSWORD psql -X -At -v ON_ERROR_STOP=1 \
		-h 127.0.0.1 -p "$POSTGRES_PORT" -U postgres -d "$1" -c "$2"
}

serving_release() {
	curl -fs --max-time 10 "http://127.0.0.1:$PROXY_PORT/${RELEASE_ADDON:-ocr_billing_webhook}/static/odooctl_e2e_release.txt" || true
}

password_registry() {
	local dir=$1 user=$2 password=$3
	REGISTRY=127.0.0.1:$(free_port)
	mkdir -p "$dir/registry"
	printf '%s' "$password" | htpasswd -iBc "$dir/htpasswd" "$user" 2>/dev/null
	cat >"$dir/registry.yml" <<-CONF
		version: 0.1
		log:
		  level: warn
		storage:
		  filesystem:
		    rootdirectory: $dir/registry
		http:
		  addr: $REGISTRY
		auth:
		  htpasswd:
		    realm: odooctl-e2e
		    path: $dir/htpasswd
	CONF
	docker-registry serve "$dir/registry.yml" >"$dir/registry.log" 2>&1 &
	# shellcheck disable=SC2034 # for the caller, which stops it
	REGISTRY_PID=$!
	wait_http "http://$REGISTRY/v2/" 401 20 || {
		tail -n 5 "$dir/registry.log" >&2
		return 1
	}
}

# ---- releases --------------------------------------------------------------

build_release() {
	local name=$1 fault=${2:-} changed=${3:-} addons=$SERVICE_DIR/addons
	local src=$RELEASE_CONTEXT/.. f first
	[[ -d $addons ]] && compgen -G "$addons/*/__manifest__.py" >/dev/null ||
		addons=$E2E_ROOT/tests/fixtures/addons
	rm -rf "$RELEASE_CONTEXT" "$src/.git"
	mkdir -p "$RELEASE_CONTEXT/addons"
	for f in "$SERVICE_DIR"/*; do
		[[ -f $f ]] && cp -p "$f" "$RELEASE_CONTEXT/"
	done
	cp -pR "$addons/." "$RELEASE_CONTEXT/addons/"
	first=$RELEASE_CONTEXT/addons/ocr_billing_webhook
	[[ -d $first ]] || first=$(dirname "$(compgen -G \
		"$RELEASE_CONTEXT/addons/*/__manifest__.py" | head -n 1)")
	mkdir -p "$first/static"
	echo "$name" >"$first/static/odooctl_e2e_release.txt"
	[[ -z $fault ]] || echo "$fault" >"$first/static/standin_fault"
	[[ -z $changed ]] || echo "$name" >"$first/odooctl_e2e_schema.txt"
	git -C "$src" init -q
	git -C "$src" add -A
	git -C "$src" -c user.name=e2e -c user.email=e2e@localhost \
		commit -q -m "release $name"
	RELEASE_COMMIT=$(git -C "$src" rev-parse HEAD)
	RELEASE_ADDON=$(basename "$first")
	export RELEASE_COMMIT RELEASE_ADDON
}
