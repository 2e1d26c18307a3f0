# shellcheck shell=bash
# The services odooctl's end-to-end suite (tests/e2e/run.sh) and the
# benchmarks (bench/deploy-downtime) run against, started only when they do
# not already answer:
#   services_start   dockerd on /var/run/docker.sock (default data root;
#                    unless $DOCKER_HOST or that socket answers), an OCI
#                    registry on $E2E_REGISTRY (`docker-registry serve`,
#                    storage in $E2E_RUN_DIR), then the stand-in images
#                    (tests/fixtures/standin/build-images.sh) and the real
#                    Odoo 19 image (tests/fixtures/odoo19/build-image.sh),
#                    each a no-op when current. Exports DOCKER_HOST.
#   services_stop    stops the registry and the dockerd (and its
#                    containerd) that services_start started, nothing else.
#   dockerd_restart  (for the chaos tests) stops the dockerd services_start
#                    started and starts it again, as a crash and a restart
#                    by systemd would; only when E2E_DOCKERD_OWNED=1 (set
#                    by services_start when it started one), else it fails.
# The caller sets (and exports) DOCKER, E2E_REGISTRY and E2E_RUN_DIR (an
# existing scratch dir: logs, registry storage) before services_start, and
# may define say MSG and die MSG (say, then exit 2) before sourcing this
# file; E2E_DOCKERD_ARGS: extra dockerd arguments.

SERVICES_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dockerd_pid=
registry_pid=

declare -F say >/dev/null ||
	say() { printf '# %s: %s\n' "${SERVICES_WHO:-services}" "$*"; }
declare -F die >/dev/null || die() { say "$*"; exit 2; }

docker_ok() { timeout 20 "$DOCKER" version >/dev/null 2>&1; }
registry_ok() {
	curl -fsS -o /dev/null --max-time 3 "http://$E2E_REGISTRY/v2/" 2>/dev/null
}

# stop PID NAME SECONDS: SIGTERM, then SIGKILL after SECONDS.
stop() {
	local pid=$1 name=$2 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < $3 * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "$name ($pid) did not stop; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

start_dockerd() {
	local i
	((EUID == 0)) || die "no Docker daemon answers and starting one needs root"
	command -v dockerd >/dev/null || die "dockerd is missing (tools/install-deps.sh)"
	unset DOCKER_HOST
	say "starting dockerd (log: $E2E_RUN_DIR/dockerd.log)"
	# shellcheck disable=SC2086 # a list of arguments
	dockerd ${E2E_DOCKERD_ARGS:-} >"$E2E_RUN_DIR/dockerd.log" 2>&1 &
	dockerd_pid=$!
	for ((i = 0; i < 120; i++)); do
		if ! kill -0 "$dockerd_pid" 2>/dev/null; then
			dockerd_pid=
			tail -n 20 "$E2E_RUN_DIR/dockerd.log" | sed 's/^/#   /'
			die "dockerd exited at start"
		fi
		DOCKER_HOST=unix:///var/run/docker.sock docker_ok && break
		sleep 0.5
	done
	export DOCKER_HOST=unix:///var/run/docker.sock
	docker_ok || die "dockerd does not answer after 60 s"
	export E2E_DOCKERD_OWNED=1
}

# The pid of the running dockerd, from its pid file.
dockerd_running_pid() {
	local pid
	pid=$(cat /var/run/docker.pid 2>/dev/null) || return 1
	kill -0 "$pid" 2>/dev/null && echo "$pid"
}

dockerd_restart() {
	local pid i
	[[ ${E2E_DOCKERD_OWNED:-0} == 1 ]] || {
		say "dockerd_restart: this dockerd was not started by the suite"
		return 1
	}
	pid=$(dockerd_running_pid) || return 1
	kill -TERM "$pid"
	for ((i = 0; i < 600; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && return 1
	# shellcheck disable=SC2086 # a list of arguments
	setsid dockerd ${E2E_DOCKERD_ARGS:-} >>"$E2E_RUN_DIR/dockerd.log" 2>&1 \
		</dev/null &
	for ((i = 0; i < 120; i++)); do
		docker_ok && return 0
		sleep 0.5
	done
	return 1
}

start_registry() {
	local i dir=$E2E_RUN_DIR/registry
	command -v docker-registry >/dev/null ||
		die "docker-registry is missing (tools/install-deps.sh)"
	if ss -Htln 'sport = :5000' | grep -q .; then
		die "127.0.0.1:5000 is taken by something that is not a registry"
	fi
	mkdir -p "$dir/data"
	cat >"$dir/config.yml" <<-EOF
		version: 0.1
		log:
		  level: warn
		storage:
		  filesystem:
		    rootdirectory: $dir/data
		  delete:
		    enabled: true
		http:
		  addr: $E2E_REGISTRY
	EOF
	say "starting docker-registry on $E2E_REGISTRY"
	docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
	registry_pid=$!
	for ((i = 0; i < 100; i++)); do
		registry_ok && return 0
		kill -0 "$registry_pid" 2>/dev/null || break
		sleep 0.2
	done
	tail -n 20 "$dir/log" | sed 's/^/#   /'
	die "docker-registry does not answer"
}

services_start() {
	if [[ -n ${DOCKER_HOST:-} ]] && docker_ok; then
		:
	elif DOCKER_HOST=unix:///var/run/docker.sock docker_ok; then
		export DOCKER_HOST=unix:///var/run/docker.sock
	else
		start_dockerd
	fi
	registry_ok || start_registry
	say "docker: ${DOCKER_HOST:-default}, registry: $E2E_REGISTRY, odooctl: $ODOOCTL"
	"$SERVICES_ROOT/tests/fixtures/standin/build-images.sh" 2>&1 | sed 's/^/# /'
	real_image
}

# The real Odoo 19 image (tests/fixtures/odoo19/build-image.sh), when
# shared/odoo19 is beside the checkout; without it the real tier skips.
real_image() {
	local rc=0 start=$SECONDS
	"$SERVICES_ROOT/tests/fixtures/odoo19/build-image.sh" 2>&1 |
		sed 's/^/# /' || rc=${PIPESTATUS[0]}
	case $rc in
	0) say "real Odoo 19 image: ready in $((SECONDS - start)) s" ;;
	3) say "no shared/odoo19 beside the checkout: the real Odoo tier will skip" ;;
	*) die "building the real Odoo 19 image failed" ;;
	esac
}

services_stop() {
	local containerd='' pid i
	if [[ -n $registry_pid ]]; then
		stop "$registry_pid" docker-registry 10
		registry_pid=
	fi
	if [[ -n $dockerd_pid ]]; then
		# A chaos test may have restarted it: the pid file names the
		# running one, which is not our child.
		pid=$(dockerd_running_pid) || pid=''
		if [[ -n $pid && $pid != "$dockerd_pid" ]]; then
			wait "$dockerd_pid" 2>/dev/null || true	# the old one
			containerd=$(pgrep -P "$pid" -x containerd || true)
			kill -TERM "$pid" 2>/dev/null || true
			for ((i = 0; i < 600; i++)); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
		else
			containerd=$(pgrep -P "$dockerd_pid" -x containerd || true)
			stop "$dockerd_pid" dockerd 60
		fi
		# dockerd stops its own containerd; make sure it did.
		for pid in $containerd; do
			stop "$pid" containerd 10
		done
		dockerd_pid=
	fi
}
