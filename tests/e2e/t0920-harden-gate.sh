#!/usr/bin/env bash
# The hardening gate: the e2e stack (shipped odoo.conf, entrypoint,
# compose file and switch nginx) passes every check; a release or stack
# breaking one check is refused at the gate (exit 3, the check named, A
# still serving); `deploy --allow CHECK` lets it through and history
# records allowed:CHECK. The admin password reaches Odoo only through a
# 0600 runtime config. Then history --verify on the history this made:
# OK, and an edited, deleted or reordered line is named.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy.sh"

FIX=$E2E_ROOT/tests/fixtures/harden
export HARDEN_FIXTURES=$FIX
stack_up e2e
conf=$ODOOCTL_CONFIG

# A release whose build context has FIXTURE applied (an odoo.conf, or lines
# appended to the Dockerfile); its digest in $DIGEST.
fixture_release() {
	build_release "$1"
	case $2 in
	*.odoo.conf) cp "$FIX/$2" "$RELEASE_CONTEXT/odoo.conf" ;;
	*.Dockerfile) cat "$FIX/$2" >>"$RELEASE_CONTEXT/Dockerfile" ;;
	esac
	rebuild_release "fixture $2"
}

# A config using the stack's compose file plus a fixture override.
override_conf() {
	sed "s|^\([[:space:]]*compose_files[[:space:]]*=.*\)$|\1,$FIX/$1|" \
		"$conf" >"$STACK_DIR/$1.conf"
	echo "$STACK_DIR/$1.conf"
}

# refused_then_allowed CHECK CONF DIGEST NAME: exit 3 naming CHECK only,
# the same release serving; then --allow CHECK deploys it, recorded.
refused_then_allowed() {
	local check=$1 cfg=$2 digest=$3 name=$4 out rc serving_before
	serving_before=$(serving)
	out=$("$ODOOCTL" -c "$cfg" deploy "$digest" e2e alice 2>&1) && rc=0 || rc=$?
	is "$rc" 3 "$check: refused at the gate (exit 3)" || diag "$out"
	like "$out" "gate '$check' failed: " "$check: the check names itself"
	refused_out=$out
	is "$(grep -o "gate '[a-z_]*' failed: " <<<"$out" | sort -u | wc -l)" 1 \
		"$check: no other check failed" || diag "$out"
	is "$(serving)" "$serving_before" "$check: the running release still serves"
	is "$(last_status)" refused "$check: history says refused"
	ok "$check: deploy --allow $check" \
		"$ODOOCTL" -c "$cfg" -q deploy --allow "$check" "$digest" e2e alice
	is "$(serving)" "$name" "$check: the allowed release serves"
	like "$(history_lines | tail -n 3 | head -n 2 | tr '\n' ' ')" \
		"\| $digest \| e2e \| started \| alice .*\| $digest \| e2e \| allowed:$check \| alice" \
		"$check: history records allowed:$check after started"
	is "$(last_status)" success "$check: then success"
}

release A
A=$DIGEST
out=$("$ODOOCTL" -c "$conf" deploy "$A" e2e alice 2>&1) && rc=0 || rc=$?
is "$rc" 0 "the shipped image and stack deploy" || diag "$out"
for c in list_db admin_passwd dbfilter proxy_mode workers websocket \
	image_secrets db_superuser db_owner; do
	like "$out" "gate $c +ok" "the stack passes $c"
done
unlike "$(history_lines)" "allowed:" "no allowed: line"
is "$(serving)" A "A serves"

# The master password: from .env through the environment into a 0600 file.
admin=$(sed -n 's/^ODOO_ADMIN_PASSWD=//p' "$STACK_DIR/.env")
cur=$(awk '{ print $2 }' "$STACK_DIR/state/current")
rt=$("$DOCKER" exec "$cur" sh -c 'ls /tmp/odoo.conf.*')
is "$("$DOCKER" exec "$cur" stat -c %a "$rt")" 600 "the runtime config is mode 0600"
is "$("$DOCKER" exec "$cur" grep -c "^admin_passwd = $admin\$" "$rt")" 1 \
	"it holds admin_passwd from the stack's .env"
cmdline=$("$DOCKER" exec "$cur" sh -c 'tr "\0" " " </proc/1/cmdline')
like "$cmdline" "^odoo -c $rt --database=central" "Odoo runs with it"
unlike "$cmdline" "$admin" "the password is not in Odoo's command line"
unlike "$("$DOCKER" exec "$cur" sh -c 'cat /proc/1/environ | tr "\0" "\n"')" \
	"ODOO_ADMIN_PASSWD" "the variable is gone from Odoo's environment"

fixture_release L list_db.odoo.conf
refused_then_allowed list_db "$conf" "$DIGEST" L
fixture_release P admin_passwd.odoo.conf
refused_then_allowed admin_passwd "$conf" "$DIGEST" P
fixture_release W workers.odoo.conf
refused_then_allowed workers "$conf" "$DIGEST" W
fixture_release S image_secrets.Dockerfile
refused_then_allowed image_secrets "$conf" "$DIGEST" S
like "$refused_out" "Env SMTP_PASSWORD, label com.example.api-token" \
	"image_secrets names the variable and the label"
unlike "$refused_out" "fixture-not-a-real-secret|fixture-token" \
	"image_secrets names the variables, never their values"

release D
refused_then_allowed dbfilter "$(override_conf dbfilter.override.yml)" \
	"$DIGEST" D
release M
refused_then_allowed proxy_mode "$(override_conf proxy_mode.override.yml)" \
	"$DIGEST" M

# The switch nginx recreated with /websocket sent to 8069.
ws_conf=$(override_conf websocket.override.yml)
ODOO_IMAGE=$STACK_REPO@$DIGEST ODOOCTL_PROXY_DIR=$STACK_DIR/state/proxy \
	"$COMPOSE" -p "$STACK_PROJECT" -f "$STACK_COMPOSE_FILE" \
	-f "$FIX/websocket.override.yml" --env-file "$STACK_DIR/.env" \
	up -d --no-deps switch >"$STACK_DIR/ws.log" 2>&1 || diag "$(cat "$STACK_DIR/ws.log")"
wait_healthy "$(stack_container switch)" 60
release K
refused_then_allowed websocket "$ws_conf" "$DIGEST" K
compose up -d --no-deps switch >"$STACK_DIR/ws.log" 2>&1 || diag "$(cat "$STACK_DIR/ws.log")"
wait_healthy "$(stack_container switch)" 60

# db_superuser: Odoo as the cluster's superuser fails it (db_owner, which
# a superuser needs not, stays quiet); a plain role passes.
release R
refused_then_allowed db_superuser "$(override_conf superuser.override.yml)" \
	"$DIGEST" R
like "$refused_out" "role 'postgres' that Odoo connects as is a PostgreSQL superuser" \
	"db_superuser names the role"
stack_psql postgres "CREATE ROLE odoo_app LOGIN NOSUPERUSER CREATEDB" >/dev/null
cat >"$STACK_DIR/role.override.yml" <<-'YAML'
	services:
	  odoo19:
	    environment:
	      PGUSER: odoo_app
YAML
sed "s|^\([[:space:]]*compose_files[[:space:]]*=.*\)$|\1,$STACK_DIR/role.override.yml|" \
	"$conf" >"$STACK_DIR/role.conf"
fixture_release L2 list_db.odoo.conf
out=$("$ODOOCTL" -c "$STACK_DIR/role.conf" deploy "$DIGEST" e2e 2>&1) && rc=0 || rc=$?
is "$rc" 3 "with PGUSER a plain role, list_db still refuses"
like "$out" "gate db_superuser +ok" "and db_superuser passes for role odoo_app"
like "$out" "gate 'db_owner' failed: [0-9]+ objects of database 'central' .* role 'odoo_app'" \
	"db_owner fails: central is odoo's, not odoo_app's"

out=$("$ODOOCTL" -q deploy --allow bogus "$A" e2e 2>&1) && rc=0 || rc=$?
is "$rc" 2 "--allow of an unknown check: exit 2"
like "$out" "unknown hardening check 'bogus'" "and it says so"

# history --verify over what this test wrote.
hist=$STACK_DIR/state/history.log
n=$(wc -l <"$hist")
out=$("$ODOOCTL" history e2e --verify) && rc=0 || rc=$?
is "$rc" 0 "history --verify: exit 0"
like "$out" "^OK: .*history.log: $n lines, chain head [0-9a-f]{64}$" \
	"history --verify: OK with the line count"
is "$(wc -l <"$hist.chain")" "$n" "one chain entry per history line"
cp "$hist" "$STACK_DIR/history.good"
verify_fails() {	# verify_fails LINE DESC
	local out rc
	out=$("$ODOOCTL" history e2e --verify 2>&1) && rc=0 || rc=$?
	is "$rc" 1 "$2: exit 1"
	like "$out" "^FAILED: .*: line $1 " "$2: line $1 named"
	is "$("$ODOOCTL" history e2e --verify --json | jq -r .bad_line)" "$1" \
		"$2: --json bad_line $1"
	cp "$STACK_DIR/history.good" "$hist"
}
sed -i '3s/| alice$/| mallory/' "$hist"
verify_fails 3 "an edited operator"
sed -i '5d' "$hist"
verify_fails 5 "a deleted line"
sed -i '2{h;d};3{G}' "$hist"
verify_fails 2 "two lines swapped"
sed -i '$d' "$hist"
verify_fails "$n" "the last line deleted"
ok "restored: history --verify passes again" "$ODOOCTL" -q history e2e --verify
ok "a deploy after verify keeps the chain" "$ODOOCTL" -c "$conf" -q deploy "$A" e2e alice
ok "history --verify after it" "$ODOOCTL" -q history e2e --verify

done_testing
