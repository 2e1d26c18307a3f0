# shellcheck shell=bash
# Helpers for the secrets tests, on top of lib.sh:
#   ssm_start DIR PARAMS_JSON [TOKEN]
#                        tests/e2e/ssm_endpoint.py on loopback (Debian's
#                        python3-botocore recomputes every SigV4 signature)
#                        with access key $SSM_KEY_ID / $SSM_SECRET, session
#                        token TOKEN (none when empty), region $SSM_REGION,
#                        the parameters {name: value}, 2 per page, an IMDSv2
#                        role "odoo"; its URL in $SSM_URL, its request log
#                        $DIR/log; stopped on exit
#   no_leak FILE DESC    passes when no line of $LEAK_PATTERNS (one secret
#                        value a line, grep -F) occurs in FILE
#   cmdline_sampler OUT  in the background until killed: every 20 ms,
#                        each process's /proc/PID/cmdline matching
#                        $LEAK_PATTERNS is appended to OUT (a '.' per pass
#                        to OUT.passes); its PID in
#                        $SAMPLER_PID (the patterns come from a file, never
#                        from argv)
SSM_KEY_ID=AKIDE2ETEST0000001
SSM_SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '\n')
SSM_REGION=eu-west-3
SSM_PIDS=()

ssm_stop() {
	local p
	for p in "${SSM_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
}

ssm_start() {
	local dir=$1 params=$2 token=${3:-} end=$((SECONDS + 15))
	local python=/usr/bin/python3
	mkdir -p "$dir"
	(
		umask 077
		jq -n --arg id "$SSM_KEY_ID" --arg s "$SSM_SECRET" \
			--arg t "$token" --arg r "$SSM_REGION" \
			--argjson p "$params" \
			'{key_id: $id, secret: $s, token: (if $t == "" then null
			  else $t end), region: $r, parameters: $p,
			  page_size: 2, imds_role: "odoo"}' >"$dir/config.json"
	)
	"$python" "$E2E_ROOT/tests/e2e/ssm_endpoint.py" "$dir" \
		2>"$dir/stderr" &
	SSM_PIDS+=($!)
	while [[ ! -s $dir/port ]]; do
		((SECONDS < end)) || bail "ssm_endpoint.py did not start: \
$(cat "$dir/stderr")"
		sleep 0.1
	done
	SSM_URL=http://127.0.0.1:$(cat "$dir/port")/
	export SSM_URL
}

no_leak() {
	local hits
	hits=$(grep -cF -f "$LEAK_PATTERNS" "$1" || true)
	is "$hits" 0 "$2"
}

cmdline_sampler() {
	local out=$1
	(
		while :; do
			grep -laF -f "$LEAK_PATTERNS" /proc/[0-9]*/cmdline \
				2>/dev/null | while read -r f; do
				echo "$f: $(tr '\0' '\n' <"$f" | head -n 1)"
			done >>"$out" || true
			printf . >>"$out.passes"
			sleep 0.02
		done
	) &
	# shellcheck disable=SC2034 # for the caller, which kills it
	SAMPLER_PID=$!
}
