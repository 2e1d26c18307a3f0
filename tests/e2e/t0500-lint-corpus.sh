#!/usr/bin/env bash
# odooctl lint: its literal parser against Python's own ast.literal_eval on
# a corpus of manifests (the fixtures, and a few hundred generated in the
# styles found in the wild plus malformed variants): every file Python
# accepts must give the same value (compared as canonical JSON, see
# src/python/pyliteral.h), every file Python refuses must be refused. Then the
# command's interface: findings, --json, exit codes. Needs no docker; skipped
# without python3.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MANIFESTS=$E2E_ROOT/tests/fixtures/manifests
COUNT=${LINT_CORPUS_COUNT:-600}

if ! command -v python3 >/dev/null; then
	skip "odooctl lint --dump agrees with ast.literal_eval" \
		"python3 is not installed"
	done_testing
	exit 0
fi

work=$(mktemp -d /tmp/odooctl-lint-corpus.XXXXXX)
trap 'rm -rf "$work"' EXIT
corpus=$work/corpus

python3 "$MANIFESTS/gen_corpus.py" "$corpus" --count "$COUNT" --seed 19
n=0
while IFS= read -r f; do
	n=$((n + 1))
	cp "$f" "$corpus/fixture-$n.py"
done < <(find "$MANIFESTS" -name __manifest__.py | sort)
total=$(find "$corpus" -type f | wc -l)
is "$total" "$((COUNT + n))" "corpus: $COUNT generated manifests and $n fixtures"

PYTHONHASHSEED=0 python3 "$MANIFESTS/literal_json.py" "$corpus"/* \
	>"$work/python.tsv"
for f in "$corpus"/*; do
	rc=0
	json=$("$ODOOCTL" lint --dump "$f" 2>"$work/err") || rc=$?
	case $rc in
	0) printf '%s\tOK\t%s\n' "$f" "$json" ;;
	1) printf '%s\tERR\t%s\n' "$f" "$(head -n 1 "$work/err")" ;;
	*) printf '%s\tFAIL\texit %s: %s\n' "$f" "$rc" "$(head -n 1 "$work/err")" ;;
	esac
done >"$work/odooctl.tsv"

# differences by kind: value, accepted-by-us-only, refused-by-us-only, other
python3 - "$work/python.tsv" "$work/odooctl.tsv" >"$work/diff" <<'EOF'
import sys
def load(path):
    out = {}
    for line in open(path, encoding='utf-8', errors='replace'):
        f, status, rest = line.rstrip('\n').split('\t', 2)
        out[f] = (status, rest)
    return out
py, us = load(sys.argv[1]), load(sys.argv[2])
counts = {'same': 0, 'refused': 0, 'value': 0, 'we-accept': 0,
          'we-refuse': 0, 'other': 0}
for f in sorted(py):
    (ps, pv), (us_s, uv) = py[f], us.get(f, ('MISSING', ''))
    if ps == 'OK' and us_s == 'OK':
        kind = 'same' if pv == uv else 'value'
    elif ps == 'ERR' and us_s == 'ERR':
        kind = 'refused'
    elif ps == 'ERR' and us_s == 'OK':
        kind = 'we-accept'
    elif ps == 'OK' and us_s == 'ERR':
        kind = 'we-refuse'
    else:
        kind = 'other'
    counts[kind] += 1
    if kind not in ('same', 'refused'):
        print('%s %s\n  python:  %s %s\n  odooctl: %s %s'
              % (kind, f, ps, pv[:200], us_s, uv[:200]))
print('COUNTS ' + ' '.join('%s=%d' % kv for kv in counts.items()))
EOF
counts=$(grep '^COUNTS ' "$work/diff")
diag "$counts"
diffs=$(grep -v '^COUNTS ' "$work/diff" | head -n 40 || true)
[[ -z $diffs ]] || diag "$diffs"
like "$counts" ' same=[0-9]{3,} ' "hundreds of manifests parse to Python's values"
like "$counts" ' refused=[0-9]{2,} ' "dozens of malformed manifests are refused"
like "$counts" ' value=0 ' "no value differs from ast.literal_eval's"
like "$counts" ' we-accept=0 ' "nothing Python refuses is accepted"
like "$counts" ' we-refuse=0 ' "nothing Python accepts is refused"
like "$counts" ' other=0$' "every file was read (no exit status 2)"

# ---- the command ------------------------------------------------------------

out=$("$ODOOCTL" lint "$MANIFESTS/ok" 2>&1) && rc=0 || rc=$?
is "$rc" 0 "lint of a clean addons tree exits 0"
like "$out" '4 addons, [0-9]+ Python files? compiled, 0 errors, 0 warnings, 0 notes' \
	"and says how much it checked"

rc=0
out=$("$ODOOCTL" -q lint "$MANIFESTS/bad/license" "$MANIFESTS/bad/version") ||
	rc=$?
is "$rc" 1 "findings exit 1"
like "$out" "bad/license/__manifest__.py:7:16: error: license: 'MIT' is not a license" \
	"a finding is FILE:LINE:COL: SEVERITY: RULE: MESSAGE"
is "$(wc -l <<<"$out")" 2 "one line per finding"

rc=0
json=$("$ODOOCTL" -q lint --json "$MANIFESTS/bad/depends") || rc=$?
is "$rc" 1 "--json exits 1 on findings too"
is "$(python3 -c 'import json,sys; d=json.load(sys.stdin); f=d["findings"][0]; print(d["addons"], f["severity"], f["rule"], f["line"], f["col"])' <<<"$json")" \
	"1 error depends 8 25" "--json gives the addons and each finding's severity, rule and place"

# --severity: what fails; warnings are shown at every level, notes at note
rc=0
out=$("$ODOOCTL" -q lint --severity error "$MANIFESTS/bad/author") || rc=$?
is "$rc" 0 "--severity error: a warning alone exits 0"
like "$out" "bad/author/__manifest__.py:[0-9]+:[0-9]+: warning: author: " \
	"and the warning is shown"
rc=0
"$ODOOCTL" -q lint "$MANIFESTS/bad/author" >/dev/null || rc=$?
is "$rc" 1 "by default (--severity warning) a warning exits 1"
rc=0
out=$("$ODOOCTL" -q lint "$MANIFESTS/bad/name") || rc=$?
is "$rc:$out" "0:" "a note is not shown and does not fail by default"
rc=0
out=$("$ODOOCTL" -q lint --severity note "$MANIFESTS/bad/name") || rc=$?
is "$rc" 1 "--severity note: a note exits 1"
like "$out" ": note: name: no 'name'" "and is shown"
rc=0
"$ODOOCTL" lint --severity fatal "$MANIFESTS/ok" 2>"$work/err" || rc=$?
is "$rc" 2 "an unknown severity exits 2"
like "$(cat "$work/err")" "^error: lint: unknown severity 'fatal'" \
	"with a one-line error naming it"
rc=0
"$ODOOCTL" -q lint --no-files "$MANIFESTS/bad/data_file" || rc=$?
is "$rc" 0 "--no-files: the data files are not looked for"

rc=0
"$ODOOCTL" lint /nonexistent/addons 2>"$work/err" || rc=$?
is "$rc" 2 "a missing PATH exits 2"
like "$(cat "$work/err")" "^error: cannot lint '/nonexistent/addons': " \
	"with a one-line error naming it"
rc=0
"$ODOOCTL" lint --bogus 2>/dev/null || rc=$?
is "$rc" 2 "an unknown option exits 2"

done_testing
