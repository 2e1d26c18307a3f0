#!/usr/bin/env bash
# odooctl killed with SIGKILL at each phase of a deploy: the unfinished deploy
# is seen by status and refused by the next deploy, `odooctl recover` brings
# the last good release back behind the proxy, and no history line is lost.
# SIGTERM mid-deploy rolls back cleanly instead of abandoning.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy.sh"

stack_up e2e
sed -i 's/^health_retries *=.*/health_retries = 20/;
	s/^drain_seconds *=.*/drain_seconds = 3/' "$ODOOCTL_CONFIG"
declare -A name_of
release A
A=$DIGEST
name_of[$A]=A
ok "deploy A" "$ODOOCTL" deploy "$A" e2e alice
release K "slow_start 3"
K=$DIGEST
name_of[$K]=K

# docker_name_of DIGEST: the newest container of that release.
docker_name_of() {
	"$DOCKER" ps -a --filter "label=odooctl.release=$1" \
		--filter "label=com.docker.compose.project=$STACK_PROJECT" \
		--format '{{.Names}}' | head -n 1
}

# deploy_and_kill SIGNAL PHASE: deploys K, sends SIGNAL once PHASE begins.
deploy_and_kill() {
	local sig=$1 phase=$2 log=$STACK_DIR/kill-$2.log pid end
	# Make the pull phase real: the image is not here yet.
	if [[ $phase == pull ]]; then
		"$DOCKER" rmi "$STACK_REPO@$K" "$STACK_REPO:sha-${RELEASE_COMMIT:0:7}" \
			>/dev/null 2>&1 || true
	fi
	"$ODOOCTL" deploy "$K" e2e alice >"$log" 2>&1 &
	pid=$!
	end=$((SECONDS + 120))
	until grep -q "^==> $phase" "$log" || ! kill -0 "$pid" 2>/dev/null ||
		((SECONDS > end)); do
		sleep 0.02
	done
	kill "-$sig" "$pid" 2>/dev/null || true
	wait "$pid" && KILLED_RC=0 || KILLED_RC=$?
}

for phase in pull start health smoke switch drain; do
	hist_before=$(history_lines)
	deploy_and_kill KILL "$phase"
	is "$KILLED_RC" 137 "killed at '$phase'"
	if [[ -e $STACK_DIR/state/journal ]]; then
		like "$("$ODOOCTL" status e2e)" "UNFINISHED: +deploy of $K" \
			"$phase: status reports the unfinished deploy"
		out=$("$ODOOCTL" -q deploy "$A" e2e 2>&1) && rc=0 || rc=$?
		is "$rc" 3 "$phase: a new deploy is refused until recover"
	else
		skip "$phase: status reports the unfinished deploy" "no journal yet"
		skip "$phase: a new deploy is refused" "no journal yet"
	fi
	ok "$phase: odooctl recover" "$ODOOCTL" recover e2e
	lg=$(cat "$STACK_DIR/state/last_good_sha")
	is "$(serving)" "${name_of[$lg]}" "$phase: the last good release serves"
	is "$(jq -r .current.healthy <<<"$("$ODOOCTL" status e2e --json)")" true \
		"$phase: status says healthy"
	ok "$phase: the journal is gone" test ! -e "$STACK_DIR/state/journal"
	is "$(history_lines | head -n "$(wc -l <<<"$hist_before")")" \
		"$hist_before" "$phase: no history line lost or changed"
	like "$(history_lines | tail -n 2 | head -n 1)" " \| $K \| e2e \| started \| alice$" \
		"$phase: history has the started line"
	like "$(history_lines | tail -n 1)" " \| (recovered|success) \| " \
		"$phase: history records the recovery"
	is "$("$DOCKER" ps -q --filter "label=odooctl.env=e2e" \
		--filter "label=com.docker.compose.project=$STACK_PROJECT" | wc -l)" 1 \
		"$phase: exactly one release container runs"
	if [[ $lg != "$A" ]]; then	# the deploy had committed: go back to A
		ok "$phase: back to A" "$ODOOCTL" rollback "$A" e2e
	fi
done

deploy_and_kill TERM health
is "$KILLED_RC" 1 "SIGTERM during health: exit 1"
like "$(tail -n 1 "$STACK_DIR/kill-health.log")" "interrupted by a signal.*rolled back" \
	"SIGTERM: the error says it was interrupted and rolled back"
is "$(last_status)" rolled_back "SIGTERM: history says rolled_back"
is "$(serving)" A "SIGTERM: A serves"
ok "SIGTERM: no journal left" test ! -e "$STACK_DIR/state/journal"

ok "recover with nothing to recover" "$ODOOCTL" recover e2e
ok "a deploy works after all that (operator with a space)" \
	"$ODOOCTL" deploy "$K" e2e "Bob Jones"
is "$(serving)" K "K serves"

# Killed after the commit was journaled but before its history line: the
# journal as the deploy leaves it, the success line not yet written.
a_name=$(docker_name_of "$A")
k_name=$(awk '{ print $2 }' "$STACK_DIR/state/current")
sed -i '$d' "$STACK_DIR/state/history.log"
hist_before=$(history_lines)
printf 'begin deploy %s %s %s %s %s Bob Jones\nphase candidate %s\nphase switch %s\nphase commit %s\n' \
	"$K" "$STACK_REPO@$K" "$A" "$a_name" "$(($(date +%s) - 5))" \
	"$k_name" "$k_name" "$k_name" >"$STACK_DIR/state/journal"
ok "recover a deploy that had committed" "$ODOOCTL" recover e2e
is "$(serving)" K "it is finished, not undone: K serves"
is "$(history_lines | head -n "$(wc -l <<<"$hist_before")")" "$hist_before" \
	"no history line lost"
like "$(history_lines | tail -n 2 | head -n 1)" " \| $K \| e2e \| success \| Bob Jones$" \
	"the success line is written in the deployer's name"
like "$(history_lines | tail -n 1)" " \| $K \| e2e \| recovered \| " \
	"then the recovery"
is "$(cat "$STACK_DIR/state/last_good_sha")" "$K" "last_good_sha is K"
done_testing
