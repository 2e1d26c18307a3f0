#!/usr/bin/env bash
# Releases that change the database. A release whose addon checksums equal
# the running one's is code-only: no backup, no maintenance page. One that
# changes an addon takes the database-changing path: a verified backup
# while the old release serves, then the maintenance page (503 with
# Retry-After), writers frozen (docker pause), the rollback point (a clone of the
# database and hard links of its filestore; or, with rollback_point =
# backup, a verified backup taken there), then `odoo -u <only the changed
# addons>` in a one-off container, then the new release; the point is
# dropped. An upgrade that fails halfway, after writing to the schema and
# the filestore (by its exit status, or only by its output), is undone by
# swapping the point back (or restoring the backup): the database and the
# filestore are exactly what they were before the deploy, the old release
# serves, history says rolled_back. With no room for the pre-deploy backup,
# such a release is refused at the gate.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy.sh"
. "$(dirname "$0")/backup.sh"

full=''
cleanup() {	# under set -e: nothing here may fail
	local rc=$?
	[[ -z $full ]] || umount -l "$full" 2>/dev/null || true
	[[ -z ${poller:-} ]] || kill "$poller" 2>/dev/null || true
	stack_down_all || true
	exit "$rc"
}

backups_count() {
	"$ODOOCTL" backups e2e --json | jq 'length'
}

stack_up e2e
trap cleanup EXIT
OCR1="CREATE TABLE ocr_v1 (id int);"
VEN1="CREATE TABLE vendor_v1 (id int);"
db_release A "" "$OCR1" "$VEN1"
A=$DIGEST
ok "deploy A (the first release)" "$ODOOCTL" -q deploy "$A" e2e alice
ODOO=$(current_id)
PG=$(stack_container postgres)
seed_data

# ---- code-only: the addons are the same --------------------------------------
db_release A2 "" "$OCR1" "$VEN1"
A2=$DIGEST
n=$(history_lines | wc -l)
nb=$(backups_count)
out=$("$ODOOCTL" deploy "$A2" e2e alice 2>&1) && rc=0 || rc=$?
is "$rc" 0 "code-only release A2 deploys"
like "$out" "path: code-only" "it says it took the code-only path"
unlike "$out" "maintenance" "no maintenance page"
is "$(statuses_since "$n")" "started success" "history: started, success"
is "$(backups_count)" "$nb" "no backup taken"
is "$("$ODOOCTL" status e2e --json | jq -r .last_deploy.path)" code-only \
	"status --json: last_deploy.path code-only"
is "$(pg_sql central "SELECT to_regclass('standin_upgrades') IS NULL")" t \
	"no module upgrade ran"

# ---- database-changing: only vendor_ops changed ------------------------------
VEN2="CREATE TABLE vendor_v2 (id int, note text); INSERT INTO vendor_v2 VALUES (1, 'B');"
db_release B "" "$OCR1" "$VEN2"
B=$DIGEST
n=$(history_lines | wc -l)
a2=$(awk '{ print $2 }' "$STACK_DIR/state/current")
: >"$STACK_DIR/codes"
(
	while :; do
		curl -s -o /dev/null --max-time 5 \
			-w '%{http_code} %header{retry-after}\n' \
			"http://127.0.0.1:$PROXY_PORT/web/login" >>"$STACK_DIR/codes" ||
			true
		sleep 0.2
	done
) &
poller=$!
out=$("$ODOOCTL" deploy "$B" e2e alice 2>&1) && rc=0 || rc=$?
sleep 1
kill "$poller" 2>/dev/null || true
wait "$poller" 2>/dev/null || true
poller=''
is "$rc" 0 "database-changing release B deploys" || diag "$out"
like "$out" "changed addons: vendor_ops" "it names the changed addon"
like "$out" "path: database-changing" "it says it took the database-changing path"
like "$out" "upgrade: odoo -u vendor_ops" "the upgrade gets only vendor_ops"
like "$out" "freezing $a2 \(kept for the rollback" \
	"A2's container was frozen under the page, not stopped"
is "$("$DOCKER" inspect -f '{{.State.Status}} {{.HostConfig.RestartPolicy.Name}}' "$a2")" \
	"exited unless-stopped" \
	"once B is committed, it is stopped and kept, its restart policy back"
is "$(serving)" B "B serves through the proxy"
is "$(pg_sql central "SELECT string_agg(module, ',') FROM standin_upgrades" || true)" \
	vendor_ops "the upgrade ran for vendor_ops only"
is "$(pg_sql central "SELECT note FROM vendor_v2" || true)" B "its schema change is there"
ODOO=$(current_id)
is "$(fs_tree central | grep -c '\.upgraded ' || true)" 1 \
	"one upgrade mark in the filestore"
like "$(fs_tree central)" "standin/vendor_ops\.upgraded" "vendor_ops's"
is "$(statuses_since "$n")" "started maintenance upgraded success" \
	"history: started, maintenance, upgraded, success"
like "$out" "rollback point 'odooctl_point_central': database copied in [0-9.]+ s, filestore linked in [0-9.]+ s" \
	"the rollback point is a clone, with its times"
is "$(grep -oE '^==> (backup of|maintenance|rollback point)' <<<"$out" |
	sed 's/^==> //' | tr '\n' '|')" "backup of|maintenance|rollback point|" \
	"the backup is taken while B's predecessor serves, the point under the page"
like "$out" "rollback point dropped: the release is committed and healthy" \
	"the point is dropped once B is committed and healthy"
is "$(pg_sql postgres "SELECT count(*) FROM pg_database WHERE datname LIKE 'odooctl_%'")" 0 \
	"no database of odooctl is left"
is "$("$DOCKER" exec "$ODOO" ls /var/lib/odoo/filestore)" central \
	"nor a filestore folder"
like "$(grep -c '^503 60' "$STACK_DIR/codes" || true)" '^[1-9][0-9]*$' \
	"clients got 503 with Retry-After: 60 during the maintenance"
is "$(grep -Evc '^(200|503 60) ?$' "$STACK_DIR/codes" || true)" 0 \
	"and nothing but 200 or 503 (no 502, no timeout)"
is "$(tail -n 1 "$STACK_DIR/codes")" "200 " "200 again after it"
bk=$("$ODOOCTL" backups e2e --json | jq -r '[.[] | select(.trigger == "pre-deploy")] | last')
is "$(jq -r .verified <<<"$bk")" true "a verified pre-deploy backup was taken" ||
	diag "$bk"
st=$("$ODOOCTL" status e2e --json)
is "$(jq -r .last_deploy.path <<<"$st")" database-changing \
	"status --json: last_deploy.path database-changing"
is "$(jq -c .last_deploy.upgraded <<<"$st")" '["vendor_ops"]' \
	"status --json: upgraded [vendor_ops]"
like "$("$ODOOCTL" status e2e)" "path: +database-changing \(upgraded vendor_ops\)" \
	"status says it too"
like "$(cat "$STACK_DIR"/state/logs/upgrade-*.log)" "Modules loaded\." \
	"the upgrade's output is kept in state_dir/logs"
is "$("$DOCKER" ps -aq --filter "name=$STACK_PROJECT-upgrade" | wc -l)" 0 \
	"the upgrade container is gone"

# ---- an upgrade that fails halfway: the database goes back -------------------
for fault in upgrade_fail upgrade_error_exit0; do
	# the first goes back to a clone, the second to a backup
	point=clone
	[[ $fault == upgrade_fail ]] || point=backup
	sed -i "/^rollback_point = /d; s|^\[e2e\]|[e2e]\nrollback_point = $point|" \
		"$ODOOCTL_CONFIG"
	OCR3="ALTER TABLE res_partner ADD COLUMN c_col int;
UPDATE res_partner SET name = 'broken';
CREATE TABLE ocr_v3 (id int);"
	db_release "C-$fault" "$fault" "$OCR3" "$VEN2"
	C=$DIGEST
	ODOO=$(current_id)
	dump_before=$(db_dump central | sha256sum)
	fs_before=$(fs_tree central)
	good_id=$(current_id)
	started=$("$DOCKER" inspect -f '{{.State.StartedAt}}' "$good_id")
	n=$(history_lines | wc -l)
	out=$("$ODOOCTL" deploy "$C" e2e alice 2>&1) && rc=0 || rc=$?
	is "$rc" 1 "$fault: the deploy exits 1"
	case $fault in
	upgrade_fail) why='the upgrade exited with status 1: ERROR' ;;
	*) why='the upgrade exited 0 but its output says it failed: ERROR' ;;
	esac
	like "$out" "$why" "$fault: the error says why" || diag "$out"
	if [[ $point == clone ]]; then
		like "$out" "database and filestore swapped back to the rollback point" \
			"$fault: and that the database was swapped back (rollback_point = clone)"
		like "$out" "swapped back: filestore renamed, database renamed" \
			"$fault: by renames"
	else
		like "$out" "database and filestore restored from the pre-deploy backup" \
			"$fault: and that the database was restored (rollback_point = backup)"
		is "$(grep -cE '^==> (backup of|verify /)' <<<"$out")" 2 \
			"$fault: one backup, taken under the maintenance page"
	fi
	is "$(db_dump central | sha256sum)" "$dump_before" \
		"$fault: the database is exactly what it was (pg_dump)"
	ODOO=$(current_id)
	is "$(fs_tree central)" "$fs_before" "$fault: so is the filestore"
	is "$(current_id)" "$good_id" "$fault: B's container serves again"
	is "$("$DOCKER" inspect -f '{{.State.StartedAt}} {{.State.Paused}} {{.HostConfig.RestartPolicy.Name}}' "$good_id")" \
		"$started false unless-stopped" \
		"$fault: thawed, not started again (the same process), its restart policy back"
	like "$out" "thawing $(awk '{ print $2 }' "$STACK_DIR/state/current")" \
		"$fault: the output says so"
	is "$(serving)" B "$fault: B answers through the proxy"
	is "$(statuses_since "$n")" \
		"started maintenance upgrade_failed restored rolled_back" \
		"$fault: history: ... upgrade_failed, restored, rolled_back"
	is "$(cat "$STACK_DIR/state/last_good_sha")" "$B" \
		"$fault: last_good_sha unchanged"
	is "$("$DOCKER" ps -aq --filter "label=odooctl.release=$C" | wc -l)" 0 \
		"$fault: no container of the failed release is left"
	is "$("$DOCKER" ps -aq --filter "name=$STACK_PROJECT-upgrade" | wc -l)" 0 \
		"$fault: nor the upgrade container"
	ok "$fault: no journal left" test ! -e "$STACK_DIR/state/journal"
	is "$(pg_sql postgres "SELECT count(*) FROM pg_database WHERE datname LIKE 'odooctl_%'")" 0 \
		"$fault: no database of odooctl is left"
	is "$("$DOCKER" exec "$ODOO" ls /var/lib/odoo/filestore)" central \
		"$fault: nor a filestore folder"
done
sed -i "/^rollback_point = /d" "$ODOOCTL_CONFIG"

# ---- no room for the pre-deploy backup: refused at the gate ------------------
full=$STACK_DIR/full
mkdir -p "$full"
mount -t tmpfs -o size=1m tmpfs "$full"
sed -i "s|^\[e2e\]|[e2e]\nbackup_dir = $full|" "$ODOOCTL_CONFIG"
VEN4="CREATE TABLE vendor_v4 (id int);"
db_release D "" "$OCR1" "$VEN4"
D=$DIGEST
good_id=$(current_id)
dump_before=$(db_dump central | sha256sum)
out=$("$ODOOCTL" deploy "$D" e2e alice 2>&1) && rc=0 || rc=$?
is "$rc" 3 "a full backup disk: the deploy is refused (exit 3)"
like "$out" "gate 'backup' failed: not enough free space in '$full'" \
	"the error names the gate and the filesystem"
is "$(last_status)" refused "history says refused"
is "$(current_id)" "$good_id" "the same container serves"
is "$(serving)" B "B answers through the proxy"
is "$(db_dump central | sha256sum)" "$dump_before" "the database is untouched"
is "$(ls -A "$full")" "" "nothing written to the full disk"
ok "no journal left" test ! -e "$STACK_DIR/state/journal"
umount "$full"
full=''
sed -i "/^backup_dir = /d" "$ODOOCTL_CONFIG"

done_testing
