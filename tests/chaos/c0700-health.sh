#!/usr/bin/env bash
# Chaos: a new release whose health endpoint hangs past its timeout,
# answers slowly (within the timeout, and past it), or flaps between 200 and
# 503. Hanging, too slow and flapping never get the switch: rolled back,
# and the release that served never stopped; slow within the timeout is
# deployed.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/deploy.sh"
. "$(dirname "$0")/chaos.sh"

stack_up e2e
sed -i 's/^health_retries *=.*/health_retries = 6/;
	s/^health_timeout *=.*/health_timeout = 2/' "$ODOOCTL_CONFIG"
release A
A=$DIGEST
ok "deploy A" "$ODOOCTL" -q deploy "$A" e2e alice

for fault in health_hang "health_slow 4000" health_flap "health_slow 800"; do
	name=${fault// /-}
	release "$name" "$fault"
	chaos_begin "health endpoint: $fault" "deploy: health"
	chaos_fault_now
	out=$("$ODOOCTL" deploy "$DIGEST" e2e alice 2>&1) && rc=0 || rc=$?
	case $fault in
	"health_slow 800")
		is "$rc" 0 "$fault: within health_timeout: deployed" || diag "$out"
		chaos_end "deployed (slow, within health_timeout)" "$name" A
		;;
	*)
		is "$rc" 1 "$fault: rolled back (exit 1)" || diag "$out"
		case $fault in
		health_flap) why='not healthy after 6 probes.*not enough times in a row|then not' ;;
		*) why='not healthy after 6 probes.*(timed out|Timeout)' ;;
		esac
		like "$out" "$why" "$fault: the error says why"
		unlike "$out" "==> switch" "$fault: the proxy was never switched"
		chaos_end "rolled back before the switch" A
		;;
	esac
done

done_testing
