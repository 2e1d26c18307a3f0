#!/usr/bin/env bash
# The drill fails, loudly and naming the step and the reason, on a broken
# backup: a flipped byte (checksum), a truncated zip (size), a flipped
# byte in a zip without metadata (the zip's own CRC, during the restore),
# and a dump whose SQL fails to load (recorded checksum fine). Each time
# exit 1, FAIL on stdout and an error on stderr, production keeps
# answering, nothing is left (container, volumes, database), and the
# history has drill_failed. A missing backup is a usage error (exit 2).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy.sh"
. "$(dirname "$0")/backup.sh"

backup_stack
seed_data
zip=$("$ODOOCTL" -q backup e2e) || bail "the backup failed"
bad=$STACK_DIR/bad
mkdir -p "$bad"

# copy NAME [meta]: the good backup as $bad/NAME.zip (and its metadata)
copy() {
	cp "$zip" "$bad/$1.zip"
	[[ ${2:-} != meta ]] || cp "${zip%.zip}.json" "$bad/$1.json"
}

flip() {	# flip FILE OFFSET: one byte, inverted
	python3 -c 'import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2]))
    b = f.read(1)[0]
    f.seek(int(sys.argv[2]))
    f.write(bytes([255 - b]))' "$1" "$2"
}

# drill NAME: runs the drill of $bad/NAME.zip; $out, $err, $rc
drill() {
	out=$("$ODOOCTL" drill e2e --backup "$bad/$1.zip" 2>"$STACK_DIR/err") &&
		rc=0 || rc=$?
	err=$(cat "$STACK_DIR/err")
}

nothing_left() {	# nothing_left WHAT
	is "$("$DOCKER" ps -aq --filter "label=odooctl.drill=$STACK_PROJECT" | wc -l)" 0 \
		"$1: no drill container left"
	unlike "$(databases)" "odooctl_" "$1: no scratch database left"
	is "$(http_code "http://127.0.0.1:$PROXY_PORT/web/health")" 200 \
		"$1: production still answers"
}

size=$(stat -c %s "$zip")

copy flipped meta
flip "$bad/flipped.zip" $((size / 2))
drill flipped
is "$rc" 1 "a flipped byte: exit 1"
like "$out" "FAIL  drill of e2e at checksum: '.*flipped.zip' has sha256 [0-9a-f]{64}, its metadata says [0-9a-f]{64}: corrupted" \
	"FAIL at checksum, naming the file and both sums"
like "$err" "error: drill of e2e FAILED at checksum" "and an error on stderr"
nothing_left "flipped byte"

copy truncated meta
truncate -s $((size - 1000)) "$bad/truncated.zip"
drill truncated
is "$rc" 1 "a truncated zip: exit 1"
like "$out" "FAIL  drill of e2e at checksum: .*truncated.zip' is [0-9]+ bytes, its metadata says $size: truncated" \
	"FAIL at checksum: truncated, with both sizes"
nothing_left "truncated"

# No metadata: no sha256 to compare; the damage shows while restoring.
copy nometa
off=$(python3 - "$bad/nometa.zip" <<-'EOF'
	import sys, zipfile
	z = zipfile.ZipFile(sys.argv[1])
	i = z.getinfo("dump.sql")
	# past the local header, in the middle of the compressed dump
	print(i.header_offset + 30 + len(i.filename) + i.compress_size // 2)
	EOF
)
flip "$bad/nometa.zip" "$off"
drill nometa
is "$rc" 1 "a flipped byte in a zip without metadata: exit 1"
like "$out" "ok +checksum .*no metadata" "the checksum step says it had nothing to compare"
like "$out" "FAIL  drill of e2e at restore: " "FAIL at restore"
like "$err" "warning: .*has no metadata" "and a warning says why it got that far"
nothing_left "no metadata"

# A dump that does not load: the checksum is right, the SQL is not.
copy badsql meta
python3 - "$bad/badsql.zip" <<-'EOF'
	import sys, zipfile
	src = zipfile.ZipFile(sys.argv[1])
	entries = [(i, src.read(i)) for i in src.infolist()]
	src.close()
	bad = b"\nINSERT INTO no_such_table VALUES (1);\nCOPY "
	with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
	    for i, data in entries:
	        if i.filename == "dump.sql":
	            data = data.replace(b"\nCOPY ", bad, 1)
	        z.writestr(i, data)
	EOF
sum=$(sha256sum "$bad/badsql.zip" | cut -d' ' -f1)
jq --arg s "$sum" --argjson n "$(stat -c %s "$bad/badsql.zip")" \
	'.sha256 = $s | .size = $n' "$bad/badsql.json" >"$bad/badsql.json.new"
mv "$bad/badsql.json.new" "$bad/badsql.json"
drill badsql
is "$rc" 1 "a dump whose SQL fails: exit 1"
like "$out" "ok +checksum .*sha256 and size as recorded" "its checksum passed"
like "$out" "FAIL  drill of e2e at restore: .*relation \"no_such_table\" does not exist" \
	"FAIL at restore, with PostgreSQL's error"
unlike "$out" "ok +(start|health|smoke) " "no Odoo was started for it"
like "$out" "ok +teardown " "teardown ran"
nothing_left "bad SQL"

out=$("$ODOOCTL" drill e2e --backup "$bad/absent.zip" 2>&1) && rc=0 || rc=$?
is "$rc" 2 "a backup that does not exist: exit 2"
like "$out" "no backup '.*absent.zip'" "and says which"

out=$("$ODOOCTL" drill e2e --backup "$bad/badsql.zip" --json 2>/dev/null) && rc=0 || rc=$?
is "$(jq -r '[.ok, .failed_step, .rto_seconds] | join(",")' <<<"$out")" "false,restore," \
	"--json: ok false, failed_step restore, no RTO"

is "$(history_lines | grep -c ' | drill_failed | ')" 5 \
	"history: drill_failed for each failed drill"

done_testing
