#!/usr/bin/env bash
# What must not pass: a backup with one flipped byte or truncated is
# refused by restore (exit 3, nothing created) and fails verify (exit 1,
# verdict recorded); without metadata the zip's own CRCs stop the restore
# mid-way and nothing is left. A full disk refuses the backup before it
# starts; a disk that fills up during the backup fails it and leaves no
# partial file, and what a killed one left is swept by the next. Retention
# keeps the newest N and the newest verified one.
# A second backup while one holds the lock, and a backup with PostgreSQL
# down, are refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy.sh"
. "$(dirname "$0")/backup.sh"

backup_stack
seed_data
full=$STACK_DIR/full
cleanup() {	# under set -e: nothing here may fail
	local rc=$?
	umount -l "$full" 2>/dev/null || true
	stack_down_all || true
	exit "$rc"
}
trap cleanup EXIT

zip=$("$ODOOCTL" -q backup e2e) || bail "the first backup failed"
bk=$STACK_DIR/bad
mkdir -p "$bk"
size=$(stat -c %s "$zip")
dbs=$(databases)

# One flipped byte inside dump.sql's deflated data (the zip's first entry).
cp "$zip" "$bk/flipped.zip"
cp "${zip%.zip}.json" "$bk/flipped.json"
off=1000
byte=$(od -An -tu1 -j "$off" -N1 "$zip" | tr -d ' ')
printf '%b' "\\0$(printf %03o $(((byte + 1) % 256)))" |
	dd of="$bk/flipped.zip" bs=1 seek="$off" conv=notrunc status=none
head -c $((size - 100)) "$zip" >"$bk/truncated.zip"
cp "${zip%.zip}.json" "$bk/truncated.json"

for kind in flipped truncated; do
	out=$("$ODOOCTL" restore "$bk/$kind.zip" e2e --db copy 2>&1) &&
		rc=0 || rc=$?
	is "$rc" 3 "$kind: restore is refused (exit 3)"
	case $kind in
	flipped) like "$out" "has sha256 [0-9a-f]{64}, its metadata says [0-9a-f]{64}: corrupted" \
		"$kind: the message says the checksum differs" ;;
	truncated) like "$out" "is $((size - 100)) bytes, its metadata says $size: truncated" \
		"$kind: the message says it is truncated" ;;
	esac
	is "$(databases)" "$dbs" "$kind: no database was created"
	out=$("$ODOOCTL" verify "$bk/$kind.zip" e2e 2>&1) && rc=0 || rc=$?
	is "$rc" 1 "$kind: verify fails (exit 1)"
	is "$(jq -r .verified.ok "$bk/$kind.json")" false \
		"$kind: the failed verdict is recorded"
	like "$(jq -r .verified.detail "$bk/$kind.json")" "^checksum: " \
		"$kind: on the checksum"
done

# Without metadata nothing says what the zip should be: its CRCs do.
rm "$bk/flipped.json" "$bk/truncated.json"
out=$("$ODOOCTL" restore "$bk/flipped.zip" e2e --db copy 2>&1) && rc=0 || rc=$?
is "$rc" 1 "flipped, no metadata: restore fails (exit 1)"
like "$out" "no recorded checksum, relying on the zip's own CRCs" \
	"it warns there is no checksum to check"
like "$out" "cannot read dump.sql: " "reading the zip stopped it"
is "$(databases)" "$dbs" "no database was left, staging neither"
is "$(fs_tree odooctl_restore_copy)" "" "no staging filestore was left"
out=$("$ODOOCTL" verify "$bk/flipped.zip" e2e 2>&1) && rc=0 || rc=$?
is "$rc" 1 "flipped, no metadata: verify fails"
out=$("$ODOOCTL" restore "$bk/truncated.zip" e2e --db copy 2>&1) && rc=0 ||
	rc=$?
is "$rc" 3 "truncated, no metadata: refused (no central directory)"
is "$(databases)" "$dbs" "nothing was created"

# A full disk: refused before a byte is written.
mkdir -p "$full"
mount -t tmpfs -o size=1m tmpfs "$full"
sed -i "s|^\[e2e\]|[e2e]\nbackup_dir = $full|" "$ODOOCTL_CONFIG"
out=$("$ODOOCTL" backup e2e 2>&1) && rc=0 || rc=$?
is "$rc" 3 "a full disk: backup refused (exit 3)"
like "$out" "not enough free space in '$full' .* needed \(database .* \+ filestore .*, \+10%\), .* free" \
	"the message gives the estimate and the free space"
is "$(find "$full" -name 'e2e-*' | wc -l)" 0 "no file left, partial or not"
umount "$full"

# A disk that fills up while the backup writes: it fails, nothing is left.
# shellcheck disable=SC2016 # expanded by the container's shell
"$DOCKER" exec "$ODOO" sh -c 'cd /var/lib/odoo/filestore/central &&
	mkdir -p ff && for i in $(seq 1 48); do
	head -c 1048576 /dev/urandom > ff/big$i; done'
mount -t tmpfs -o size=80m tmpfs "$full"
(
	for _ in $(seq 1 3000); do
		compgen -G "$full/*.partial" >/dev/null && break
		sleep 0.01
	done
	dd if=/dev/zero of="$full/filler" bs=1M status=none 2>/dev/null
) &
filler=$!
out=$("$ODOOCTL" backup e2e 2>&1) && rc=0 || rc=$?
wait "$filler" || true
is "$rc" 1 "a disk filled during the backup: it fails (exit 1)"
like "$out" "No space left on device" "and says why"
is "$(find "$full" -name 'e2e-*' | wc -l)" 0 "no partial file, no zip, no metadata left"
umount "$full"
sed -i "/^backup_dir = /d" "$ODOOCTL_CONFIG"
"$DOCKER" exec "$ODOO" rm -rf /var/lib/odoo/filestore/central/ff

# Retention: keep 2, no age, and the newest verified.
sed -i "s|^\[e2e\]|[e2e]\nbackup_keep = 2\nbackup_max_age_days = 0|" \
	"$ODOOCTL_CONFIG"
ok "verify the first backup" "$ODOOCTL" -q verify "$zip" e2e
# What a backup killed with SIGKILL leaves: a .partial, maybe its metadata.
touch "$STACK_DIR/state/backups/e2e-20200101T000000Z.zip.partial"
echo '{}' >"$STACK_DIR/state/backups/e2e-20200101T000000Z.json"
for i in 2 3 4; do
	sleep 1
	ok "backup $i" "$ODOOCTL" -q backup e2e
done
is "$(find "$STACK_DIR/state/backups" -name 'e2e-2020*' | wc -l)" 0 \
	"what a killed backup left was removed by the next one"
list=$("$ODOOCTL" backups e2e --json)
is "$(jq length <<<"$list")" 3 "retention left three backups"
is "$(jq -r '.[2].path' <<<"$list")" "$zip" "the oldest kept is the verified one"
is "$(find "$STACK_DIR/state/backups" -name '*.json' | wc -l)" 3 \
	"the metadata of the deleted one went with it"

# The lock, and PostgreSQL down.
flock "$STACK_DIR/state/backups/.lock" sleep 5 &
sleep 0.5
out=$("$ODOOCTL" backup e2e 2>&1) && rc=0 || rc=$?
is "$rc" 3 "a backup while another holds the lock: refused (exit 3)"
like "$out" "held by another odooctl" "and says so"
wait
compose stop postgres >/dev/null 2>&1
out=$("$ODOOCTL" backup e2e 2>&1) && rc=0 || rc=$?
is "$rc" 3 "PostgreSQL stopped: backup refused (exit 3)"
like "$out" "the 'postgres' service of e2e .* is not running" "and says so"
done_testing
