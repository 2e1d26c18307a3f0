#!/usr/bin/env bash
# Chaos: a state file truncated or overwritten with garbage (current,
# last_good_sha, the journal of a deploy). The next deploy refuses (exit 3)
# and names the file and the way out; `odooctl recover` rebuilds the state
# from what the proxy serves and the history; the release that served
# never stopped; the deploy then goes through.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/deploy.sh"
. "$(dirname "$0")/chaos.sh"

stack_up e2e
release A
A=$DIGEST
ok "deploy A" "$ODOOCTL" -q deploy "$A" e2e alice
release B
B=$DIGEST
state=$STACK_DIR/state

corrupt() {	# corrupt FILE HOW
	case $2 in
	empty) : >"$state/$1" ;;
	truncated) head -c "$(($(stat -c %s "$state/$1") / 2))" "$state/$1" \
		>"$state/$1.tmp" && mv "$state/$1.tmp" "$state/$1" ;;
	garbage) head -c 300 /dev/urandom >"$state/$1" ;;
	esac
}

for file in current last_good_sha journal; do
	for how in empty truncated garbage; do
		if [[ $file == journal ]]; then
			# a journal as a deploy of B killed at its start leaves it
			printf 'begin deploy %s %s %s %s 1 %s alice\n' "$B" \
				"$STACK_REPO@$B" "$A" "$(awk '{print $2}' \
				"$state/current")" "$(date +%s)" >"$state/journal"
		fi
		chaos_begin "$file $how" "before a deploy"
		corrupt "$file" "$how"
		chaos_fault_now
		out=$("$ODOOCTL" -q deploy "$B" e2e alice 2>&1) && rc=0 || rc=$?
		is "$rc" 3 "$file $how: the deploy is refused (exit 3)"
		case $file in
		journal) why="an unfinished .* in '$state/journal'.*odooctl recover e2e" ;;
		*) why="corrupted '$state/$file'.*odooctl recover e2e" ;;
		esac
		like "$out" "$why" "$file $how: it names the file and the way out"
		is "$(serving)" A "$file $how: A still answers"
		out=$("$ODOOCTL" recover e2e 2>&1) && rc=0 || rc=$?
		is "$rc" 0 "$file $how: odooctl recover" || diag "$out"
		is "$(cat "$state/last_good_sha")" "$A" \
			"$file $how: last_good_sha names A"
		is "$(awk '{print $1}' "$state/current")" "$A" \
			"$file $how: current names A"
		is "$(last_status)" recovered "$file $how: history says recovered"
		chaos_end "deploy refused (exit 3); odooctl recover rebuilt the state" A
	done
done

ok "then B deploys" "$ODOOCTL" -q deploy "$B" e2e alice
is "$(serving)" B "B answers"

done_testing
