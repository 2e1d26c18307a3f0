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
# shellcheck disable=SC2034 # used by the scripts that source this one
HISTORY_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z \| sha256:[0-9a-f]{64} \| [a-z0-9_.-]+ \| [a-z_]+ \| [^|]+$'

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
