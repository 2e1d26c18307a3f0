#!/usr/bin/env bash
# A local demo of odooctl on this machine's Docker engine: build, push and
# deploy three releases of the Odoo 19 image by digest, one of them broken
# and rolled back automatically, then a manual rollback.
#
#   bash tools/demo.sh          run the demo (re-running starts it afresh)
#   bash tools/demo.sh --down   remove the demo stack and its directory, and
#                               stop the dockerd/registry the demo started
#
# As root, or as a user with sudo (the build runs as that user, the rest
# through sudo). Steps:
#   1. tools/install-deps.sh (Debian packages), then `make` (build/odooctl);
#   2. the Docker engine on /var/run/docker.sock ($DOCKER_HOST first, when it
#      is set and answers): started when none answers (systemctl with
#      systemd, else dockerd in the background); a registry on
#      127.0.0.1:5000: reused when one answers, else `docker-registry serve`;
#   3. odoo:19.0, postgres:15 and nginx:1.27-alpine are pulled; a copy
#      already on this machine is used when one cannot be pulled. Without
#      any odoo:19.0, a real Odoo 19 is built from Debian 12's packages
#      and the source in shared/odoo19 beside the checkout when that is
#      there (tests/fixtures/odoo19/build-image.sh: about 2.5 min the first
#      time, cached after); else, and for postgres and nginx, the local
#      stand-ins (tests/fixtures/standin/build-images.sh);
#   4. a stack in $ODOOCTL_DEMO_DIR (default /var/tmp/odooctl-demo): .env,
#      odooctl.conf for the environment `demo`, a copy of
#      services/odoo19-central-addons as the build context;
#   5.-8. release 1 (first deploy), release 2 (a static file: the
#      code-only path, zero downtime), release 3 (a controller bug: the
#      database-changing path, its webhook answers 500, the smoke test
#      fails, the rollback point is swapped back and release 2 serves again,
#      exit 1), `odooctl rollback`, history; a client polls the proxy
#      during each and the demo counts its answers by status code;
#   9. where it runs and what to try.
# The stack stays up afterwards. What the demo started (dockerd, registry)
# is recorded in the demo directory, and only that is stopped by --down.
#
# Environment: ODOOCTL_DEMO_DIR (the demo directory), DOCKER_HOST
# (unix:///path: a Docker engine to use instead of /var/run/docker.sock),
# ODOOCTL_DEMO_PULL_TIMEOUT (seconds each pull may take, default 120),
# ODOOCTL_DEMO_ODOO (auto, the default: as in step 3; real: a real Odoo 19
# or fail; standin: the stand-in, odoo:19.0 is not even looked at).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ODOOCTL=$ROOT/build/odooctl
DEMO_DIR=${ODOOCTL_DEMO_DIR:-/var/tmp/odooctl-demo}
[[ $DEMO_DIR == /* ]] || DEMO_DIR=$PWD/$DEMO_DIR
DEMO_DIR=${DEMO_DIR%/}
RUN_DIR=$DEMO_DIR/run		# what the demo started; kept across re-runs
MARKER=$DEMO_DIR/.odooctl-demo
ENV_NAME=demo
PROJECT=odoo19-demo
REGISTRY=127.0.0.1:5000
REPO=$REGISTRY/odooctl-demo/odoo19-central
COMPOSE_FILE=$ROOT/infra/stacks/odoo19-central/docker-compose.yml
SERVICE_DIR=$ROOT/services/odoo19-central-addons
ADDON=ocr_billing_webhook
CONTEXT=$DEMO_DIR/src/odoo19-central-addons
STANDIN_ODOO=odooctl-test/odoo-standin:19.0
STANDIN_POSTGRES=odooctl-test/postgres:15
STANDIN_NGINX=odooctl-test/nginx:1.22
PULL_TIMEOUT=${ODOOCTL_DEMO_PULL_TIMEOUT:-120}
ODOO_CHOICE=${ODOOCTL_DEMO_ODOO:-auto}
REAL_ODOO_BUILDER=$ROOT/tests/fixtures/odoo19/build-image.sh
WEBHOOK_BODY='{"event": "document.processed", "document_id": "INV-2026-0042"}'

umask 022
unset GITHUB_SHA	# odooctl build/push would take it as the commit

if [[ -t 1 ]]; then
	BOLD=$'\e[1m' DIM=$'\e[2m' RED=$'\e[31m' GREEN=$'\e[32m' OFF=$'\e[0m'
else
	BOLD='' DIM='' RED='' GREEN='' OFF=''
fi
STEP=''
STEPS=9
LOAD_PID=''
TOUCHED=0	# 1 once the demo directory is in use

headline() {	# headline N TEXT
	STEP=$2
	printf '\n%s[%s/%s] %s%s\n' "$BOLD" "$1" "$STEPS" "$2" "$OFF"
}
say() { printf 'demo: %s\n' "$*"; }
good() { printf 'demo: %s%s%s\n' "$GREEN" "$*" "$OFF"; }
die() {
	printf 'demo: %serror:%s %s\n' "$RED" "$OFF" "$*" >&2
	exit 1
}
show() { printf '%s$ %s%s\n' "$DIM" "$*" "$OFF"; }
# octl ARGS: shows and runs `odooctl ARGS`.
octl() {
	show "odooctl $*"
	"$ODOOCTL" "$@"
}
# octl_log LOG ARGS: the same, its output (odooctl logs on stderr) also in
# LOG; returns odooctl's exit status.
octl_log() {
	local log=$1
	shift
	show "odooctl $*"
	"$ODOOCTL" "$@" 2>&1 | tee "$log"
	return "${PIPESTATUS[0]}"
}

usage() {
	sed -n '2,/^set -euo/{/^#/!d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

MODE=up
case ${1:-} in
'') ;;
--down) MODE=down ;;
-h | --help)
	usage
	exit 0
	;;
*)
	usage >&2
	exit 2
	;;
esac
(($# <= 1)) || { usage >&2; exit 2; }
case $ODOO_CHOICE in
auto | real | standin) ;;
*)
	printf 'demo: ODOOCTL_DEMO_ODOO=%s: want auto, real or standin\n' "$ODOO_CHOICE" >&2
	exit 2
	;;
esac

on_exit() {
	local rc=$?
	trap - EXIT
	[[ -z $LOAD_PID ]] || kill "$LOAD_PID" 2>/dev/null || true
	if ((rc != 0)) && [[ $MODE == up ]]; then
		printf '\ndemo: %sFAILED%s%s (exit status %d)\n' "$RED" "$OFF" \
			"${STEP:+ at \"$STEP\"}" "$rc" >&2
		if ((TOUCHED)) && [[ -f $DEMO_DIR/odooctl.conf ]]; then
			printf 'demo: the stack is left as it is for a look:\n' >&2
			printf '        ODOOCTL_CONFIG=%s %s status %s\n' \
				"$DEMO_DIR/odooctl.conf" "$ODOOCTL" "$ENV_NAME" >&2
		fi
		if ((TOUCHED)); then
			printf 'demo: "bash %s --down" removes it and stops what the demo started\n' \
				"$ROOT/tools/demo.sh" >&2
		fi
	fi
	exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- the demo directory ----------------------------------------------------

check_demo_dir() {
	[[ $DEMO_DIR =~ ^/[^[:space:],]*$ && $DEMO_DIR != / ]] ||
		die "ODOOCTL_DEMO_DIR='$DEMO_DIR': want an absolute path without spaces or commas"
	[[ $ROOT =~ ^[^[:space:],]*$ ]] ||
		die "the repository's path '$ROOT' has spaces or commas; odooctl.conf cannot name it"
	if [[ -e $DEMO_DIR && ! -e $MARKER ]] &&
		[[ -n $(ls -A "$DEMO_DIR" 2>/dev/null) || ! -d $DEMO_DIR ]]; then
		die "$DEMO_DIR exists and is not a demo directory (no $(basename "$MARKER")); set ODOOCTL_DEMO_DIR to another path"
	fi
}

# ---- root ------------------------------------------------------------------

# As a user: build as that user, then go on as root through sudo.
if ((EUID != 0)); then
	command -v sudo >/dev/null ||
		die "needs root: run it as root, or install sudo"
	if [[ $MODE == up ]]; then
		check_demo_dir
		headline 1 "Dependencies and odooctl (tools/install-deps.sh, make)"
		show tools/install-deps.sh
		"$ROOT/tools/install-deps.sh"
		show make
		make -C "$ROOT" --no-print-directory
		say "going on as root (sudo)"
	fi
	exec sudo env ODOOCTL_DEMO_BUILT=1 "ODOOCTL_DEMO_DIR=$DEMO_DIR" \
		${ODOOCTL_DEMO_ODOO:+"ODOOCTL_DEMO_ODOO=$ODOOCTL_DEMO_ODOO"} \
		${ODOOCTL_DEMO_PULL_TIMEOUT:+"ODOOCTL_DEMO_PULL_TIMEOUT=$ODOOCTL_DEMO_PULL_TIMEOUT"} \
		${DOCKER_HOST:+"DOCKER_HOST=$DOCKER_HOST"} \
		bash "$ROOT/tools/demo.sh" "$@"
fi

# ---- processes the demo starts ---------------------------------------------

proc_alive() {	# proc_alive PID COMM: running (not a zombie) and named COMM
	local stat
	[[ -r /proc/$1/comm && $(cat "/proc/$1/comm" 2>/dev/null) == "$2" ]] ||
		return 1
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat%% *} != Z ]]
}

stop_pid() {	# stop_pid COMM PID SECONDS
	local comm=$1 pid=$2 i
	proc_alive "$pid" "$comm" || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < $3 * 10; i++)); do
		proc_alive "$pid" "$comm" || return 0
		sleep 0.1
	done
	say "$comm ($pid) did not stop within $3 s; killing it"
	kill -KILL "$pid" 2>/dev/null || true
}

record_started() { echo "$*" >>"$RUN_DIR/started"; }

# started_before NAME: a previous demo run started NAME and it still runs.
started_before() {
	local what how
	[[ -f $RUN_DIR/started ]] || return 1
	while read -r what how; do
		[[ $what == "$1" ]] || continue
		[[ $how == systemd ]] && return 0
		proc_alive "$how" "$([[ $1 == registry ]] && echo docker-registry || echo "$1")" &&
			return 0
	done <"$RUN_DIR/started"
	return 1
}

# Stops what the demo started (run/started): the registry, then dockerd.
stop_started() {
	local f=$RUN_DIR/started what how pid containerd
	[[ -f $f ]] || return 0
	while read -r what how; do
		[[ $what == registry ]] || continue
		if proc_alive "$how" docker-registry; then
			say "stopping docker-registry ($how), which the demo started"
			stop_pid docker-registry "$how" 10
		fi
	done <"$f"
	while read -r what how; do
		[[ $what == dockerd ]] || continue
		if [[ $how == systemd ]]; then
			say "stopping the Docker engine, which the demo started: systemctl stop docker"
			systemctl stop docker.service docker.socket || true
		elif proc_alive "$how" dockerd; then
			say "stopping dockerd ($how), which the demo started"
			containerd=$(pgrep -P "$how" -x containerd || true)
			stop_pid dockerd "$how" 60
			for pid in $containerd; do
				stop_pid containerd "$pid" 10
			done
		fi
	done <"$f"
	rm -f "$f"
}

docker_ok() { timeout 20 docker version >/dev/null 2>&1; }

ensure_docker() {
	local i pid
	local before=''
	started_before dockerd && before=' (started by a previous run of the demo)'
	if [[ -n ${DOCKER_HOST:-} ]]; then
		if [[ $DOCKER_HOST == unix://* ]] && docker_ok; then
			say "Docker engine: answers on $DOCKER_HOST (DOCKER_HOST)"
			return 0
		fi
		say "DOCKER_HOST=$DOCKER_HOST does not answer (or is not unix://); using /var/run/docker.sock"
	fi
	export DOCKER_HOST=unix:///var/run/docker.sock
	if docker_ok; then
		say "Docker engine: answers on /var/run/docker.sock$before"
		return 0
	fi
	command -v dockerd >/dev/null ||
		die "dockerd is missing (tools/install-deps.sh installs docker.io)"
	if [[ -d /run/systemd/system ]]; then
		say "Docker engine: none answers on /var/run/docker.sock; starting it: systemctl start docker"
		show systemctl start docker
		systemctl start docker ||
			die "systemctl start docker failed (journalctl -u docker says why)"
		record_started dockerd systemd
	else
		say "Docker engine: none answers on /var/run/docker.sock and systemd does not run here;"
		say "starting dockerd in the background (log: $RUN_DIR/dockerd.log)"
		show "dockerd >$RUN_DIR/dockerd.log 2>&1 &"
		setsid dockerd >>"$RUN_DIR/dockerd.log" 2>&1 </dev/null &
		pid=$!
		record_started dockerd "$pid"
	fi
	for ((i = 0; i < 120; i++)); do
		docker_ok && break
		if [[ -n ${pid:-} ]] && ! kill -0 "$pid" 2>/dev/null; then
			tail -n 20 "$RUN_DIR/dockerd.log" | sed 's/^/    | /' >&2
			die "dockerd exited at start (log: $RUN_DIR/dockerd.log)"
		fi
		sleep 0.5
	done
	docker_ok || die "the Docker engine does not answer after 60 s"
	good "Docker engine $(docker version -f '{{.Server.Version}}') is up"
}

registry_ok() {
	[[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 3 \
		"http://$REGISTRY/v2/" 2>/dev/null) == 200 ]]
}

ensure_registry() {
	local i pid dir=$RUN_DIR/registry
	if registry_ok; then
		if started_before registry; then
			say "registry: answers on $REGISTRY (started by a previous run of the demo)"
		else
			say "registry: one answers on $REGISTRY; the demo uses it"
		fi
		return 0
	fi
	command -v docker-registry >/dev/null ||
		die "docker-registry is missing (tools/install-deps.sh installs it)"
	if ss -Htln "sport = :${REGISTRY##*:}" | grep -q .; then
		die "$REGISTRY is taken by something that is not an open Docker registry (GET /v2/ does not answer 200)"
	fi
	mkdir -p "$dir/data"
	cat >"$dir/config.yml" <<-EOF
		# written by tools/demo.sh: the demo's registry (no auth, loopback only)
		version: 0.1
		log:
		  level: warn
		storage:
		  filesystem:
		    rootdirectory: $dir/data
		  delete:
		    enabled: true
		http:
		  addr: $REGISTRY
	EOF
	say "registry: none answers on $REGISTRY; starting docker-registry (config: $dir/config.yml)"
	show "docker-registry serve $dir/config.yml &"
	setsid docker-registry serve "$dir/config.yml" >>"$dir/log" 2>&1 \
		</dev/null &
	pid=$!
	record_started registry "$pid"
	for ((i = 0; i < 100; i++)); do
		registry_ok && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	if ! registry_ok; then
		tail -n 20 "$dir/log" | sed 's/^/    | /' >&2
		die "docker-registry does not answer (log: $dir/log)"
	fi
	good "registry is up on $REGISTRY"
}

# ---- the stack ---------------------------------------------------------------

compose_cmd() {
	if command -v docker-compose >/dev/null; then
		echo docker-compose
	else
		echo docker compose
	fi
}

# compose IMAGE_REF ARGS: compose on the demo stack, as odooctl runs it.
compose() {
	local ref=$1
	shift
	# shellcheck disable=SC2046 # "docker compose" is two words
	ODOO_IMAGE=$ref ODOOCTL_PROXY_DIR=$DEMO_DIR/state/proxy \
		$(compose_cmd) -p "$PROJECT" -f "$COMPOSE_FILE" \
		--env-file "$DEMO_DIR/.env" "$@"
}

# Removes the stack a previous demo left (its stack.env says where).
teardown_stack() {
	local f=$DEMO_DIR/stack.env ids
	local DEMO_DOCKER_HOST='' DEMO_PROJECT=$PROJECT DEMO_REPO=$REPO
	[[ -f $f ]] || return 0
	# shellcheck disable=SC1090
	. "$f"
	rm -f "$f"
	local DOCKER_HOST=$DEMO_DOCKER_HOST
	export DOCKER_HOST
	if ! docker_ok; then
		say "the Docker engine of the previous demo ($DOCKER_HOST) does not answer: its containers stay there"
		return 0
	fi
	say "removing the demo stack $DEMO_PROJECT (containers, volumes, network, images)"
	if [[ -f $DEMO_DIR/.env ]]; then
		PROJECT=$DEMO_PROJECT compose \
			"$DEMO_REPO@sha256:$(printf '0%.0s' {1..64})" \
			down -v --remove-orphans -t 5 >/dev/null 2>&1 || true
	fi
	ids=$({
		docker ps -aq --filter "label=com.docker.compose.project=$DEMO_PROJECT"
		docker ps -aq --filter "label=odooctl.env=$ENV_NAME" \
			--filter "name=$DEMO_PROJECT"
	} | sort -u)
	if [[ -n $ids ]]; then
		# shellcheck disable=SC2086
		docker rm -fv $ids >/dev/null 2>&1 || true
	fi
	ids=$(docker volume ls -q --filter "name=${DEMO_PROJECT}_")
	if [[ -n $ids ]]; then
		# shellcheck disable=SC2086
		docker volume rm -f $ids >/dev/null 2>&1 || true
	fi
	docker network rm "${DEMO_PROJECT}_default" >/dev/null 2>&1 || true
	# By reference, not ID: an ID may also be a base image's.
	ids=$(docker images --digests --format \
		'{{.Repository}} {{.Tag}} {{.Digest}}' |
		awk -v r="$DEMO_REPO" '$1 == r && $2 != "<none>" { print r ":" $2 }
			$1 == r && $3 != "<none>" { print r "@" $3 }')
	if [[ -n $ids ]]; then
		# shellcheck disable=SC2086
		docker rmi $ids >/dev/null 2>&1 || true
	fi
}

# Everything in the demo directory but run/ (what the demo started).
clear_demo_dir() {
	find "$DEMO_DIR" -mindepth 1 -maxdepth 1 ! -name run \
		! -name "$(basename "$MARKER")" -exec rm -rf {} +
}

port_free() { ! ss -Htln "sport = :$1" | grep -q .; }

pick_port() {	# pick_port PREFERRED [NOT]: PREFERRED if free, else a free one
	local p=$1
	if port_free "$p" && [[ $p != "${2:-}" ]]; then
		echo "$p"
		return 0
	fi
	while :; do
		# below Linux's ephemeral range, which docker uses for
		# 127.0.0.1::PORT publishing
		p=$((20000 + RANDOM % 12000))
		if port_free "$p" && [[ $p != "${2:-}" ]]; then
			echo "$p"
			return 0
		fi
	done
}

# pull IMAGE...: pulls them in parallel (each within PULL_TIMEOUT s); sets
# PULLED[IMAGE] to "pulled", "local" (could not pull, but it is here) or
# the reason it cannot be used.
declare -A PULLED
pull_images() {
	local img log pids=() i=0 rc why
	mkdir -p "$DEMO_DIR/logs"
	say "pulling, in parallel, at most $PULL_TIMEOUT s each"
	for img in "$@"; do
		log=$DEMO_DIR/logs/pull-${img//[:\/]/_}.log
		show "timeout $PULL_TIMEOUT docker pull $img"
		timeout "$PULL_TIMEOUT" docker pull "$img" >"$log" 2>&1 &
		pids+=($!)
	done
	for img in "$@"; do
		log=$DEMO_DIR/logs/pull-${img//[:\/]/_}.log
		rc=0
		wait "${pids[i]}" || rc=$?
		i=$((i + 1))
		if ((rc == 0)); then
			PULLED[$img]=pulled
			continue
		fi
		if ((rc == 124)); then
			why="not done within $PULL_TIMEOUT s; re-run to go on with the download, or raise ODOOCTL_DEMO_PULL_TIMEOUT"
		else
			why=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1 |
				sed -E 's/^Error response from daemon: //')
			[[ -n $why ]] || why="docker pull exited with status $rc"
		fi
		if docker image inspect "$img" >/dev/null 2>&1; then
			PULLED[$img]="local:$why"
		else
			PULLED[$img]="no:$why"
		fi
	done
}

# use_image IMAGE STANDIN: prints the image to use, says which and why.
use_image() {
	local img=$1 standin=$2 st=${PULLED[$1]}
	case $st in
	pulled)
		good "$img: pulled" >&2
		echo "$img"
		;;
	local:*)
		say "$img could not be pulled (${st#local:}); using the copy already on this machine" >&2
		echo "$img"
		;;
	*)
		say "${RED}$img cannot be pulled${OFF} (${st#no:}): using the local stand-in $standin instead" >&2
		echo "$standin"
		;;
	esac
}

service_container() {
	docker ps -aq --filter "label=com.docker.compose.project=$PROJECT" \
		--filter "label=com.docker.compose.service=$1" \
		--filter "label=com.docker.compose.oneoff=False"
}

wait_healthy() {	# wait_healthy SERVICE TIMEOUT
	local end=$((SECONDS + $2)) state='' id
	while :; do
		id=$(service_container "$1")
		if [[ -n $id ]]; then
			state=$(docker inspect -f '{{.State.Health.Status}}' "$id" \
				2>/dev/null || true)
			[[ $state == healthy ]] && return 0
		fi
		((SECONDS < end)) || break
		sleep 1
	done
	die "the $1 container is '${state:-missing}', not healthy, after $2 s"
}

# ---- releases ----------------------------------------------------------------

# release N WHAT: commits a change to the build context, then odooctl build
# and push; the digest in DIGEST.
release() {
	local n=$1 what=$2 dir=$CONTEXT/addons/$ADDON log
	mkdir -p "$dir/static"
	echo "release $n" >"$dir/static/demo_release.txt"
	case $what in
	broken)
		# A half-done rename, as a real release can ship: the controller
		# assigns http_request but still uses httprequest below, so every
		# POST /ocr_billing/webhook with a database raises NameError and
		# Odoo answers 500. The module still imports and upgrades (the
		# error is at request time only), and a .py file changed: the
		# addon's checksum changes, so the deploy takes the
		# database-changing path.
		sed -i 's/^        httprequest = request\.httprequest$/        http_request = request.httprequest/' \
			"$dir/controllers/main.py"
		grep -q '^        http_request = request\.httprequest$' \
			"$dir/controllers/main.py" ||
			die "could not break the webhook controller"
		say "the change: controllers/main.py renames httprequest to http_request where it is assigned but not where it is used:"
		git -C "$CONTEXT" diff -U0 -- "addons/$ADDON/controllers/main.py" |
			grep -E '^[-+] ' | sed 's/^/    /'
		say "on Odoo, POST /ocr_billing/webhook then raises NameError (500); a Python file changed, so the deploy will take the database-changing path"
		if ((!REAL_ODOO)); then
			# The stand-in runs no Python: its fault switch makes its
			# addon routes answer 500 as Odoo would with that code.
			echo smoke_500 >"$dir/static/standin_fault"
			say "the stand-in runs no Python: static/standin_fault (smoke_500) makes its addon routes answer 500 as Odoo would with this code"
		fi
		;;
	first)
		say "the change: $ADDON/static/demo_release.txt says \"release $n\""
		;;
	*)
		say "the change: $ADDON/static/demo_release.txt says \"release $n\" (static files are not in the addon's checksum: the code-only path)"
		;;
	esac
	git -C "$CONTEXT" add -A
	git -C "$CONTEXT" -c user.name="odooctl demo" \
		-c user.email=demo@localhost commit -q -m "release $n ($what)"
	say "commit $(git -C "$CONTEXT" rev-parse --short HEAD) in $CONTEXT"
	show "odooctl build $ENV_NAME"
	log=$DEMO_DIR/logs/build-$n.log
	if ! "$ODOOCTL" build "$ENV_NAME" >"$log" 2>&1; then
		tail -n 30 "$log" | sed 's/^/    | /' >&2
		die "odooctl build failed (log: $log)"
	fi
	# The phase line and the result; docker's build steps are in the log.
	grep -E '^==> ' "$log" || true
	tail -n 1 "$log"
	say "(the docker build steps are in $log)"
	show "odooctl push $ENV_NAME"
	DIGEST=$("$ODOOCTL" push "$ENV_NAME")
	[[ $DIGEST =~ ^sha256:[0-9a-f]{64}$ ]] ||
		die "odooctl push printed '$DIGEST', not a digest"
	printf '%s\n' "$DIGEST"
	good "release $n is $DIGEST"
}

# http METHOD PATH [BODY]: shows the curl command and the answer; fails
# unless it answers 200.
http() {
	local method=$1 path=$2 body=${3:-} out code
	local args=(-sS --max-time 15 -o "$DEMO_DIR/logs/http.out"
		-w '%{http_code}' -X "$method")
	[[ -z $body ]] || args+=(-H 'Content-Type: application/json' -d "$body")
	if [[ -n $body ]]; then
		show "curl -X $method -H 'Content-Type: application/json' -d '$body' $PROXY_URL$path"
	else
		show "curl $PROXY_URL$path"
	fi
	code=$(curl "${args[@]}" "$PROXY_URL$path") || true
	out=$(head -c 300 "$DEMO_DIR/logs/http.out" 2>/dev/null || true)
	printf '%s  (HTTP %s)\n' "$out" "$code"
	[[ $code == 200 ]] || die "$method $path answered ${code:-nothing}, not 200"
}

# settle_proxy: waits (at most 5 s) until 10 requests in a row through the
# proxy answer 200; says so if some did not. `nginx -s reload` returns
# before the old workers stop accepting: for a moment after a switch, some
# requests still get the previous configuration (after a first deploy, the
# maintenance page).
settle_proxy() {
	local end=$((SECONDS + 5)) ok=0 bad=0 code
	while ((ok < 10 && SECONDS < end)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
			"$PROXY_URL/web/health" 2>/dev/null) || true
		if [[ $code == 200 ]]; then
			ok=$((ok + 1))
		else
			ok=0 bad=$((bad + 1))
			sleep 0.05
		fi
	done
	if ((bad)); then
		say "note: $bad request(s) right after odooctl returned still got the proxy's previous configuration (nginx's old workers had not stopped yet)"
	fi
	((ok >= 10)) || die "the proxy does not answer GET /web/health with 200 steadily"
}

serving() {
	curl -fsS --max-time 10 \
		"$PROXY_URL/$ADDON/static/demo_release.txt" 2>/dev/null || true
}

expect_serving() {	# expect_serving N
	local got
	show "curl $PROXY_URL/$ADDON/static/demo_release.txt"
	got=$(serving)
	printf '%s\n' "${got:-(no answer)}"
	[[ $got == "release $1" ]] ||
		die "the proxy serves '${got:-nothing}', not release $1"
}

# load_begin NAME / load_end [maintenance]: a client sends GET /web/health
# through the proxy every 50 ms while a deploy runs, and writes each answer's
# status code, "503m" for odooctl's maintenance page (nginx's 503 with
# Retry-After and "Maintenance in progress"), "000" for no answer.
# load_end counts them by code; it fails on any answer but 200, or but 200
# and the maintenance page with "maintenance".
load_begin() {
	LOAD_FILE=$DEMO_DIR/logs/load-$1.txt
	: >"$LOAD_FILE"
	rm -f "$LOAD_FILE.stop"
	(
		body=$LOAD_FILE.body
		while [[ ! -e $LOAD_FILE.stop ]] && kill -0 "$$" 2>/dev/null; do
			code=$(curl -s -o "$body" -D "$body.head" \
				-w '%{http_code}' --max-time 10 \
				"$PROXY_URL/web/health" 2>/dev/null) || true
			if [[ $code == 503 ]] &&
				grep -qi '^Retry-After:' "$body.head" 2>/dev/null &&
				grep -q 'Maintenance in progress' "$body" 2>/dev/null; then
				code=503m
			fi
			printf '%s\n' "${code:-000}" >>"$LOAD_FILE"
			sleep 0.05
		done
		rm -f "$body" "$body.head"
	) &
	LOAD_PID=$!
	say "meanwhile, a client sends GET /web/health through the proxy every 50 ms"
}

load_end() {
	local allow=${1:-} total ok maint other counts
	touch "$LOAD_FILE.stop"
	wait "$LOAD_PID" || true
	LOAD_PID=''
	total=$(wc -l <"$LOAD_FILE")
	ok=$(grep -cx '200' "$LOAD_FILE" || true)
	maint=$(grep -cx '503m' "$LOAD_FILE" || true)
	other=$((total - ok - maint))
	# "148 answers: 38 x 200, 110 x 503 (the maintenance page)"
	counts=$(sort "$LOAD_FILE" | uniq -c | sort -rn | awk '
		{ c = $2; if (c == "503m") c = "503 (the maintenance page)"
		  else if (c == "503") c = "503 (not the maintenance page)"
		  else if (c == "000") c = "no answer"
		  printf "%s%d x %s", (NR > 1 ? ", " : ""), $1, c }')
	say "the client's $total answers: ${counts:-none}"
	((total > 0)) || die "the client got no answer at all"
	if ((other > 0)) || { ((maint > 0)) && [[ $allow != maintenance ]]; }; then
		die "not what a client of this path should see: $counts (log: $LOAD_FILE)"
	fi
	if ((maint == 0)); then
		good "the client saw no error and no maintenance page: all $total answered 200"
	else
		good "the client saw no error: $ok answered 200 and $maint got the maintenance page (503, Retry-After: 60) while odooctl worked on the database; none failed"
	fi
}

# deploy_path LOG: the path odooctl said the deploy took (code-only,
# database-changing), or "none" (a first deploy or a rollback says none).
deploy_path() {
	local p
	p=$(sed -n 's/^==> path: \([a-z-]*\).*/\1/p' "$1" | tail -n 1)
	echo "${p:-none}"
}

# ---- --down ------------------------------------------------------------------

if [[ $MODE == down ]]; then
	check_demo_dir
	if [[ ! -d $DEMO_DIR ]]; then
		say "no demo in $DEMO_DIR: nothing to remove"
		exit 0
	fi
	teardown_stack
	stop_started
	rm -rf "$DEMO_DIR"
	good "removed the demo stack ($PROJECT: containers, volumes, network, release images) and $DEMO_DIR"
	say "kept: the base images (odoo:19.0, the real Odoo built from shared/odoo19, the stand-ins) and build/odooctl"
	exit 0
fi

# ---- 1. dependencies and odooctl ---------------------------------------------

check_demo_dir
if [[ ${ODOOCTL_DEMO_BUILT:-} == 1 && -x $ODOOCTL ]]; then
	say "odooctl was built as ${SUDO_USER:-the calling user}: $ODOOCTL"
else
	headline 1 "Dependencies and odooctl (tools/install-deps.sh, make)"
	show tools/install-deps.sh
	"$ROOT/tools/install-deps.sh"
	show make
	make -C "$ROOT" --no-print-directory
fi
"$ODOOCTL" --version
OPERATOR=${SUDO_USER:-$(id -un)}

# ---- 2. Docker engine and registry -------------------------------------------

headline 2 "The Docker engine and a registry on $REGISTRY"
mkdir -p "$RUN_DIR"
touch "$MARKER"
TOUCHED=1
ensure_docker
ensure_registry
DOCKER_SOCKET=${DOCKER_HOST#unix://}
teardown_stack
clear_demo_dir

# ---- 3. images ---------------------------------------------------------------

headline 3 "Base images: odoo:19.0, postgres:15, nginx:1.27-alpine"
if [[ $ODOO_CHOICE == standin ]]; then
	say "ODOOCTL_DEMO_ODOO=standin: the stand-in Odoo, odoo:19.0 is not looked at"
	pull_images postgres:15 nginx:1.27-alpine
	PULLED[odoo:19.0]="no:ODOOCTL_DEMO_ODOO=standin"
else
	pull_images odoo:19.0 postgres:15 nginx:1.27-alpine
fi
POSTGRES_IMAGE=$(use_image postgres:15 "$STANDIN_POSTGRES")
PROXY_IMAGE=$(use_image nginx:1.27-alpine "$STANDIN_NGINX")

# standin_odoo WHY: the stand-in Odoo (or, with ODOOCTL_DEMO_ODOO=real, fail).
standin_odoo() {
	[[ $ODOO_CHOICE != real ]] ||
		die "ODOOCTL_DEMO_ODOO=real, but no real Odoo 19: $1"
	say "${RED}no real Odoo 19${OFF} ($1): using the local stand-in $STANDIN_ODOO instead"
	ODOO_BASE=$STANDIN_ODOO REAL_ODOO=0
	ODOO_WHAT="the stand-in $STANDIN_ODOO (a small C program that answers Odoo's HTTP routes and odoo -i/-u; no Python, no UI)"
}

# build_real_odoo WHY: a real Odoo 19 built from shared/odoo19 beside the
# checkout (tests/fixtures/odoo19/build-image.sh, cached by its recipe), or
# the stand-in when that source is not there or the build fails.
build_real_odoo() {
	local why=$1 rtag log=$DEMO_DIR/logs/build-odoo19.log
	rtag=$("$REAL_ODOO_BUILDER" --tags 2>/dev/null | sed -n 's/^REAL_ODOO=//p') || true
	if [[ -z $rtag ]]; then
		standin_odoo "odoo:19.0: $why; no Odoo 19 source beside the checkout to build one from (../shared/odoo19/odoo-19.0-min.tar.xz)"
		return 0
	fi
	say "odoo:19.0: $why; the Odoo 19.0 source is beside the checkout: the demo uses a real Odoo 19 built from it and Debian 12's packages, laid out as the official image"
	if docker image inspect "$rtag" >/dev/null 2>&1; then
		say "$rtag is already built (tests/fixtures/odoo19/build-image.sh)"
	else
		say "building $rtag: about 2.5 minutes the first time (debootstrap bookworm and Odoo's Python packages from Debian's mirror), cached after"
		show tests/fixtures/odoo19/build-image.sh
		if ! "$REAL_ODOO_BUILDER" >"$log" 2>&1 ||
			! docker image inspect "$rtag" >/dev/null 2>&1; then
			tail -n 15 "$log" | sed 's/^/    | /' >&2
			standin_odoo "building it from shared/odoo19 failed (log: $log)"
			return 0
		fi
		sed 's/^/    /' "$log"
	fi
	ODOO_BASE=$rtag REAL_ODOO=1
	ODOO_WHAT="the real Odoo 19.0 (Community, source in shared/odoo19) in $rtag, built by tests/fixtures/odoo19/build-image.sh"
}

REAL_ODOO=0 ODOO_BASE='' ODOO_WHAT=''
st=${PULLED[odoo:19.0]}
case $st in
pulled)
	good "odoo:19.0: pulled"
	ODOO_BASE=odoo:19.0 REAL_ODOO=1 ODOO_WHAT="the official odoo:19.0 (pulled)"
	;;
local:*)
	say "odoo:19.0 could not be pulled (${st#local:}); using the copy already on this machine"
	ODOO_BASE=odoo:19.0 REAL_ODOO=1 ODOO_WHAT="odoo:19.0, the copy on this machine"
	if [[ -n $(docker image inspect -f '{{index .Config.Labels "odooctl.recipe"}}' \
		odoo:19.0 2>/dev/null) ]]; then
		ODOO_WHAT+=" (a real Odoo 19.0 built by tests/fixtures/odoo19/build-image.sh, tagged odoo:19.0)"
	fi
	;;
*)
	if [[ $ODOO_CHOICE == standin ]]; then
		standin_odoo "ODOOCTL_DEMO_ODOO=standin"
	else
		build_real_odoo "cannot be pulled (${st#no:})"
	fi
	;;
esac
if [[ $ODOO_BASE == "$STANDIN_ODOO" || $POSTGRES_IMAGE == "$STANDIN_POSTGRES" ||
	$PROXY_IMAGE == "$STANDIN_NGINX" ]]; then
	say "building the stand-ins from this machine's Debian packages (a no-op when they are current)"
	show tests/fixtures/standin/build-images.sh
	"$ROOT/tests/fixtures/standin/build-images.sh"
fi
if ((REAL_ODOO)); then
	HEALTH_RETRIES=90 HEALTH_TIMEOUT=10
else
	HEALTH_RETRIES=20 HEALTH_TIMEOUT=5
fi
good "Odoo: $ODOO_WHAT"

# ---- 4. the demo stack -------------------------------------------------------

headline 4 "The demo stack in $DEMO_DIR"
PROXY_PORT=$(pick_port 8069)
POSTGRES_PORT=$(pick_port 15432 "$PROXY_PORT")
PROXY_URL=http://127.0.0.1:$PROXY_PORT
mkdir -p "$DEMO_DIR/state/proxy" "$DEMO_DIR/src" "$DEMO_DIR/logs"
{
	printf '# the stack tools/demo.sh set up (read by its teardown)\n'
	printf 'DEMO_DOCKER_HOST=%q\nDEMO_PROJECT=%q\nDEMO_REPO=%q\n' \
		"$DOCKER_HOST" "$PROJECT" "$REPO"
} >"$DEMO_DIR/stack.env"
(
	umask 077
	{
		echo "# The demo stack's settings (tools/demo.sh); mode 600: it holds the password."
		echo "POSTGRES_USER=postgres"
		echo "POSTGRES_PASSWORD=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
		echo "ODOO_DB_USER=odoo"
		echo "ODOO_DB_PASSWORD=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
		echo "ODOO_ADMIN_PASSWD=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
		echo "ODOO_DB_NAME=central"
		echo "POSTGRES_IMAGE=$POSTGRES_IMAGE"
		echo "POSTGRES_PORT=$POSTGRES_PORT"
		echo "PROXY_IMAGE=$PROXY_IMAGE"
		echo "PROXY_BIND=127.0.0.1"
		echo "PROXY_PORT=$PROXY_PORT"
		if ((!REAL_ODOO)); then
			echo "POSTGRES_MEM_LIMIT=512m"
			echo "ODOO_MEM_LIMIT=512m"
			echo "PROXY_MEM_LIMIT=128m"
		fi
		echo "LOG_MAX_SIZE=5m"
		echo "LOG_MAX_FILE=2"
	} >"$DEMO_DIR/.env"
)
cat >"$DEMO_DIR/odooctl.conf" <<EOF
; odooctl configuration of the demo (written by tools/demo.sh).
; Use it with: export ODOOCTL_CONFIG=$DEMO_DIR/odooctl.conf

[$ENV_NAME]
image_repository = $REPO
compose_files    = $COMPOSE_FILE
compose_project  = $PROJECT
env_file         = $DEMO_DIR/.env
state_dir        = $DEMO_DIR/state
docker_socket    = $DOCKER_SOCKET
build_context    = $CONTEXT
odoo_base        = $ODOO_BASE
db_name          = central
db_user          = postgres
db_host          = 127.0.0.1
db_port          = $POSTGRES_PORT
proxy_url        = $PROXY_URL
health_interval  = 1
health_timeout   = $HEALTH_TIMEOUT
health_retries   = $HEALTH_RETRIES
drain_seconds    = 2
stop_timeout     = 10
disk_floor_mb    = 1024
keep_releases    = 2
EOF
export ODOOCTL_CONFIG=$DEMO_DIR/odooctl.conf
cp -a "$SERVICE_DIR" "$CONTEXT"
rm -f "$CONTEXT/.env"
find "$CONTEXT" -name __pycache__ -prune -exec rm -rf {} +
git -C "$CONTEXT" init -q
say "$DEMO_DIR/.env: random POSTGRES_PASSWORD (odooctl's superuser) and ODOO_DB_PASSWORD (Odoo's role odoo, not a superuser), mode 600; proxy on $PROXY_URL, PostgreSQL on 127.0.0.1:$POSTGRES_PORT"
say "build context: $CONTEXT (a copy of services/odoo19-central-addons, a git repository)"
say "$ODOOCTL_CONFIG:"
grep -v '^;' "$ODOOCTL_CONFIG" | grep . | sed 's/^/    /'
octl config check

# ---- 5. release 1 ------------------------------------------------------------

headline 5 "a. Release 1: build the image, push it, deploy it by digest"
release 1 first
D1=$DIGEST
REF1=$REPO@$D1
say "a new database gets its modules installed once (odoo -i): PostgreSQL first, then Odoo with release 1"
show "docker-compose -p $PROJECT up -d postgres"
compose "$REF1" up -d postgres 2>&1 | sed 's/^/    /'
wait_healthy postgres 180
show "docker-compose -p $PROJECT run --rm --no-deps odoo19 odoo -d central -i $ADDON --stop-after-init --no-http"
((!REAL_ODOO)) || say "(Odoo creates the database and installs base and $ADDON: a minute or two)"
if ! compose "$REF1" run --rm --no-deps odoo19 odoo -d central -i "$ADDON" \
	--stop-after-init --no-http >"$DEMO_DIR/logs/init-db.log" 2>&1 ||
	! grep -q 'Modules loaded\.' "$DEMO_DIR/logs/init-db.log"; then
	tail -n 30 "$DEMO_DIR/logs/init-db.log" | sed 's/^/    | /' >&2
	die "installing $ADDON in the database 'central' failed (log: $DEMO_DIR/logs/init-db.log)"
fi
grep -E 'Modules loaded\.' "$DEMO_DIR/logs/init-db.log" | tail -n 1 | sed 's/^/    | /'
good "database 'central' has $ADDON installed"
say "first deploy: odooctl brings up the rest of the stack (the proxy), then the release"
octl deploy "$D1" "$ENV_NAME" "$OPERATOR"
settle_proxy
octl status "$ENV_NAME"
http GET /web/health
http POST /ocr_billing/webhook "$WEBHOOK_BODY"
expect_serving 1

# ---- 6. release 2 ------------------------------------------------------------

headline 6 "b. Release 2: a code change, deployed with zero downtime"
release 2 "code change"
D2=$DIGEST
load_begin release2
octl_log "$DEMO_DIR/logs/deploy-2.log" deploy "$D2" "$ENV_NAME" "$OPERATOR"
path=$(deploy_path "$DEMO_DIR/logs/deploy-2.log")
[[ $path == code-only ]] ||
	die "release 2 changes only a static file, yet odooctl took the '$path' path"
say "odooctl took the code-only path: release 2 started beside release 1, passed its health check and smoke tests, then the proxy switched to it"
load_end
expect_serving 2

# ---- 7. release 3, broken ----------------------------------------------------

headline 7 "c. Release 3: broken; the deploy fails and rolls back by itself"
release 3 broken
D3=$DIGEST
load_begin release3
rc=0
octl_log "$DEMO_DIR/logs/deploy-3.log" deploy "$D3" "$ENV_NAME" "$OPERATOR" || rc=$?
path=$(deploy_path "$DEMO_DIR/logs/deploy-3.log")
reason=$(sed -n 's/^==> rollback: //p' "$DEMO_DIR/logs/deploy-3.log" | tail -n 1)
say "odooctl deploy exited with status $rc"
((rc == 1)) ||
	die "the deploy of the broken release 3 should exit 1 (failed, rolled back), not $rc"
[[ -n $reason ]] ||
	die "odooctl deploy exited 1 but did not roll back (no '==> rollback:' line; log: $DEMO_DIR/logs/deploy-3.log)"
# The reason the demo gives: the webhook's smoke test answered 500.
[[ $reason == *"smoke test POST /ocr_billing/webhook"* && $reason == *500* ]] ||
	die "release 3 should fail its smoke test POST /ocr_billing/webhook with 500, but odooctl rolled back because: $reason"
case $path in
database-changing)
	grep -Eq '^==> (swap back the rollback point|restore) ' "$DEMO_DIR/logs/deploy-3.log" ||
		die "the database-changing deploy rolled back without putting its rollback point back (log: $DEMO_DIR/logs/deploy-3.log)"
	say "odooctl took the database-changing path (controllers/main.py changed): a verified backup while release 2 served, then the maintenance page, release 2 frozen, the rollback point (a copy of the database, hard links of the filestore), odoo -u $ADDON (it succeeded: the bug is at request time), release 3 started and healthy,"
	say "then its smoke test failed ($reason): odooctl swapped the rollback point back (database and filestore), thawed release 2 (the same process, warm) and took the maintenance page down"
	load_end maintenance
	;;
code-only)
	say "odooctl took the code-only path: release 3 started beside release 2 and failed its smoke test ($reason) before the proxy was switched"
	load_end
	;;
*)
	die "odooctl deploy did not say which path it took (log: $DEMO_DIR/logs/deploy-3.log)"
	;;
esac
good "exit status 1: release 3 failed its smoke test and was rolled back; release 2 serves again"
expect_serving 2
http POST /ocr_billing/webhook "$WEBHOOK_BODY"

# ---- 8. manual rollback and history ------------------------------------------

headline 8 "d. Manual rollback to release 1, and the history"
load_begin rollback
octl rollback "$ENV_NAME"
load_end
expect_serving 1
octl history "$ENV_NAME"

# ---- 9. summary --------------------------------------------------------------

headline 9 "e. Done: the demo stack keeps running"
STEP=''
if ((REAL_ODOO)); then
	what="Odoo 19: log in as admin / admin at $PROXY_URL/web/login"
else
	what="the Odoo stand-in: /web/health, /web/login, POST /ocr_billing/webhook"
fi
cat <<EOF
  URL            $PROXY_URL/  ($what)
  serving        release 1  $D1
  releases       1 $D1
                 2 $D2
                 3 $D3 (broken: rolled back)
  images         odoo: $ODOO_BASE, postgres: $POSTGRES_IMAGE, proxy: $PROXY_IMAGE
  Odoo           $ODOO_WHAT
  stack          compose project $PROJECT on $DOCKER_HOST; files in $DEMO_DIR

Try:
  export ODOOCTL_CONFIG=$ODOOCTL_CONFIG
  $ODOOCTL status $ENV_NAME
  $ODOOCTL history $ENV_NAME
  $ODOOCTL deploy $D2 $ENV_NAME      # forward to release 2 again
  $ODOOCTL rollback $ENV_NAME        # back to the release before
  curl $PROXY_URL/$ADDON/static/demo_release.txt

Remove it (containers, volumes, network, $DEMO_DIR; and the dockerd or
registry the demo started, if any):
  bash $ROOT/tools/demo.sh --down
EOF
if [[ -s $RUN_DIR/started ]]; then
	say "started by the demo (and stopped by --down): $(awk '{ printf "%s%s (%s)", (NR > 1 ? ", " : ""), $1, $2 }' "$RUN_DIR/started")"
fi
