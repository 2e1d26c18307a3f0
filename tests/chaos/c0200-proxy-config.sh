#!/usr/bin/env bash
# Chaos: the switch nginx's upstream.conf broken by hand before a deploy
# (garbage, a directive nginx rejects, deleted). The deploy refuses at the
# gate (nginx -t) and never reloads a broken nginx, so the release that
# serves keeps answering; `odooctl recover` writes upstream.conf again from
# the state and reloads; the next deploy goes through.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/deploy.sh"
. "$(dirname "$0")/chaos.sh"

stack_up e2e
release A
A=$DIGEST
ok "deploy A" "$ODOOCTL" -q deploy "$A" e2e alice
release B
B=$DIGEST
up=$STACK_DIR/state/proxy/upstream.conf

for how in garbage directive deleted; do
	chaos_begin "upstream.conf $how" "before a deploy"
	# shellcheck disable=SC2016 # nginx variables, written as they are
	case $how in
	garbage) printf 'set $odoo_upstream "x:8069"\n}}} what\n' >"$up" ;;
	directive) printf 'include /nonexistent/odooctl.conf;\n' >"$up" ;;
	deleted) rm -f "$up" ;;
	esac
	chaos_fault_now
	out=$("$ODOOCTL" -q deploy "$B" e2e alice 2>&1) && rc=0 || rc=$?
	is "$rc" 3 "$how: the deploy is refused (exit 3)"
	like "$out" "gate 'proxy' failed: .*odooctl recover e2e" \
		"$how: at the proxy gate, with the way out"
	is "$(serving)" A "$how: A still answers (nginx was not reloaded)"
	out=$("$ODOOCTL" recover e2e 2>&1) && rc=0 || rc=$?
	is "$rc" 0 "$how: odooctl recover" || diag "$out"
	like "$(cat "$up")" "set \\\$odoo_upstream \"$STACK_PROJECT-odoo19-" \
		"$how: upstream.conf is odooctl's again"
	chaos_end "deploy refused (exit 3); odooctl recover rewrote upstream.conf" A
done

ok "then B deploys" "$ODOOCTL" -q deploy "$B" e2e alice
is "$(serving)" B "B answers"

done_testing
