#!/usr/bin/env bash
# Chaos: the registry fails under a deploy. The deploy pulls through a
# relay (tests/chaos/tools/relay.py) in front of the real registry, so the
# test can make it answer 500 or garbage, or slow it down and stop it in the
# middle of a pull. A registry that answers 500 or garbage refuses the
# deploy at the gate; one that goes away mid-pull fails it before anything
# changed; the release that serves never stops; once the registry is back
# the same deploy goes through.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/deploy.sh"
. "$(dirname "$0")/chaos.sh"

relay_stack
release A
A=$DIGEST
ok "deploy A" "$ODOOCTL" -q deploy "$A" e2e alice
# B has a 24 MiB layer, so a slowed pull takes a while
big_release B
B=$DIGEST

for fault in 500 garbage; do
	chaos_begin "registry answers $fault" "deploy: gate"
	echo "$fault" >"$RELAY_CONTROL"
	chaos_fault_now
	out=$("$ODOOCTL" -q deploy "$B" e2e alice 2>&1) && rc=0 || rc=$?
	is "$rc" 3 "registry $fault: the deploy is refused (exit 3)"
	like "$out" "gate 'registry' failed" "registry $fault: at the registry gate" ||
		diag "$out"
	echo fast >"$RELAY_CONTROL"
	chaos_end "deploy refused at the gate (exit 3)" A
done

chaos_begin "registry stopped" "deploy: pull"
echo "slow 2000000" >"$RELAY_CONTROL"
log=$STACK_DIR/pull.log
: >"$log"
"$ODOOCTL" deploy "$B" e2e alice >"$log" 2>&1 &
pid=$!
end=$((SECONDS + 120))
until grep -q '^==> pull' "$log" || ! kill -0 "$pid" 2>/dev/null ||
	((SECONDS > end)); do
	sleep 0.05
done
sleep 2	# well into the layer
chaos_fault_now
relay_stop
wait "$pid" && rc=0 || rc=$?
is "$rc" 1 "registry stopped mid-pull: the deploy fails (exit 1)" ||
	diag "$(cat "$log"; "$DOCKER" images --digests | grep "$STACK_PROJECT")"
like "$(cat "$log")" "pull" "the error is the pull's" || diag "$(cat "$log")"
chaos_end "deploy failed before anything changed (exit 1)" A
echo fast >"$RELAY_CONTROL"
relay_start
ok "the registry back: B deploys" "$ODOOCTL" -q deploy "$B" e2e alice
is "$(serving)" B "B answers"

done_testing
