#!/usr/bin/env bash
# odooctl's end-to-end suite against real services.
#
#   tests/e2e/run.sh [PREFIX...]     e.g. `tests/e2e/run.sh t0001 t01`
#
# Starts what does not already answer (tests/e2e/services.sh): dockerd on
# /var/run/docker.sock (default data root; unless $DOCKER_HOST or that socket
# answers) and an OCI registry on 127.0.0.1:5000 (`docker-registry serve`,
# storage in a temp dir). Builds the stand-in images
# (tests/fixtures/standin/build-images.sh) and the real Odoo 19 image
# (tests/fixtures/odoo19/build-image.sh), each a no-op when current.
# Then runs every tests/e2e/tNNNN-*.sh (t0NNN on the stand-in, t1NNN on
# the real Odoo 19) and then every tests/chaos/cNNNN-*.sh (or those whose
# name starts with a PREFIX) in order, each under `timeout`
# ($E2E_TIMEOUT s, default 1200), renumbering their TAP lines into one
# stream, with each tier's time; the last line is "N passed, N failed".
# Exits 1 on any failure.
# The chaos tests' cells (tests/chaos/chaos.sh) are copied to
# build/chaos-cells.tsv, from which tests/chaos/report.sh writes
# doc/reliability.md. CHAOS_ROUNDS=N (default 1, what CI runs) runs each
# chaos test N times in a row, each round on a stack of its own, so that
# every cell is recorded N times (bench/chaos-long aggregates them).
# Whatever it started is stopped on exit, and stacks the tests left behind
# are torn down.
#
# Environment: E2E_LANES (2, the default: a second lane runs the real
# Odoo tier beside the stand-in's tests, then both lanes take the chaos
# tests from one queue, except a test with a "# run alone: REASON" line,
# which runs last, by itself; 1: one test at a time), ODOOCTL (binary
# under test,
# default build/odooctl), DOCKER
# (client, default /usr/bin/docker), E2E_TIMEOUT, E2E_KEEP=1 (keep the
# stacks' temp dirs), E2E_DOCKERD_ARGS (extra dockerd arguments),
# CHAOS_ROUNDS.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E=$ROOT/tests/e2e
export ODOOCTL=${ODOOCTL:-$ROOT/build/odooctl}
if [[ -z ${DOCKER:-} ]]; then
	DOCKER=docker
	[[ -x /usr/bin/docker ]] && DOCKER=/usr/bin/docker
fi
export DOCKER
export E2E_REGISTRY=127.0.0.1:5000
TIMEOUT=${E2E_TIMEOUT:-1200}
ROUNDS=${CHAOS_ROUNDS:-1}
E2E_RUN_DIR=$(mktemp -d /tmp/odooctl-e2e-run.XXXXXX)
export E2E_RUN_DIR
test_pid=

say() { printf '# run.sh: %s\n' "$*"; }
die() { say "$*"; exit 2; }

# shellcheck source=tests/e2e/services.sh
. "$E2E/services.sh"

sweep_stacks() {
	local d
	[[ -f $E2E_RUN_DIR/stacks ]] || return 0
	while IFS= read -r d; do
		[[ -d $d ]] || continue
		say "tearing down the stack left in $d"
		bash -c '. "$1" && stack_down_dir "$2"' _ "$E2E/lib.sh" "$d" \
			>/dev/null 2>&1 || true
	done <"$E2E_RUN_DIR/stacks"
	: >"$E2E_RUN_DIR/stacks"
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n ${lane_pid:-} ]] && kill -0 "$lane_pid" 2>/dev/null; then
		say "stopping the second lane (real Odoo 19, chaos)"
		kill -TERM "$lane_pid" 2>/dev/null || true
		wait "$lane_pid" 2>/dev/null || true
	fi
	if [[ -n $test_pid ]] && kill -0 "$test_pid" 2>/dev/null; then
		# timeout(1) passes SIGTERM on to the test, whose EXIT trap
		# tears its stack down; its process group goes after 60 s.
		say "stopping the running test"
		stop "$test_pid" test 60
		kill -KILL -- "-$test_pid" 2>/dev/null || true
	fi
	if docker_ok; then
		sweep_stacks
	fi
	services_stop
	if [[ ${E2E_KEEP:-0} == 1 ]]; then
		say "kept $E2E_RUN_DIR"
	else
		rm -rf "$E2E_RUN_DIR"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- services ----------------------------------------------------------------

[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] ||
	die "CHAOS_ROUNDS must be a positive whole number, not '$ROUNDS'"
services_start

# ---- tests -------------------------------------------------------------------

tests=()
# a lane (below) writes its chaos cells into its parent's file
export CHAOS_CELLS=${E2E_CHAOS_CELLS:-$E2E_RUN_DIR/chaos-cells.tsv}
for t in "$E2E"/t[0-9][0-9][0-9][0-9]-*.sh \
	"$ROOT"/tests/chaos/c[0-9][0-9][0-9][0-9]-*.sh; do
	[[ -e $t ]] || continue
	name=$(basename "$t" .sh)
	if (($# == 0)) && [[ -z ${E2E_QUEUE:-} ]]; then
		tests+=("$t")
		continue
	fi
	for prefix in "$@"; do
		if [[ $name == "$prefix"* ]]; then
			tests+=("$t")
			break
		fi
	done
done
((${#tests[@]})) || [[ -n ${E2E_QUEUE:-} ]] ||
	die "no test matches: ${*:-(none)}"

# Two lanes (E2E_LANES=2, the default), when stand-in tests are selected:
# the stand-in's tests (t0NNN) in this process; beside them, a child
# run.sh (E2E_LANE=1) runs the real Odoo 19 tier (t1NNN). Then each lane
# takes the chaos tests (cNNNN, each fault on a stack of its own) one at a
# time from a queue (E2E_QUEUE, a folder: a rename takes one), so that
# neither waits for the other while tests are left. The child's lines join
# the stream once this lane has no test left. A test that disturbs every
# other (c0800 restarts dockerd) says so with a "# run alone: REASON"
# line, and runs last, by itself. E2E_LANES=1 runs everything one after
# the other.
LANES=${E2E_LANES:-2}
[[ $LANES == 1 || $LANES == 2 ]] || die "E2E_LANES must be 1 or 2, not '$LANES'"
lane=() main=() alone=() queue=() standin=0
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	[[ $name == t0* ]] && standin=1
	if ((LANES == 2)) && grep -q '^# run alone:' "$t"; then
		alone+=("$t")
	elif ((LANES == 2)) && [[ $name == t1* ]]; then
		lane+=("$name")
	elif ((LANES == 2)) && [[ $name == c* ]]; then
		queue+=("$t")
	else
		main+=("$t")
	fi
done
if ((!standin)); then	# nothing to run beside
	main=("${tests[@]}") lane=() alone=() queue=()
fi
QUEUE=${E2E_QUEUE:-}
if ((${#queue[@]})); then
	QUEUE=$E2E_RUN_DIR/queue
	mkdir "$QUEUE"
	i=0
	for t in "${queue[@]}"; do
		printf '%s\n' "$t" >"$QUEUE/q$(printf %03d "$i")"
		i=$((i + 1))
	done
fi

# next_queued: takes the next test from the shared queue, its path in
# $queued; 1 when none is left.
next_queued() {
	local f
	[[ -n $QUEUE ]] || return 1
	for f in "$QUEUE"/q[0-9]*; do
		[[ -e $f ]] || return 1
		if mv "$f" "$QUEUE/t${f##*/q}" 2>/dev/null; then
			queued=$(<"$QUEUE/t${f##*/q}")
			return 0
		fi
	done
	return 1
}

n=0 passed=0 failed=0 skipped=0
result() {	# result PASSED DESC
	n=$((n + 1))
	if (($1)); then
		passed=$((passed + 1))
		printf 'ok %d - %s\n' "$n" "$2"
	else
		failed=$((failed + 1))
		printf 'not ok %d - %s\n' "$n" "$2"
	fi
}

# run_test SCRIPT NAME: one run of a test, its TAP lines renumbered.
run_test() {
	local t=$1 name=$2 ran=0 bad=0 plan='' rc=0 start=$SECONDS line
	local log=$E2E_RUN_DIR/$2.log
	say "$name"
	: >"$log"
	# In the background, so that cleanup can stop it; timeout(1) makes it
	# a process group of its own.
	(cd "$ROOT" && exec timeout --kill-after=30 "$TIMEOUT" bash "$t" \
		</dev/null >"$log" 2>&1) &
	test_pid=$!
	while IFS= read -r line; do
		case $line in
		"ok "*"# SKIP"* | "ok "*"# skip"*)
			ran=$((ran + 1)) skipped=$((skipped + 1)) n=$((n + 1))
			printf 'ok %d - %s: %s\n' "$n" "$name" \
				"$(sed -E 's/^ok [0-9]* ?-? ?//' <<<"$line")"
			;;
		"ok "*)
			ran=$((ran + 1))
			result 1 "$name: $(sed -E 's/^ok [0-9]* ?-? ?//' <<<"$line")"
			;;
		"not ok "*)
			ran=$((ran + 1)) bad=$((bad + 1))
			result 0 "$name: $(sed -E 's/^not ok [0-9]* ?-? ?//' <<<"$line")"
			;;
		1..*) plan=${line#1..} ;;
		"#"*) printf '%s\n' "$line" ;;
		*) printf '#   %s\n' "$line" ;;
		esac
	done < <(tail -n +1 -f --pid="$test_pid" "$log")
	wait "$test_pid" || rc=$?
	test_pid=''
	if [[ $rc == 124 || $rc == 137 ]]; then
		result 0 "$name: timed out after $TIMEOUT s"
	elif [[ $rc != 0 ]] && ((bad == 0)); then
		result 0 "$name: exited with status $rc"
	elif ((ran == 0)); then
		result 0 "$name: ran no test"
	elif [[ -n $plan && $plan != "$ran" ]] && [[ $rc == 0 ]]; then
		result 0 "$name: planned $plan tests, ran $ran"
	fi
	say "$name: $((SECONDS - start)) s"
	if docker_ok; then
		sweep_stacks
	fi
}

# The tiers, by name: t0NNN the stand-in's end-to-end tests, t1NNN the
# real Odoo 19's, cNNNN chaos; each one's time is printed when it ends.
tier_of() {
	case $1 in
	t1*) echo "real Odoo 19" ;;
	t*) echo "end-to-end (stand-in)" ;;
	*) echo chaos ;;
	esac
}
tier='' tier_start=$SECONDS
tier_end() {
	[[ -z $tier ]] || say "tier $tier: $((SECONDS - tier_start)) s"
}

lane_pid='' lane_out=$E2E_RUN_DIR/lane.tap
if ((${#lane[@]} + ${#queue[@]})); then
	say "the real Odoo 19 tier runs beside the stand-in's tests, then the chaos tests in both lanes (E2E_LANES=2); the second lane's lines follow (live: $lane_out)"
	E2E_LANES=1 E2E_QUEUE=$QUEUE E2E_CHAOS_CELLS=$CHAOS_CELLS \
		bash "$E2E/run.sh" "${lane[@]}" </dev/null >"$lane_out" 2>&1 &
	lane_pid=$!
fi

# lane_finish: waits for the lane and adds its lines to the stream.
lane_finish() {
	local line desc
	[[ -n $lane_pid ]] || return 0
	say "waiting for the second lane (real Odoo 19, chaos)"
	wait "$lane_pid" || true
	lane_pid=''
	while IFS= read -r line; do
		case $line in
		"ok "*"# SKIP"* | "ok "*"# skip"*)
			n=$((n + 1)) skipped=$((skipped + 1))
			printf 'ok %d - %s\n' "$n" "${line#ok * - }"
			;;
		"ok "*) result 1 "${line#ok * - }" ;;
		"not ok "*) result 0 "${line#not ok * - }" ;;
		"1.."* | *" passed, "*" failed") ;;
		*) printf '%s\n' "$line" ;;
		esac
	done <"$lane_out"
	desc=$(tail -n 1 "$lane_out")
	[[ $desc =~ ^[0-9]+\ passed,\ [0-9]+\ failed$ ]] ||
		result 0 "the second lane (real Odoo 19, chaos) did not finish: $desc"
}

# run_one SCRIPT: a test (a chaos test ROUNDS times), its tier timed.
run_one() {
	local name round
	name=$(basename "$1" .sh)
	if [[ $(tier_of "$name") != "$tier" ]]; then
		tier_end
		tier=$(tier_of "$name") tier_start=$SECONDS
	fi
	if [[ $name != c* ]] || ((ROUNDS == 1)); then
		run_test "$1" "$name"
		return
	fi
	for ((round = 1; round <= ROUNDS; round++)); do
		run_test "$1" "$name.round$round"
	done
}

for t in "${main[@]}"; do
	run_one "$t"
done
while next_queued; do
	run_one "$queued"
done
tier_end
tier=''
lane_finish
for t in "${alone[@]}"; do
	run_one "$t"
done
tier_end

if [[ -s $CHAOS_CELLS ]]; then
	mkdir -p "$ROOT/build"
	cp "$CHAOS_CELLS" "$ROOT/build/chaos-cells.tsv"
	say "chaos cells: build/chaos-cells.tsv (tests/chaos/report.sh makes doc/reliability.md)"
fi
echo "1..$n"
((skipped == 0)) || say "$skipped skipped"
echo "$passed passed, $failed failed"
((failed == 0))
