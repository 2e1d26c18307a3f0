#!/usr/bin/env bash
# build -> push -> deploy by digest -> status healthy -> history in the seed's
# format; a second release replaces it with no downtime; manual rollback and
# the redeploy of the rolled-back digest.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy.sh"

stack_up e2e

release A
A=$DIGEST
like "$A" '^sha256:[0-9a-f]{64}$' "push prints the digest of release A"
labels=$("$DOCKER" image inspect -f '{{json .Config.Labels}}' "$STACK_REPO@$A")
like "$labels" "\"odooctl.addon.$RELEASE_ADDON\":\"sha256:[0-9a-f]{64}\"" \
	"the image carries a checksum label per addon"
like "$labels" "\"org.opencontainers.image.revision\":\"$RELEASE_COMMIT\"" \
	"the image carries the git commit"

ok "deploy A by digest" "$ODOOCTL" deploy "$A" e2e alice
is "$(serving)" A "the proxy serves A"
status=$("$ODOOCTL" status e2e --json)
is "$(jq -r .current.digest <<<"$status")" "$A" "status shows A"
is "$(jq -r .current.healthy <<<"$status")" true "status shows it healthy"
is "$(jq -r .current.running <<<"$status")" true "status shows it running"
is "$("$ODOOCTL" status e2e | grep -c healthy)" 1 "human status says healthy"
hist=$(history_lines)
is "$(wc -l <<<"$hist")" 2 "history has two lines"
like "$(sed -n 1p <<<"$hist")" "$HISTORY_RE" "history line 1 has the seed's format"
like "$(sed -n 1p <<<"$hist")" " \| $A \| e2e \| started \| alice$" \
	"history line 1: started"
like "$(sed -n 2p <<<"$hist")" "$HISTORY_RE" "history line 2 has the seed's format"
like "$(sed -n 2p <<<"$hist")" " \| $A \| e2e \| success \| alice$" \
	"history line 2: success"
is "$(cat "$STACK_DIR/state/last_good_sha")" "$A" "last_good_sha is A"
a_id=$(current_id)

release B
B=$DIGEST
out=$("$E2E_ROOT/infra/scripts/deploy_odoo19.sh" 2>&1) && rc=0 || rc=$?
is "$rc" 2 "the deploy wrapper without arguments: exit 2"
ok "deploy B with the seed's wrapper" \
	"$E2E_ROOT/infra/scripts/deploy_odoo19.sh" "$B" e2e bob
is "$(serving)" B "the proxy serves B"
is "$("$DOCKER" inspect -f '{{.State.Status}}' "$a_id")" exited \
	"A's container is stopped and kept"
is "$(last_status)" success "history: success for B"
like "$("$ODOOCTL" history e2e --json | jq -r '.[-1].operator')" '^bob$' \
	"history --json has the operator"
is "$("$ODOOCTL" history e2e --limit 1 | wc -l)" 1 "history --limit 1"
is "$("$ODOOCTL" history e2e --status success | wc -l)" 2 \
	"history --status success"

like "$("$E2E_ROOT/infra/scripts/status_odoo19.sh" e2e)" "current: +$B" \
	"the status wrapper shows B"
ok "manual rollback (to the previous good release), by the wrapper" \
	"$E2E_ROOT/infra/scripts/rollback_odoo19.sh" e2e
is "$(serving)" A "the proxy serves A again"
is "$(current_id)" "$a_id" "the kept container of A was started again"
is "$(last_status)" rollback "history: rollback"
is "$(cat "$STACK_DIR/state/last_good_sha")" "$A" "last_good_sha is A"

ok "redeploy the rolled-back digest B" "$ODOOCTL" deploy "$B" e2e carol
is "$(serving)" B "the proxy serves B again"
is "$(last_status)" success "history: success"
ok "rollback to an explicit digest" "$ODOOCTL" rollback "$A" e2e
is "$(serving)" A "the proxy serves A"
n=$(history_lines | wc -l)
is "$(history_lines | grep -cE "$HISTORY_RE")" "$n" \
	"every history line has the seed's format"
done_testing
