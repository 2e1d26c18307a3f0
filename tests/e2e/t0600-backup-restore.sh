#!/usr/bin/env bash
# backup -> restore into another database: a pg_dump of the two is
# identical and so are the filestore trees (modes, owners, contents). The
# zip is Odoo's format (Python's zipfile reads it, manifest.json has Odoo's
# fields); the metadata holds the sha256, sizes and row counts; verify
# passes and is recorded; --force over the live database backs it up
# first and swaps under a stopped Odoo that then serves again; a restore
# over an existing database without --force is refused; --neutralize
# turns mail and crons off and says so.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy.sh"
. "$(dirname "$0")/backup.sh"

backup_stack
seed_data

out=$("$ODOOCTL" backup e2e --json 2>"$STACK_DIR/backup.err") && rc=0 || rc=$?
is "$rc" 0 "backup exits 0" || diag "$(cat "$STACK_DIR/backup.err")"
zip=$(jq -r .path <<<"$out")
like "$zip" "^$STACK_DIR/state/backups/e2e-[0-9]{8}T[0-9]{6}Z\.zip$" \
	"the zip is state_dir/backups/<env>-<UTC time>.zip"
like "$(cat "$STACK_DIR/backup.err")" "dump.sql: .*filestore: 2 files" \
	"progress on the terminal: dump and filestore"
is "$(find "$STACK_DIR/state/backups" -name '*.partial' | wc -l)" 0 \
	"no .partial left"
is "$(sha256sum "$zip" | cut -d' ' -f1)" "$(jq -r .sha256 <<<"$out")" \
	"the metadata has the zip's sha256"
is "$(stat -c %s "$zip")" "$(jq -r .size <<<"$out")" "and its size"
is "$(jq -r .trigger <<<"$out")" manual "and the trigger"
is "$(jq -r .release <<<"$out")" "$(awk '{print $1}' "$STACK_DIR/state/current")" \
	"and the release that was running"
is "$(jq -r '.dump.rows["public.res_partner"]' <<<"$out")" 5000 \
	"and the row counts of the dump"
is "$(jq -r .filestore.files <<<"$out")" 2 "and the filestore's file count"
is "$(jq -S . "${zip%.zip}.json")" "$(jq -S 'del(.path)' <<<"$out")" \
	"<name>.json beside the zip holds the same"

py=$(python3 - "$zip" <<-'EOF'
	import json, sys, zipfile
	z = zipfile.ZipFile(sys.argv[1])
	assert z.testzip() is None
	m = json.loads(z.read("manifest.json"))
	print(" ".join(sorted(z.namelist())))
	print(" ".join(m.keys()))
	print(m["db_name"], m["version"], m["major_version"], m["pg_version"],
	      m["version_info"], sorted(m["modules"]))
	EOF
) || true
is "$(sed -n 1p <<<"$py")" \
	"dump.sql filestore/ab/ab12cd34 filestore/cd/cd56ef78 manifest.json" \
	"Python's zipfile reads it: dump.sql, manifest.json, filestore/"
is "$(sed -n 2p <<<"$py")" \
	"odoo_dump db_name version version_info major_version pg_version modules" \
	"manifest.json has Odoo's fields, in Odoo's order"
is "$(sed -n 3p <<<"$py")" "central 19.0 19.0 15.0 [19, 0, 0, 'final', 0, ''] ['base']" \
	"manifest.json: db, versions, installed modules"

ok "restore into another database" "$ODOOCTL" restore "$zip" e2e --db copy
is "$(db_dump copy | sha256sum)" "$(db_dump central | sha256sum)" \
	"pg_dump of the restored database is identical to the original's"
tree=$(fs_tree central)
like "$tree" "ab12cd34 600 101:101 5 " "the original filestore has its files"
is "$(fs_tree copy)" "$tree" \
	"the restored filestore tree is identical (modes, owners, contents)"
unlike "$(databases)" "odooctl_" "no staging database left"

out=$("$ODOOCTL" verify latest e2e --json 2>&1) && rc=0 || rc=$?
is "$rc" 0 "verify passes" || diag "$out"
is "$(jq -r .verified.ok "${zip%.zip}.json")" true "the verdict is recorded"
is "$(jq -r '.verified.checks | [.[]] | unique | join(",")' "${zip%.zip}.json")" \
	ok "every check passed (checksum, tables, modules, attachments, filestore)"
is "$("$ODOOCTL" backups e2e --json | jq -r '.[0].verified')" true \
	"backups --json shows it verified"
like "$("$ODOOCTL" backups e2e)" "e2e-[0-9T]+Z +[-0-9T:]+Z manual .* passed" \
	"backups lists it"

out=$("$ODOOCTL" restore "$zip" e2e --db copy 2>&1) && rc=0 || rc=$?
is "$rc" 3 "a restore over an existing database without --force: exit 3"
like "$out" "database 'copy' exists \(--force replaces it" "and says why"

pg_sql central "UPDATE res_partner SET name = 'changed' WHERE id < 100;
	DELETE FROM ir_attachment WHERE id = 1"
"$DOCKER" exec "$ODOO" sh -c 'rm /var/lib/odoo/filestore/central/ab/ab12cd34;
	echo later > /var/lib/odoo/filestore/central/ab/later'
changed=$(db_dump central | sha256sum)
out=$("$ODOOCTL" restore "$zip" e2e --force 2>&1) && rc=0 || rc=$?
is "$rc" 0 "restore --force over the live database" || diag "$out"
like "$out" "backup of e2e \(database 'central', pre-restore\)" \
	"it backed up the database it replaced first"
like "$out" "stopping .* for the swap" "it stopped Odoo for the swap"
is "$(db_dump central | sha256sum)" "$(db_dump copy | sha256sum)" \
	"the live database is the backup's again"
is "$(fs_tree central)" "$tree" "and so is its filestore"
pre=$("$ODOOCTL" backups e2e --json | jq -r '.[] | select(.trigger == "pre-restore") | .path')
ok "the pre-restore backup is listed" test -n "$pre"
ok "and restores what was replaced" "$ODOOCTL" -q restore "$pre" e2e --db replaced
is "$(db_dump replaced | sha256sum)" "$changed" "(the changed database)"
ok "Odoo serves again through the proxy" wait_http \
	"http://127.0.0.1:$PROXY_PORT/web/login" 200 60

out=$("$ODOOCTL" restore "$zip" e2e --db neutral --neutralize 2>&1) && rc=0 || rc=$?
is "$rc" 0 "restore --neutralize" || diag "$out"
like "$out" "neutralized: mail servers, fetchmail, crons" "says it checked"
is "$(pg_sql neutral "SELECT string_agg(active::text, ',' ORDER BY id) FROM ir_cron")" \
	"true,false,false" "crons off but the autovacuum"
is "$(pg_sql neutral "SELECT count(*) FROM ir_mail_server WHERE active AND smtp_host <> 'invalid'")" \
	0 "no mail server left on"
is "$(pg_sql neutral "SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'")" \
	true "database.is_neutralized"
is "$(pg_sql central "SELECT count(*) FROM ir_cron WHERE active")" 3 \
	"the live database is untouched"
done_testing
