# shellcheck shell=bash
# Helpers for the chaos suite (tests/chaos/cNNNN-*.sh, run by
# tests/e2e/run.sh after the end-to-end tests), on top of tests/e2e/lib.sh,
# deploy.sh and backup.sh. A test injects one fault at one phase, lets
# odooctl (and `odooctl recover` where a person would run it) deal with it,
# then records a cell:
#   chaos_begin FAULT PHASE       the baseline: history.log, the backups,
#                                 and (with $PG set) the database's pg_dump
#                                 as one acceptable end state; starts the
#                                 clock
#   chaos_fault_now               the fault happens now: the clock starts,
#                                 and a prober notes every 100 ms which
#                                 release answers through the proxy
#   chaos_accept_dump             the database as it is now is an acceptable
#                                 end state too (e.g. after a committed
#                                 upgrade)
#   chaos_end OUTCOME RELEASE [ALSO...]
#                                 checks, each a TAP line: RELEASE answers
#                                 through the proxy (the time to recover:
#                                 from the fault to the last probe that
#                                 got neither RELEASE nor an ALSO, which
#                                 may answer meanwhile; 0.0 when every probe
#                                 got one), no
#                                 journal is left, the history before is a
#                                 prefix of the history after and every line
#                                 has the seed's format, no backup is
#                                 half-written (no .partial; every zip has
#                                 its metadata and its recorded sha256), the
#                                 database is one of the accepted dumps,
#                                 and what chaos_data_check (a function
#                                 of the test's, when it defines one)
#                                 prints is empty: the real Odoo's tests
#                                 compare rows and files, since its dump
#                                 is not byte-equal after a restore.
#                                 Appends "FAULT<TAB>PHASE<TAB>OUTCOME<TAB>
#                                 SECONDS<TAB>DATA LOST<TAB>CHECKS" to
#                                 $CHAOS_CELLS, where DATA LOST is "none"
#                                 only when every data check passed, and
#                                 CHECKS is "pass" when no TAP check failed
#                                 since chaos_begin, else "fail".
# tests/chaos/report.sh turns the cells into doc/reliability.md, one row a
# cell whatever the number of rounds it ran (CHAOS_ROUNDS, tests/e2e/run.sh).

CHAOS_CELLS=${CHAOS_CELLS:-${E2E_RUN_DIR:-/tmp}/chaos-cells.tsv}
CHAOS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

chaos_dump() {
	[[ -n ${PG:-} ]] || return 0
	db_dump central | sha256sum | cut -d' ' -f1
}

chaos_backups_ok() {	# every zip has metadata whose sha256 matches
	local dir=$1 zip sum
	[[ -d $dir ]] || return 0
	if compgen -G "$dir/*.partial" >/dev/null ||
		compgen -G "$dir/.*.partial" >/dev/null; then
		echo "a .partial file in $dir"
		return 1
	fi
	for zip in "$dir"/*.zip; do
		[[ -e $zip ]] || continue
		[[ -f ${zip%.zip}.json ]] || {
			echo "$zip has no metadata"
			return 1
		}
		sum=$(jq -r .sha256 "${zip%.zip}.json")
		[[ $(sha256sum "$zip" | cut -d' ' -f1) == "$sum" ]] || {
			echo "$zip does not match its recorded sha256"
			return 1
		}
	done
}

chaos_begin() {
	CHAOS_FAULT=$1 CHAOS_PHASE=$2
	CHAOS_HIST=$(history_lines)
	CHAOS_DUMPS=$(chaos_dump)
	CHAOS_T0=''
	# shellcheck disable=SC2154 # tests/e2e/lib.sh's count of failed checks
	CHAOS_FAILED0=$_tap_failed
}

chaos_probe_stop() {
	[[ -n ${CHAOS_PROBER:-} ]] || return 0
	kill "$CHAOS_PROBER" 2>/dev/null || true
	wait "$CHAOS_PROBER" 2>/dev/null || true
	CHAOS_PROBER=''
}

chaos_fault_now() {
	chaos_probe_stop
	CHAOS_T0=$(date +%s.%N)
	: >"$STACK_DIR/chaos-probes"
	(
		while kill -0 $$ 2>/dev/null; do
			printf '%s %s\n' "$(date +%s.%N)" \
				"$(curl -s --max-time 2 "http://127.0.0.1:$PROXY_PORT/$RELEASE_ADDON/static/odooctl_e2e_release.txt" |
					head -c 40 | tr -d '\n' | tr -c 'A-Za-z0-9_-' _)"
			sleep 0.1
		done >>"$STACK_DIR/chaos-probes"
	) &
	CHAOS_PROBER=$!
}

chaos_accept_dump() {
	CHAOS_DUMPS="$CHAOS_DUMPS $(chaos_dump)"
}

# chaos_wait_serving RELEASE [ALSO...]: waits (at most 120 s) until RELEASE
# answers through the proxy; then the seconds from the fault to the last
# probe that got neither RELEASE nor an ALSO (0.0 if none), or "-" if it
# never answers.
chaos_wait_serving() {
	local end=$((SECONDS + 120))
	while [[ $(serving) != "$1" ]]; do
		((SECONDS < end)) || {
			chaos_probe_stop
			echo -
			return 1
		}
		sleep 0.1
	done
	sleep 0.3	# a probe or two more
	chaos_probe_stop
	[[ -n $CHAOS_T0 ]] || {
		echo 0.0
		return 0
	}
	awk -v t0="$CHAOS_T0" -v want=" $* " '
		index(want, " " $2 " ") == 0 { last = $1 }
		END { printf "%.1f", last ? last - t0 : 0 }' "$STACK_DIR/chaos-probes"
}

chaos_end() {
	local outcome=$1 release=$2 what="$CHAOS_FAULT at $CHAOS_PHASE"
	local secs lost='' n why dump checks
	shift 2
	secs=$(chaos_wait_serving "$release" "$@") || true
	is "$(serving)" "$release" "$what: $release answers through the proxy" || true
	ok "$what: no journal left" test ! -e "$STACK_DIR/state/journal" || true
	n=$(wc -l <<<"$CHAOS_HIST")
	[[ -z $CHAOS_HIST ]] && n=0
	if [[ $(history_lines | head -n "$n") != "$CHAOS_HIST" ]]; then
		lost+="history lines lost or changed; "
	fi
	if history_lines | grep -Evq "$HISTORY_RE"; then
		lost+="a malformed history line; "
	fi
	ok "$what: history kept every line, in order" \
		test "$(history_lines | head -n "$n")" == "$CHAOS_HIST" || true
	why=$(chaos_backups_ok "$STACK_DIR/state/backups") || lost+="$why; "
	is "$why" "" "$what: no half-written backup" || true
	if [[ -n ${PG:-} ]]; then
		dump=$(chaos_dump)
		if [[ " $CHAOS_DUMPS " != *" $dump "* ]]; then
			lost+="the database is in none of the expected states; "
		fi
		like " $CHAOS_DUMPS " " $dump " \
			"$what: the database is in an expected state" || true
	fi
	if declare -F chaos_data_check >/dev/null; then
		why=$(chaos_data_check)
		[[ -z $why ]] || lost+="$why; "
		is "$why" "" "$what: the data is what it was" || true
	fi
	checks=pass
	((_tap_failed == CHAOS_FAILED0)) || checks=fail
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$CHAOS_FAULT" "$CHAOS_PHASE" \
		"$outcome" "$secs" "${lost:-none}" "$checks" >>"$CHAOS_CELLS"
}

# ---- odooctl killed at a phase (c0400, c0410) -------------------------------
# kill_at SIGNAL PATTERN CMD...: runs odooctl CMD, sends SIGNAL when its
# output has a line matching PATTERN; KILLED_RC, KILLED_OUT.
kill_at() {
	local sig=$1 pattern=$2 log=$STACK_DIR/kill.log pid end
	shift 2
	: >"$log"
	"$ODOOCTL" "$@" >"$log" 2>&1 &
	pid=$!
	end=$((SECONDS + 120))
	until grep -Eq "$pattern" "$log" || ! kill -0 "$pid" 2>/dev/null ||
		((SECONDS > end)); do
		sleep 0.02
	done
	chaos_fault_now
	kill "-$sig" "$pid" 2>/dev/null || true
	{ wait "$pid"; } 2>/dev/null && KILLED_RC=0 || KILLED_RC=$?
	KILLED_OUT=$(cat "$log")
}

# after_kill SIGNAL WHAT: what a person does after it, and the checks; the
# release $A is the one that must serve again (c0400, c0410).
after_kill() {
	local out rc
	if [[ $1 == TERM ]]; then
		like "$KILLED_RC" '^[13]$' "$2: SIGTERM: odooctl exits 1 (or 3 before any change)" ||
			diag "$KILLED_OUT"
		ok "$2: SIGTERM: no journal left" test ! -e "$STACK_DIR/state/journal"
		chaos_end "SIGTERM: rolled back by itself" A
		return
	fi
	is "$KILLED_RC" 137 "$2: SIGKILL"
	out=$("$ODOOCTL" recover e2e 2>&1) && rc=0 || rc=$?
	is "$rc" 0 "$2: odooctl recover" || diag "$out
$("$DOCKER" ps -a --filter "label=com.docker.compose.project=$STACK_PROJECT" \
	--format '{{.Names}} {{.Status}} {{.Label "odooctl.release"}}')
$("$DOCKER" logs --tail 30 "$("$DOCKER" ps -aq --filter "label=odooctl.release=$A" | head -n 1)" 2>&1)"
	chaos_end "SIGKILL: odooctl recover brought A back" A
}

# ---- a registry that fails on demand (c0500, c0800) --------------------------
# relay_stack: stack_up e2e with every image pulled and pushed through
# tests/chaos/tools/relay.py in front of the real registry; $RELAY_CONTROL
# holds its mode (fast, slow N, 500, garbage). relay_start starts it (again);
# relay_stop stops it, as a registry that goes away.
relay_pid=''
relay_cleanup() {	# under set -e: nothing here may fail
	local rc=$?
	[[ -z $relay_pid ]] || kill "$relay_pid" 2>/dev/null || true
	stack_down_all || true
	exit "$rc"
}

relay_start() {
	python3 "$CHAOS_DIR/tools/relay.py" "$RELAY_PORT" "${E2E_REGISTRY##*:}" \
		"$RELAY_CONTROL" 2>>"$STACK_DIR/relay.log" &
	relay_pid=$!
	wait_http "http://127.0.0.1:$RELAY_PORT/v2/" 200 20 ||
		bail "the relay does not answer"
}

relay_stop() {
	kill "$relay_pid" 2>/dev/null || true
	wait "$relay_pid" 2>/dev/null || true
	relay_pid=''
}

relay_stack() {
	stack_up e2e
	trap relay_cleanup EXIT
	RELAY_PORT=$(free_port)
	RELAY_CONTROL=$STACK_DIR/relay.mode
	echo fast >"$RELAY_CONTROL"
	relay_start
	STACK_REPO=127.0.0.1:$RELAY_PORT/odooctl-e2e/$STACK_PROJECT
	sed -i "s|^image_repository *=.*|image_repository = $STACK_REPO|" \
		"$ODOOCTL_CONFIG"
}

# big_release NAME: a release with a 24 MiB layer (so that a slowed pull
# takes a while), pushed, and removed from the engine so that a deploy has
# to pull it; the digest in $DIGEST.
big_release() {
	build_release "$1"
	head -c $((24 << 20)) /dev/urandom \
		>"$RELEASE_CONTEXT/addons/$RELEASE_ADDON/static/big.bin"
	git -C "$RELEASE_CONTEXT/.." add -A
	git -C "$RELEASE_CONTEXT/.." -c user.name=e2e -c user.email=e2e@localhost \
		commit -q -m big
	"$ODOOCTL" -q build >/dev/null 2>&1 || bail "build of $1 failed"
	DIGEST=$("$ODOOCTL" -q push) || bail "push of $1 failed"
	"$DOCKER" rmi -f "$("$DOCKER" image inspect -f '{{.Id}}' \
		"$STACK_REPO@$DIGEST")" >/dev/null || bail "cannot remove $1's image"
}
