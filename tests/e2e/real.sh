# shellcheck shell=bash
# Helpers for the real-Odoo tier (tests/e2e/t1NNN-real-*.sh), on top of
# lib.sh and deploy.sh: the same stack, with the real Odoo 19 image that
# tests/fixtures/odoo19/build-image.sh builds from shared/odoo19 (run.sh
# builds it at start) as the release images' base.
#   real_or_skip            skips the whole test (one "ok # SKIP" line,
#                           exit 0) when this checkout has no real Odoo
#                           image (no shared/odoo19 beside it)
#   real_stack_up [ENV]     stack_up, with odoo_base = the real image and
#                           room for Odoo's workers
#   real_release NAME [CHANGE]
#                           build_release NAME (the service's addons), then
#                           CHANGE (a function run in the addons folder:
#                           what makes this release differ), build and push;
#                           the digest in $DIGEST
#   real_install DIGEST     a new database `central` with
#                           ocr_billing_webhook installed by that release's
#                           image (odoo -i, once, as a new environment is),
#                           the webhook token set to $WEBHOOK_TOKEN
#   real_quiet_r1           real_stack_up (unless the test did), R1 (the service's addons as they
#                           are) installed and deployed, $R1 its digest;
#                           Odoo's scheduled jobs off, so that a test that
#                           compares rows sees only what odooctl did
#   real_odoo DIGEST ARGS...  a one-off container of the release (no ports,
#                           the stack's network and volumes): odoo ARGS
#   ocr_event DOC           POST one OCR event through the proxy; prints
#                           the status code
#   db_rows [DB]            every table of DB (default `central`) with its
#                           own rows (count FROM ONLY), one "table n" a line
#   odoo_fs_tree [DB]       the filestore of DB (default `central`): path,
#                           size, md5
#   real_migration          a CHANGE for real_release: ocr_billing_webhook
#                           goes to version 19.0.1.1.0, whose pre-migrate
#                           script adds the column legacy_ref, commits, then
#                           does $MIGRATION_THEN: "sleep N" (an upgrade that
#                           takes a while) or "raise" (one that fails)
#   has_legacy_ref          1 when that column exists, else 0
#   load_until FILE SECONDS  (background) GET /web/login through the proxy
#                           every 0.1 s until FILE exists or SECONDS pass
#                           (at most 3000 requests), one status code a
#                           line on stdout
# shellcheck disable=SC2034 # used by the scripts that source this one

REAL_ODOO=$("$E2E_ROOT/tests/fixtures/odoo19/build-image.sh" --tags |
	sed -n 's/^REAL_ODOO=//p')
WEBHOOK_TOKEN=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')

real_or_skip() {
	if [[ -z $REAL_ODOO ]] ||
		! "$DOCKER" image inspect "$REAL_ODOO" >/dev/null 2>&1; then
		echo "ok 1 - real Odoo 19 # SKIP no real Odoo image" \
			"(shared/odoo19 is not beside this checkout)"
		echo "1..1"
		exit 0
	fi
}

real_stack_up() {
	stack_up "${1:-e2e}"
	sed -i "s|^odoo_base .*|odoo_base        = $REAL_ODOO|" \
		"$STACK_DIR/odooctl.conf"
	# Real Odoo: 2 HTTP workers, a cron worker and the gevent one.
	sed -i 's/^ODOO_MEM_LIMIT=.*/ODOO_MEM_LIMIT=2g/;
		s/^ODOO_CPUS=.*/ODOO_CPUS=2/' "$STACK_DIR/.env"
}

real_release() {
	local name=$1 change=${2:-}
	build_release "$name"
	if [[ -n $change ]]; then
		(cd "$RELEASE_CONTEXT/addons" && "$change")
		rebuild_release "release $name: $change"
	else
		"$ODOOCTL" -q build >"$STACK_DIR/build.log" 2>&1 || {
			cat "$STACK_DIR/build.log" >&2
			return 1
		}
		DIGEST=$("$ODOOCTL" -q push)
	fi
}

real_odoo() {
	local digest=$1
	shift
	ODOO_IMAGE=$STACK_REPO@$digest compose run --rm --no-deps -T \
		odoo19 odoo "$@"
}

real_install() {
	local log=$STACK_DIR/install.log
	stack_start || return 1
	real_odoo "$1" -d central -i ocr_billing_webhook --without-demo=all \
		--stop-after-init --no-http >"$log" 2>&1 || {
		tail -n 30 "$log" >&2
		return 1
	}
	grep -q 'Modules loaded\.' "$log" || {
		tail -n 30 "$log" >&2
		return 1
	}
	stack_psql central "INSERT INTO ir_config_parameter (key, value,
		create_date, write_date) VALUES ('ocr_billing_webhook.token',
		'$WEBHOOK_TOKEN', now(), now())" >/dev/null
}

real_quiet_r1() {
	[[ -n ${STACK_DIR:-} ]] || real_stack_up e2e
	real_release R1
	R1=$DIGEST
	real_install "$R1" || bail "no database to deploy onto"
	stack_psql central "UPDATE ir_cron SET active = false" >/dev/null
	ok "the first deploy of R1" "$ODOOCTL" -q deploy "$R1" e2e alice
}

ocr_event() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 30 \
		-H 'Content-Type: application/json' \
		-H "X-Webhook-Token: ${2-$WEBHOOK_TOKEN}" \
		--data "{\"event\": \"document.processed\", \"document_id\": \"$1\"}" \
		"http://127.0.0.1:$PROXY_PORT/ocr_billing/webhook" || true
}

db_rows() {
	stack_psql "${1:-central}" "SELECT quote_ident(schemaname) || '.' ||
		quote_ident(tablename), (xpath('/row/n/text()', query_to_xml(
		format('SELECT count(*) AS n FROM ONLY %I.%I', schemaname,
		tablename), false, true, '')))[1]::text FROM pg_tables WHERE
		schemaname NOT IN ('pg_catalog', 'information_schema')
		ORDER BY 1"
}

odoo_fs_tree() {
	# A throw-away container of the real image on the volume: it works
	# whether or not an Odoo container runs.
	# shellcheck disable=SC2016 # $1 is the container's sh's
	"$DOCKER" run --rm --entrypoint sh \
		-v "${STACK_PROJECT}_odoo-data:/data:ro" "$REAL_ODOO" -c '
		cd "/data/filestore/$1" 2>/dev/null || exit 0
		find . -type f | sort | while read -r f; do
			echo "$f $(stat -c %s "$f") $(md5sum < "$f")"
		done' sh "${1:-central}"
}

real_migration() {
	local then='raise RuntimeError("legacy_ref: the migration failed")'
	[[ ${MIGRATION_THEN:-raise} == raise ]] ||
		then="time.sleep(${MIGRATION_THEN#sleep })"
	sed -i "s/'version': '19.0.1.0.0'/'version': '19.0.1.1.0'/" \
		ocr_billing_webhook/__manifest__.py
	mkdir -p ocr_billing_webhook/migrations/19.0.1.1.0
	cat >ocr_billing_webhook/migrations/19.0.1.1.0/pre-migrate.py <<-EOF
		import time


		def migrate(cr, version):
		    cr.execute("ALTER TABLE ocr_billing_event "
		               "ADD COLUMN legacy_ref varchar")
		    cr.execute("UPDATE ocr_billing_event SET legacy_ref = 'x'")
		    cr.commit()
		    $then
	EOF
}

has_legacy_ref() {
	stack_psql central "SELECT count(*) FROM information_schema.columns
		WHERE table_name = 'ocr_billing_event' AND
		column_name = 'legacy_ref'" 2>/dev/null || true
}

load_until() {
	local stop=$1 end=$((SECONDS + $2)) i
	for ((i = 0; i < 3000 && SECONDS < end; i++)); do
		[[ -e $stop ]] && break
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 \
			"http://127.0.0.1:$PROXY_PORT/web/login" || echo 000
		sleep 0.1
	done
}
