#!/usr/bin/env bash
# Each way a real release fails (never healthy, crash at start, slow start
# past the health budget, a smoke test answering 500) ends in an automatic
# rollback: exit 1, the previous release still answering through the proxy
# from the same container, history `rolled_back`, last_good unchanged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy.sh"

stack_up e2e
# A small health budget, so "slow start" and "never healthy" end quickly.
sed -i 's/^health_retries *=.*/health_retries = 8/' "$ODOOCTL_CONFIG"

release good
GOOD=$DIGEST
ok "deploy the good release" "$ODOOCTL" deploy "$GOOD" e2e alice
good_id=$(current_id)

for fault in never_healthy crash "slow_start 60" smoke_500; do
	release "bad-${fault% *}" "$fault"
	BAD=$DIGEST
	before=$(history_lines | wc -l)
	start=$SECONDS
	out=$("$ODOOCTL" deploy "$BAD" e2e alice 2>&1) && rc=0 || rc=$?
	is "$rc" 1 "$fault: deploy exits 1"
	case $fault in
	never_healthy) why='not healthy after 8 probes.*answered 503' ;;
	crash) why='exited \(exit code 1\)' ;;
	slow*) why='not healthy after 8 probes' ;;
	smoke_500) why='smoke test POST /ocr_billing/webhook answered 500' ;;
	esac
	like "$out" "$why" "$fault: the error names the failing check"
	like "$out" "rolled back" "$fault: the error says it rolled back"
	is "$(serving)" good "$fault: the proxy serves the good release"
	is "$(current_id)" "$good_id" "$fault: the same container serves"
	is "$(last_status)" rolled_back "$fault: history says rolled_back"
	is "$(history_lines | wc -l)" $((before + 2)) \
		"$fault: history gained started and rolled_back"
	is "$(cat "$STACK_DIR/state/last_good_sha")" "$GOOD" \
		"$fault: last_good_sha unchanged"
	is "$("$DOCKER" ps -aq --filter "label=odooctl.release=$BAD" | wc -l)" 0 \
		"$fault: the failed release's container is removed"
	ok "$fault: no journal left" test ! -e "$STACK_DIR/state/journal"
	diag "$fault: failed and rolled back in $((SECONDS - start)) s"
done
done_testing
