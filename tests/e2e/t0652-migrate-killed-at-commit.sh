#!/usr/bin/env bash
# odooctl migrate killed after its commit began: the journal's last phase
# is `commit`, so `odooctl recover` finishes the migration (roll forward),
# it does not undo it. To stop it there, the test holds the lock of
# history.log's hash chain (history.log.chain, taken by every append: the
# commit's first write is the `migrated` line, which waits for it)
# from the deploy's `started` line on (nothing else is written to history
# between the two), waits for the `commit` phase, then SIGKILLs odooctl
# and lets the lock go.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/extpg.sh"
. "$(dirname "$0")/migrate.sh"

migrate_stack
migrate_install
hist=$STACK_DIR/state/history.log
journal=$STACK_DIR/state/migrate.journal

migrate_bg deploy "$STACK_DIR/migrate.out"
for _ in $(seq 600); do
	grep -q ' | e2e | started | ' "$hist" 2>/dev/null && break
	sleep 0.02
done
# the lock, held by the test's shell (fd hold) until it lets go
exec {hold}>>"$hist.chain"
flock "$hold"
for _ in $(seq 600); do
	grep -q '^phase commit\b' "$journal" 2>/dev/null && break
	sleep 0.05
done
ok "the migration reached its commit and waits for the history lock" \
	grep -q '^phase commit\b' "$journal" || diag "$(cat "$STACK_DIR/migrate.out")"
kill -KILL "$pid"
{ wait "$pid"; } 2>/dev/null || true
flock -u "$hold"
exec {hold}>&-
unlike "$(cat "$hist")" "\| migrated \|" "killed: nothing recorded yet"
ok "and no last_good yet" test ! -e "$STACK_DIR/state/last_good_sha"

out=$("$ODOOCTL" recover e2e 2>&1) && rc=0 || rc=$?
is "$rc" 0 "recover exits 0" || diag "$out"
like "$out" "recover: the migration of 'odoo19' to e2e had committed; finishing it" \
	"it finishes the migration, it does not undo it"
like "$(tail -n 1 "$hist")" "\| sha256:[0-9a-f]{64} \| e2e \| migrated \| " \
	"history records migrated"
digest=$(tail -n 1 "$hist" | awk -F' [|] ' '{ print $2 }')
is "$(cat "$STACK_DIR/state/last_good_sha")" "$digest" "it is the last good release"
like "$(cat "$STACK_DIR/state/current")" "^$digest " "and the current one"
ok "no migration journal left" test ! -e "$journal"
is "$(systemctl is-active odoo19 || true)" inactive "the service stays stopped"
is "$(systemctl is-enabled odoo19 || true)" disabled "and is disabled"
is "$(http_code "http://127.0.0.1:$PROXY_PORT/web/login")" 200 \
	"the stack serves through the proxy"
is "$(stack_psql central "SELECT count(*) FROM res_partner")" 2500 \
	"with the install's data"
out=$("$ODOOCTL" recover e2e 2>&1) && rc=0 || rc=$?
like "$out" "nothing to recover" "a second recover has nothing to do"
done_testing
