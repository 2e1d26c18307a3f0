#!/usr/bin/env bash
# src/'s folders are its layers (tools/check-layers.py, `make layers`): the
# tree passes; a copy of it with one breach each is refused, with a line
# naming the file and the breach: an include that points up, one without
# its folder, another folder's private header, an include circle between
# two modules of one folder, folders whose READMEs allow each other, a
# folder without a README, a file over 1,000 lines, a folder over 20 files.
# Needs python3 only.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

check=$E2E_ROOT/tools/check-layers.py
work=$(mktemp -d /tmp/odooctl-layers.XXXXXX)
trap 'rm -rf "$work"' EXIT

out=$(python3 "$check" "$E2E_ROOT/src" 2>&1) && rc=0 || rc=$?
is "$rc" 0 "the tree's includes point down" || diag "$out"
like "$out" "^layers: [0-9]+ folders, [0-9]+ files" "it says what it checked"

# breach NAME: a fresh copy of src/ in $tree, for the caller to break.
breach() {
	tree=$work/$1
	cp -R "$E2E_ROOT/src" "$tree"
}
# refused NAME PATTERN: the checker exits 1 and prints PATTERN.
refused() {
	local out rc
	out=$(python3 "$check" "$tree" 2>&1) && rc=0 || rc=$?
	is "$rc" 1 "$1: refused"
	like "$out" "$2" "$1: the line names it"
}

breach up
printf '#include "release/deploy.h"\n' >>"$tree/core/util.c"
refused "core/ including release/" "core/util.c:[0-9]+: core/ may not include release/deploy.h"

breach bare
printf '#include "log.h"\n' >>"$tree/core/util.c"
refused "an include without its folder" 'core/util.c:[0-9]+: #include "log.h" names no folder'

breach priv
printf '#include "backup/backup_priv.h"\n' >>"$tree/release/rbpoint.c"
refused "another folder's private header" "release/rbpoint.c:[0-9]+: .*another folder's private header"

breach circle
printf '#include "core/state.h"\n' >>"$tree/core/audit.c"
refused "a circle between core/audit and core/state" \
	"include circle between modules: core/(audit|state) -> core/(audit|state) -> core/(audit|state)"

breach folders
sed -i 's/^May include: none$/May include: release/' "$tree/core/README.md"
refused "core/ and release/ allowing each other" "the folders' allowances make a circle"

breach readme
rm "$tree/odoo/README.md"
refused "a folder without README.md" "odoo/README.md: no 'May include:' line"

breach long
for _ in $(seq 1001); do echo; done >>"$tree/core/proc.c"
refused "a file over 1,000 lines" "core/proc.c: [0-9]+ lines \(at most 1000"

breach wide
for i in $(seq 21); do : >"$tree/odoo/extra$i.h"; done
refused "a folder over 20 files" "odoo: 2[0-9] files \(at most 20"

done_testing
