# shellcheck shell=bash
# Helpers for the deploy tests, on top of lib.sh:
#   release NAME [FAULT [changed]]  build_release, then `odooctl build` and
#                                   `odooctl push`; the digest in $DIGEST
#   serving                         the release name the proxy serves now
#   current_id                      the Docker ID of the container named in
#                                   state_dir/current (empty if none)
#   state_sum                       a checksum of every state file
#   history_lines                   history.log, or nothing
#   last_status                     the status of the last history line
#   db_release NAME FAULT OCR_SQL VENDOR_SQL
#                                   a release with a second addon and each
#                                   addon's standin_upgrade.sql; $DIGEST
#   rebuild_release MESSAGE         commit the build context's changes, build
#                                   and push; $DIGEST
#   statuses_since N                statuses after history line N, backup
#                                   events and upgrade:ADDON:WHY aside, on
#                                   one line
# shellcheck disable=SC2034 # used by the scripts that source this one
# (a status is a word, or WORD:DETAIL: allowed:CHECK, upgrade:ADDON:WHY)
HISTORY_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z \| sha256:[0-9a-f]{64} \| [a-z0-9_.-]+ \| [a-z_]+(:[^ |]+)? \| [^|]+$'

release() {
	build_release "$@"
	"$ODOOCTL" -q build >"$STACK_DIR/build.log" 2>&1 || {
		cat "$STACK_DIR/build.log" >&2
		return 1
	}
	# shellcheck disable=SC2034 # the result, for the caller
	DIGEST=$("$ODOOCTL" -q push)
}

serving() {
	curl -s --max-time 10 \
		"http://127.0.0.1:$PROXY_PORT/$RELEASE_ADDON/static/odooctl_e2e_release.txt" ||
		true
}

current_id() {
	local c
	[[ -f $STACK_DIR/state/current ]] || return 0
	c=$(awk '{ print $2 }' "$STACK_DIR/state/current")
	"$DOCKER" inspect -f '{{.Id}}' "$c" 2>/dev/null || true
}

state_sum() {
	(cd "$STACK_DIR/state" && cat history.log last_good_sha current \
		proxy/upstream.conf 2>/dev/null; ls -a) | sha256sum
}

history_lines() {
	cat "$STACK_DIR/state/history.log" 2>/dev/null || true
}

last_status() {
	history_lines | tail -n 1 | awk -F ' [|] ' '{ print $4 }'
}

# db_release NAME FAULT OCR_SQL VENDOR_SQL: the service's addons plus a
# second addon, vendor_ops; each addon's standin_upgrade.sql (the stand-in
# runs it when the addon is upgraded) is given here, so it decides which
# addon checksums change. The digest in $DIGEST.
db_release() {
	local addons
	build_release "$1" "$2"
	addons=$RELEASE_CONTEXT/addons
	mkdir -p "$addons/vendor_ops"
	cat >"$addons/vendor_ops/__manifest__.py" <<-'EOF'
		{
		    'name': 'Vendor operations',
		    'version': '19.0.1.0.0',
		    'license': 'LGPL-3',
		    'depends': ['base'],
		    'installable': True,
		}
	EOF
	: >"$addons/vendor_ops/__init__.py"
	printf '%s\n' "$3" >"$addons/ocr_billing_webhook/standin_upgrade.sql"
	printf '%s\n' "$4" >"$addons/vendor_ops/standin_upgrade.sql"
	rebuild_release "release $1 addons"
}

# rebuild_release MESSAGE: commits what was changed in the build context
# since build_release, then build and push; the digest in $DIGEST.
rebuild_release() {
	git -C "$RELEASE_CONTEXT/.." add -A
	git -C "$RELEASE_CONTEXT/.." -c user.name=e2e -c user.email=e2e@localhost \
		commit -q -m "$1"
	"$ODOOCTL" -q build >"$STACK_DIR/build.log" 2>&1 || {
		cat "$STACK_DIR/build.log" >&2
		return 1
	}
	DIGEST=$("$ODOOCTL" -q push)
}

# The statuses of the history lines after line $1, backup events and the
# addons an upgrade names (upgrade:ADDON:WHY) aside.
statuses_since() {
	history_lines | tail -n +"$(($1 + 1))" | awk -F ' [|] ' '{ print $4 }' |
		grep -Ev '^((backup|verify|restore|drill)([_-].*)?|upgrade:.*)$' |
		paste -sd ' ' || true
}
