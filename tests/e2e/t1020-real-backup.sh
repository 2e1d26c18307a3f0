#!/usr/bin/env bash
# Backups against the real Odoo 19, both ways with Odoo's own database
# manager: a database with attachments in the filestore (made by Odoo,
# and asset bundles Odoo writes when pages are served) is backed up and
# verified by odooctl; odooctl's zip loads with `odoo db load` into a new
# database whose modules, attachments and filestore equal the source's;
# Odoo's own `odoo db dump` zip restores with `odooctl restore`, with the
# rows of every table, the modules and the filestore it holds; a drill
# passes; the release keeps serving throughout.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy.sh"
. "$(dirname "$0")/real.sh"
real_or_skip

# odoo ARGS in a one-off container of release $1 with $XFER (mode 0777,
# Odoo runs as uid 101) at /xfer: Odoo's command-line database manager.
odoo_xfer() {
	local digest=$1
	shift
	ODOO_IMAGE=$STACK_REPO@$digest compose run --rm --no-deps -T \
		-v "$XFER:/xfer" odoo19 odoo "$@"
}

# The installed modules of DB: "name version" a line.
modules_of() {
	stack_psql "$1" "SELECT name || ' ' || coalesce(latest_version, '')
		FROM ir_module_module WHERE state = 'installed' ORDER BY name"
}

# The stored attachments of DB: "store_fname checksum" a line.
attachments_of() {
	stack_psql "$1" "SELECT store_fname || ' ' || coalesce(checksum, '')
		FROM ir_attachment WHERE store_fname IS NOT NULL
		ORDER BY store_fname, id"
}

# Each table's rows in a dump.sql on stdin: "table|n" a line, as db_rows.
dump_rows() {
	awk '/^COPY [^ ]+ .* FROM stdin;$/ { t = $2; n = 0; next }
		t != "" && $0 == "\\." { print t "|" n; t = ""; next }
		t != "" { n++ }' | LC_ALL=C sort
}

# The files of a zip's filestore/: "./path size md5" a line, as
# odoo_fs_tree prints them. (Odoo's autovacuum may remove files from the
# live filestore at any time: unreferenced ones and the checklist/ entries
# it keeps of new files; so a copy is compared with the zip it came from.)
zip_fs_tree() {
	python3 - "$1" <<-'EOF'
		import hashlib, sys, zipfile
		z = zipfile.ZipFile(sys.argv[1])
		for n in sorted(z.namelist()):
		    if n.startswith("filestore/") and not n.endswith("/"):
		        b = z.read(n)
		        print("./%s %d %s  -" % (n[len("filestore/"):], len(b),
		                                 hashlib.md5(b).hexdigest()))
	EOF
}

# The "store_fname checksum" lines of $1 whose file is not among the
# "./path size md5" lines of $2 (Odoo names a file by its sha1: checksum).
missing_files() {
	local fname sum
	while read -r fname sum; do
		[[ -n $fname ]] || continue
		grep -q "^\./$fname " <<<"$2" && [[ ${fname##*/} == "$sum" ]] ||
			echo "$fname $sum"
	done <<<"$1"
}

real_stack_up e2e
XFER=$STACK_DIR/xfer
mkdir -p "$XFER"
chmod 0777 "$XFER"
real_release R1
R1=$DIGEST
ok "a new database: odoo -i ocr_billing_webhook by R1's image" \
	real_install "$R1" || bail "no database to back up"
out=$("$ODOOCTL" deploy "$R1" e2e alice 2>&1) && rc=0 || rc=$?
is "$rc" 0 "the first deploy of R1" || bail "$out"

# ---- attachments, written by Odoo ---------------------------------------------
t=$SECONDS
out=$(real_odoo "$R1" shell -d central --no-http 2>&1 <<-'EOF'
	import base64, os
	A = env['ir.attachment']
	png = base64.b64decode(
	    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8'
	    'z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==')
	text = b'odooctl e2e attachment\n' * 100
	partner = env.ref('base.main_partner')
	made = [
	    A.create({'name': 'e2e-text.txt', 'raw': text}),
	    A.create({'name': 'e2e-same.txt', 'raw': text}),
	    A.create({'name': 'e2e-random.bin', 'raw': os.urandom(1 << 20)}),
	    A.create({'name': 'e2e-pixel.png', 'raw': png,
	              'res_model': 'res.partner', 'res_id': partner.id}),
	]
	A.create({'name': 'e2e-gone.bin', 'raw': os.urandom(4096)}).unlink()
	env.cr.commit()
	print('E2E-ATTACHMENTS', len(made), len(set(a.store_fname for a in made)))
EOF
) && rc=0 || rc=$?
like "$out" 'E2E-ATTACHMENTS 4 3' \
	"odoo shell made 4 attachments (3 files: two share their content)" ||
	diag "rc $rc: $(tail -n 20 <<<"$out")"
diag "attachments: $((SECONDS - t)) s"
# Odoo writes its asset bundles as attachments when a page asks for them.
page=$(curl -s --max-time 30 "http://127.0.0.1:$PROXY_PORT/web/login")
n=0
for a in $(grep -oE '/web/assets/[^"]+\.(css|js)' <<<"$page" | sort -u |
	head -n 10); do
	[[ $(http_code "http://127.0.0.1:$PROXY_PORT$a" --max-time 60) == 200 ]] &&
		n=$((n + 1))
done
ok "the login page's asset bundles were served ($n)" test "$n" -ge 1
SRC_ATT=$(attachments_of central)
SRC_FS=$(odoo_fs_tree)
like "$(stack_psql central "SELECT count(*) FROM ir_attachment
	WHERE store_fname IS NOT NULL AND url LIKE '/web/assets/%'")" '^[1-9]' \
	"Odoo stored asset bundles as attachments in the filestore"
ok "the filestore has the attachments' files ($(wc -l <<<"$SRC_FS"))" \
	test "$(wc -l <<<"$SRC_FS")" -ge 5

# ---- 1. odooctl backup, verify -------------------------------------------------
t=$SECONDS
out=$("$ODOOCTL" backup e2e --json 2>"$STACK_DIR/backup.err") && rc=0 || rc=$?
is "$rc" 0 "odooctl backup of the real database" ||
	diag "$(cat "$STACK_DIR/backup.err")"
ZIP=$(jq -r .path <<<"$out")
ZIP_FS=$(zip_fs_tree "$ZIP")
is "$(jq -r .filestore.files <<<"$out")" "$(wc -l <<<"$ZIP_FS")" \
	"the metadata counts the zip's filestore files"
is "$(missing_files "$SRC_ATT" "$ZIP_FS")" "" \
	"the zip holds the file of every attachment (named by its checksum)"
out=$("$ODOOCTL" verify latest e2e 2>&1) && rc=0 || rc=$?
is "$rc" 0 "odooctl verify passes on it" || diag "$out"
like "$out" "check attachments +ok" "every attachment's file is in the zip"
diag "backup and verify: $((SECONDS - t)) s"

# ---- 2. odooctl's zip loads with `odoo db load` -------------------------------
t=$SECONDS
install -m 0644 "$ZIP" "$XFER/odooctl.zip"
out=$(odoo_xfer "$R1" db load e2e_loaded /xfer/odooctl.zip 2>&1) &&
	rc=0 || rc=$?
is "$rc" 0 "odoo db load of odooctl's zip" || diag "$(tail -n 20 <<<"$out")"
unlike "$out" 'ERROR|Traceback' "Odoo logged no error loading it" ||
	diag "$(grep -E -A5 'ERROR|Traceback' <<<"$out" | head -n 30)"
diag "odoo db load: $((SECONDS - t)) s"
is "$(modules_of e2e_loaded)" "$(modules_of central)" \
	"loaded by Odoo: the installed modules (name, version) are the source's"
is "$(attachments_of e2e_loaded)" "$SRC_ATT" \
	"loaded by Odoo: the attachments (store_fname, checksum) are the source's"
is "$(odoo_fs_tree e2e_loaded)" "$ZIP_FS" \
	"loaded by Odoo: filestore/e2e_loaded holds the zip's files"

# ---- 3. Odoo's own zip restores with odooctl ----------------------------------
t=$SECONDS
out=$(odoo_xfer "$R1" db dump central /xfer/odoo.zip 2>&1) && rc=0 || rc=$?
is "$rc" 0 "odoo db dump of the real database" ||
	diag "$(tail -n 20 <<<"$out")"
diag "odoo db dump: $((SECONDS - t)) s"
DUMPED_ROWS=$(unzip -p "$XFER/odoo.zip" dump.sql | dump_rows)
DUMPED_MODS=$(unzip -p "$XFER/odoo.zip" manifest.json | jq -r \
	'.modules | to_entries[] | "\(.key) \(.value)"' | LC_ALL=C sort)
DUMPED_FS=$(zip_fs_tree "$XFER/odoo.zip")
ok "Odoo's zip holds the filestore ($(wc -l <<<"$DUMPED_FS") files)" \
	test "$(wc -l <<<"$DUMPED_FS")" -ge 5
t=$SECONDS
out=$("$ODOOCTL" restore "$XFER/odoo.zip" e2e --db from_odoo 2>&1) &&
	rc=0 || rc=$?
is "$rc" 0 "odooctl restore of Odoo's own zip" || diag "$out"
diag "odooctl restore: $((SECONDS - t)) s"
is "$(db_rows from_odoo | LC_ALL=C sort)" "$DUMPED_ROWS" \
	"restored by odooctl: every table's own rows are the dump's"
is "$(modules_of from_odoo | LC_ALL=C sort)" "$DUMPED_MODS" \
	"restored by odooctl: the installed modules are the manifest's"
is "$(odoo_fs_tree from_odoo)" "$DUMPED_FS" \
	"restored by odooctl: filestore/from_odoo holds the zip's files"
DUMPED_ATT=$(attachments_of from_odoo)
is "$(stack_psql postgres "SELECT pg_get_userbyid(datdba) FROM pg_database
	WHERE datname = 'from_odoo'")" odoo "it is owned by Odoo's role"
out=$(real_odoo "$R1" shell -d from_odoo --no-http 2>&1 <<-'EOF'
	A = env['ir.attachment']
	env.cr.execute("SELECT id FROM ir_attachment WHERE store_fname IS NOT NULL")
	ids = [r[0] for r in env.cr.fetchall()]
	bad = [a.id for a in A.browse(ids) if len(a.raw or b'') != a.file_size]
	new = A.create({'name': 'e2e-after-restore.txt', 'raw': b'written\n'})
	env.cr.commit()
	print('E2E-READ', len(ids), 'BAD', bad, 'NEW', bool(new.store_fname))
EOF
) && rc=0 || rc=$?
like "$out" "E2E-READ [1-9][0-9]* BAD \[\] NEW True" \
	"Odoo reads every attachment of the restored database and adds one" ||
	diag "rc $rc: $(tail -n 20 <<<"$out")"
# Over the live database: Odoo is stopped for the swap, started again, and
# serves once restore says it is done (the stand-in serves at once; a real
# Odoo loads its registry first).
t=$SECONDS
out=$("$ODOOCTL" restore "$XFER/odoo.zip" e2e --force 2>&1) && rc=0 || rc=$?
code=$(http_code "http://127.0.0.1:$PROXY_PORT/web/login")
is "$rc" 0 "odooctl restore --force of Odoo's zip over the live database" ||
	diag "$out"
like "$out" "stopping .* for the swap" "it stopped Odoo for the swap"
is "$code" 200 "Odoo serves /web/login as soon as restore is done" ||
	diag "$out"
diag "odooctl restore --force: $((SECONDS - t)) s"
is "$(modules_of central | LC_ALL=C sort)" "$DUMPED_MODS" \
	"the live database has the zip's modules"
is "$(attachments_of central)" "$DUMPED_ATT" "and the attachments it held"
is "$(missing_files "$(attachments_of central)" "$(odoo_fs_tree)")" "" \
	"and filestore/central the file of every attachment"

# ---- 4. a drill ---------------------------------------------------------------
t=$SECONDS
out=$("$ODOOCTL" drill e2e 2>&1) && rc=0 || rc=$?
is "$rc" 0 "odooctl drill passes on the real Odoo" || diag "$out"
like "$out" "PASS +drill of e2e" "it says PASS"
diag "drill: $((SECONDS - t)) s"

is "$(serving)" R1 "R1 still serves"
done_testing
