#!/usr/bin/env bash
# odooctl migrate from a systemd install of the real Odoo 19: its source
# tree (shared/odoo19) run by Debian's /usr/bin/python3 as a plain process
# of the user nobody, started and stopped by a fake `systemctl` (the unit
# odoo19, every call logged), with its odoo.conf, data_dir and filestore, a
# database of its own on a host PostgreSQL 15 (extpg.sh: a non-superuser
# owner). ocr_billing_webhook is installed (odoo -i), rows are added
# through `odoo shell` (OCR events, attachments with files in the
# filestore), the source serves a page and its assets, then `odooctl
# migrate --yes` moves it into the stack (the real Odoo image). The stack's
# database has the rows of every table of the source (count FROM ONLY),
# the same installed modules and versions and the same filestore (paths,
# sizes, md5); the proxy serves /web/login and the OCR webhook; the source
# was stopped and disabled through systemctl.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy.sh"
. "$(dirname "$0")/real.sh"
. "$(dirname "$0")/extpg.sh"
. "$(dirname "$0")/migrate.sh"
real_or_skip

ODOO_TARBALL=$E2E_ROOT/../shared/odoo19/odoo-19.0-min.tar.xz
[[ -f $ODOO_TARBALL ]] || ODOO_TARBALL=/work/shared/odoo19/odoo-19.0-min.tar.xz
PY=/usr/bin/python3	# Debian's, with Odoo's packages (tools/install-deps.sh)

real_stack_up e2e
trap migrate_cleanup EXIT
extpg_start || bail "cannot start the source's PostgreSQL"
build_release base >/dev/null	# build_context: the Dockerfile and its files

# ---- the systemd install of the real Odoo ------------------------------------
# In STACK_DIR (0700, root's, opened to traversal): nobody reads the tree
# and writes data_dir.
inst=$STACK_DIR/opt/odoo19
# The addons: a checkout of the service's repository, as the server has it.
addons=$inst/src/odoo19-central-addons/addons
mkdir -p "$inst/tree" "$addons" "$inst/data"
tar -xJf "$ODOO_TARBALL" -C "$inst/tree" || bail "cannot unpack $ODOO_TARBALL"
cp -pR "$SERVICE_DIR/addons/." "$addons/"
chmod 0711 "$STACK_DIR" "$STACK_DIR/opt"
chmod -R a+rX "$inst"
chown -R nobody:nogroup "$inst/data"
sd=$STACK_DIR/systemd
mkdir -p "$sd" "$STACK_DIR/bin"
pw="legacy:$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"
extpg_owner legacy_owner "$pw" legacy || bail "cannot create the source role"
src_port=$(free_port)
# odoo ARGS...: the source's Odoo as nobody, in the foreground.
src_odoo() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env -i HOME=/nonexistent PATH=/usr/bin:/bin LANG=C.UTF-8 \
		PGPASSFILE="$inst/pgpass" "$PY" "$inst/tree/odoo-bin" "$@"
}

# The install, and its odoo.conf as Odoo itself writes it (--save: every
# option, "None" for the unset ones); Odoo's own addon folders, then ours.
conf=$inst/odoo.conf
install -o nobody -g nogroup -m 0600 /dev/null "$conf"
install -o nobody -g nogroup -m 0600 /dev/null "$inst/pgpass"
printf '*:*:*:legacy_owner:%s\n' "${pw//:/\\:}" >"$inst/pgpass"
t=$SECONDS
if ! src_odoo -c "$conf" --save --db_host=127.0.0.1 \
	--db_port="$EXTPG_PORT" --db_user=legacy_owner -d legacy \
	--db-filter='^legacy$' --data-dir="$inst/data" \
	--addons-path="$inst/tree/odoo/addons,$inst/tree/addons,$addons" \
	--http-interface=127.0.0.1 --http-port="$src_port" \
	--gevent-port="$(free_port)" --no-database-list --max-cron-threads=1 \
	--without-demo=all -i ocr_billing_webhook --stop-after-init \
	>"$STACK_DIR/src-install.log" 2>&1 ||
	! grep -q 'Modules loaded\.' "$STACK_DIR/src-install.log"; then
	bail "odoo -i on the source: $(tail -n 30 "$STACK_DIR/src-install.log")"
fi
# The password, as an admin adds it: by shell builtins (never in argv).
text=''
while IFS= read -r line; do
	[[ $line == 'db_password ='* ]] && line="db_password = $pw"
	text+=$line$'\n'
done <"$conf"
printf '%s' "$text" >"$conf"
rm -f "$inst/pgpass"
grep -q '^db_password = .' "$conf" || bail "no db_password in $conf"
diag "source install: $((SECONDS - t)) s"

# Rows through the ORM, committed: OCR events, attachments whose data is
# in the filestore, the webhook's token (on stdin, never in argv).
src_odoo shell -c "$conf" -d legacy --no-http \
	>"$STACK_DIR/src-shell.log" 2>&1 <<EOF || bail "odoo shell: $(tail -n 30 "$STACK_DIR/src-shell.log")"
Event = env['ocr.billing.event']
for i in range(1, 41):
    Event.create({'event': 'document.processed', 'document_id': 'SRC-%d' % i,
                  'payload': '{"n": %d}' % i,
                  'state': 'processed' if i % 3 else 'received'})
for i in range(1, 8):
    env['ir.attachment'].create({
        'name': 'scan-%d.txt' % i, 'res_model': 'ocr.billing.event',
        'raw': ('page %d of an OCR scan\n' % i).encode() * (i * 700)})
env['ir.config_parameter'].set_param('ocr_billing_webhook.token',
                                     '$WEBHOOK_TOKEN')
env.cr.commit()
print('seeded', Event.search_count([]))
EOF
grep -q '^seeded 40$' "$STACK_DIR/src-shell.log" ||
	bail "odoo shell did not seed: $(tail -n 30 "$STACK_DIR/src-shell.log")"

# systemctl for one unit, odoo19: the real Odoo as the service's process.
fake_systemctl "$sd" "$src_port" "setsid setpriv --reuid=nobody \
--regid=nogroup --clear-groups env -i HOME=/nonexistent PATH=/usr/bin:/bin \
LANG=C.UTF-8 $PY '$inst/tree/odoo-bin' -c '$conf'"
export PATH=$STACK_DIR/bin:$PATH
systemctl enable odoo19
systemctl start odoo19 || bail "the systemd install does not start: $(tail -n 30 "$sd/odoo.log")"
is "$(http_code "http://127.0.0.1:$src_port/web/login")" 200 \
	"the source serves /web/login"
# A user came: the page's CSS and JS bundles, which Odoo keeps as
# attachments in the filestore.
for a in $(curl -s --max-time 30 "http://127.0.0.1:$src_port/web/login" |
	grep -o '/web/assets/[^"]*' | sort -u | head -n 4); do
	curl -s -o /dev/null --max-time 60 "http://127.0.0.1:$src_port$a" || true
done

# ---- what the source holds ---------------------------------------------------
ROWS_SQL="SELECT quote_ident(schemaname) || '.' || quote_ident(tablename),
	(xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM
	ONLY %I.%I', schemaname, tablename), false, true, '')))[1]::text FROM
	pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
	ORDER BY 1"
MODULES_SQL="SELECT name || ' ' || coalesce(latest_version, '-') FROM
	ir_module_module WHERE state = 'installed' ORDER BY name"
src_rows() { extpg_sql legacy "$ROWS_SQL" | tr '|' ' '; }
src_modules() { extpg_sql legacy "$MODULES_SQL"; }
src_fs_tree() {
	(cd "$inst/data/filestore/legacy" && find . -type f | sort |
		while read -r f; do
			echo "$f $(stat -c %s "$f") $(md5sum <"$f")"
		done)
}

# ---- the migration -----------------------------------------------------------
t=$SECONDS
out=$("$ODOOCTL" migrate --from-conf "$conf" --yes e2e 2>&1) &&
	rc=0 || rc=$?
diag "migrate: $((SECONDS - t)) s"
is "$rc" 0 "odooctl migrate --yes moves the real Odoo 19 into the stack" || {
	diag "$out"
	diag "the source's log: $(tail -n 20 "$sd/odoo.log")"
	bail "no migrated stack to check"
}
like "$out" "identical: rows of [0-9]+ tables, [0-9]+ modules, [0-9]+ files" \
	"odooctl's own comparison passed" || true
unlike "$out" "$pw" "the source's password is not in the output" || true

# The stack as the migration left it, before anything else uses it.
stack_rows=$(db_rows central | tr '|' ' ')
stack_modules=$(stack_psql central "$MODULES_SQL")
stack_fs=$(odoo_fs_tree central)
rows=$(src_rows)
diag "source: $(wc -l <<<"$rows") tables, $(src_modules | wc -l) modules," \
	"$(src_fs_tree | wc -l) files"
is "$(diff <(echo "$rows") <(echo "$stack_rows") | grep '^[<>]' | head -n 20)" "" \
	"every table has the source's rows (count FROM ONLY)" || true
is "$(grep -c '^public\.ocr_billing_event 40$' <<<"$stack_rows")" 1 \
	"the 40 OCR events are there" || true
is "$(diff <(src_modules) <(echo "$stack_modules") | grep '^[<>]')" "" \
	"the installed modules and their versions are the source's" || true
like "$stack_modules" "ocr_billing_webhook 19\.0\.1\.0\.0" \
	"ocr_billing_webhook among them" || true
is "$(diff <(src_fs_tree) <(echo "$stack_fs") | grep '^[<>]' | head -n 20)" "" \
	"the filestore: same paths, sizes and md5" || true
ok "the filestore has the attachments' files" \
	test "$(wc -l <<<"$stack_fs")" -ge 7 || true

# ---- the stack serves the database -------------------------------------------
is "$(http_code "http://127.0.0.1:$PROXY_PORT/web/login")" 200 \
	"the proxy serves /web/login" || true
is "$(ocr_event MIG-1)" 200 \
	"the OCR webhook accepts an event with the source's token" || true
is "$(ocr_event MIG-2 wrong-token)" 401 "and refuses a bad one" || true
is "$(stack_psql central "SELECT count(*) FROM ocr_billing_event")" 41 \
	"the event is in the migrated database, beside the source's 40" || true
like "$(tail -n 1 "$STACK_DIR/state/history.log")" \
	"\| sha256:[0-9a-f]{64} \| e2e \| migrated \| " "history records migrated" ||
	true

# ---- the source was stopped through systemctl --------------------------------
like "$(tr '\n' ',' <"$sd/calls")" "stop odoo19,.*disable odoo19," \
	"systemctl stopped, then disabled odoo19" || diag "$(cat "$sd/calls")"
is "$(systemctl is-active odoo19 || true)" inactive "the source is stopped" ||
	true
is "$(systemctl is-enabled odoo19 || true)" disabled "and disabled" || true
is "$(http_code "http://127.0.0.1:$src_port/web/login")" 000 \
	"nothing answers on the source's port" || true
ok "the unit's Odoo is still there" test -x "$inst/tree/odoo-bin"
diag "total: $SECONDS s"
done_testing
