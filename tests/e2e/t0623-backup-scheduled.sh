#!/usr/bin/env bash
# Scheduled backups and drills as the systemd units run them: the units
# (infra/systemd, paths pointed at this checkout) pass systemd-analyze
# verify without a word; the backup service's ExecStart (the wrapper
# infra/scripts/backup-odoo19.sh with --trigger scheduled --verify) makes
# a backup recorded as scheduled and verified, with backup_ok and
# verify_ok in the history; the drill service's ExecStart passes and
# records drill_ok; the wrapper's usage errors exit 2; with PostgreSQL
# down the scheduled backup is refused (exit 3, backup_refused, no verify).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy.sh"
. "$(dirname "$0")/backup.sh"

backup_stack
seed_data

units=$STACK_DIR/units
mkdir -p "$units"
for f in "$E2E_ROOT"/infra/systemd/odooctl-{backup,drill}@.*; do
	b=${f##*/}
	sed -e "s#/opt/odooctl#$E2E_ROOT#g" -e "s#/usr/local/bin/odooctl#$ODOOCTL#g" \
		-e "s/%i/e2e/g" \
		"$f" >"$units/${b/@./@e2e.}"
done
is "$(find "$units" -type f | wc -l)" 4 "two services and their timers"
out=$(cd "$units" && systemd-analyze verify --man=no ./*.service ./*.timer 2>&1) &&
	rc=0 || rc=$?
is "$rc:$out" "0:" "systemd-analyze verify accepts them, without a warning"
like "$(grep -h '^OnCalendar=' "$units"/*.timer | sort | tr '\n' ' ')" \
	"^OnCalendar=\*-\*-\* 02:30:00 OnCalendar=Sun \*-\*-\* 04:00:00 $" \
	"backups nightly, the drill weekly after the night's backup"

# exec_start UNIT: the ExecStart= command line of a unit, as words
exec_start() {
	sed -n 's/^ExecStart=//p' "$units/$1"
}
read -ra backup_cmd <<<"$(exec_start odooctl-backup@e2e.service)"
read -ra drill_cmd <<<"$(exec_start odooctl-drill@e2e.service)"
is "${backup_cmd[*]:1}" "e2e --trigger scheduled --verify" \
	"the backup service runs the wrapper: scheduled, verified"

out=$("${backup_cmd[@]}" 2>"$STACK_DIR/backup.err") && rc=0 || rc=$?
is "$rc" 0 "the scheduled backup exits 0" || diag "$(cat "$STACK_DIR/backup.err")"
like "$out" "^$STACK_DIR/state/backups/e2e-[0-9T]+Z\.zip$" "and prints the zip"
meta=${out%.zip}.json
is "$(jq -r .trigger "$meta")" scheduled "recorded as scheduled"
is "$(jq -r .verified.ok "$meta")" true "and verified"
is "$(history_lines | awk -F ' [|] ' '{ print $4 }' | tail -n 2 | tr '\n' ' ')" \
	"backup_ok verify_ok " "history: backup_ok, then verify_ok"
is "$("$ODOOCTL" health e2e --json | jq -r '.checks[] | select(.name == "backup.age") | .ok')" \
	true "health's backup.age is satisfied"

out=$("${drill_cmd[@]}" 2>"$STACK_DIR/drill.err") && rc=0 || rc=$?
is "$rc" 0 "the drill service's command passes" || diag "$(cat "$STACK_DIR/drill.err")"
like "$out" "PASS  drill of e2e" "PASS"
is "$(last_status)" drill_ok "history: drill_ok"

wrapper=$E2E_ROOT/infra/scripts/backup-odoo19.sh
like "$("$wrapper" --help)" "^usage: backup-odoo19.sh \[env\]" "--help: usage, exit 0"
"$wrapper" --bogus >/dev/null 2>&1 && rc=0 || rc=$?
is "$rc" 2 "an unknown option: exit 2"
"$wrapper" e2e staging >/dev/null 2>&1 && rc=0 || rc=$?
is "$rc" 2 "two environments: exit 2"

n=$(find "$STACK_DIR/state/backups" -name '*.zip' | wc -l)
compose stop postgres >/dev/null 2>&1
out=$("${backup_cmd[@]}" 2>&1) && rc=0 || rc=$?
is "$rc" 3 "PostgreSQL down: the scheduled backup is refused (exit 3)"
like "$out" "backup of e2e refused: .*not running" "and says why"
unlike "$out" "verify" "no verify is attempted"
is "$(last_status)" backup_refused "history: backup_refused"
is "$(find "$STACK_DIR/state/backups" -name '*.zip' | wc -l)" "$n" "no zip was added"

done_testing
