#!/usr/bin/env bash
# The disaster-recovery drill on a good backup: it passes, restores into a
# scratch database and a scratch Odoo container of the serving release
# (its own database, its own /var/lib/odoo, no volume of production) that
# answers health, readiness and smoke checks on a loopback port; reports
# RTO and RPO; production keeps answering through the proxy all along and
# its database and filestore are untouched (the copy is neutralized, not
# production); nothing is left behind (container, volumes, database); the
# history has a line for the backup and for the drill. The release starts
# slowly (standin_fault slow_start), so the scratch container lives long
# enough to be looked at.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/deploy.sh"
. "$(dirname "$0")/backup.sh"

stack_up e2e
release A "slow_start 2"
"$ODOOCTL" -q deploy "$DIGEST" e2e alice >"$STACK_DIR/deploy.log" 2>&1 ||
	bail "the first deploy failed: $(cat "$STACK_DIR/deploy.log")"
ODOO=$(current_id)
PG=$(stack_container postgres)
seed_data
"$ODOOCTL" -q backup e2e >/dev/null || bail "the backup failed"
before_db=$(db_dump central | sha256sum)
before_fs=$(fs_tree central)

# Production, through the proxy, every 100 ms while the drill runs; and
# the scratch container's mounts and command, as the drill runs it.
probe() {
	while :; do
		{ http_code "http://127.0.0.1:$PROXY_PORT/web/health"; echo; } \
			>>"$STACK_DIR/codes"
		"$DOCKER" ps -q --filter "label=odooctl.drill=$STACK_PROJECT" |
			while read -r id; do
				"$DOCKER" inspect -f '{{range .Mounts}}{{.Type}}:{{.Name}}:{{.Destination}} {{end}}|{{json .Config.Cmd}}|{{json .HostConfig.PortBindings}}' \
					"$id" >"$STACK_DIR/scratch.new" 2>/dev/null ||
					continue
				mv "$STACK_DIR/scratch.new" "$STACK_DIR/scratch"
			done
		sleep 0.1
	done
}
probe &
prober=$!

out=$("$ODOOCTL" drill e2e --json 2>"$STACK_DIR/drill.err") && rc=0 || rc=$?
kill "$prober" 2>/dev/null || true
wait "$prober" 2>/dev/null || true
is "$rc" 0 "drill passes on a good backup" || diag "$(cat "$STACK_DIR/drill.err")"
is "$(jq -r .ok <<<"$out")" true "report: ok"
is "$(jq -r '[.steps[] | .name] | join(",")' <<<"$out")" \
	"checksum,container,restore,neutralize,start,health,smoke,teardown" \
	"report: every step, in order"
is "$(jq -r '[.steps[] | select(.ok | not)] | length' <<<"$out")" 0 \
	"report: every step passed"
like "$(jq -r '.rto_seconds' <<<"$out")" '^[0-9]+(\.[0-9]+)?$' "report: RTO in seconds"
like "$(jq -r '.rpo_seconds' <<<"$out")" '^[0-9]+$' "report: RPO in seconds"
is "$(jq -r .release <<<"$out")" "$(awk '{print $1}' "$STACK_DIR/state/current")" \
	"report: the release that serves is the one drilled"
like "$(jq -r '.steps[] | select(.name == "restore") | .detail' <<<"$out")" \
	"2 filestore files into 'odooctl_drill_e2e'" "the filestore was restored too"
like "$(jq -r '.steps[] | select(.name == "health") | .detail' <<<"$out")" \
	"ready on database 'odooctl_drill_e2e'" \
	"readiness was checked on the scratch database"
is "$(jq -r .teardown <<<"$out")" ok "report: teardown ok"

scratch=$(cat "$STACK_DIR/scratch" 2>/dev/null || true)
like "$scratch" "volume:[0-9a-f]{64}:/var/lib/odoo " \
	"the scratch container has its own anonymous /var/lib/odoo"
unlike "$scratch" "odoo-data" "and no volume of production"
like "$scratch" '"--database=odooctl_drill_e2e","--db-filter=\^odooctl_drill_e2e\$"' \
	"its own database and db-filter"
unlike "$scratch" "--database=central" "not production's"
like "$scratch" '"HostIp":"127.0.0.1"' "published on loopback only"

is "$(sort -u "$STACK_DIR/codes" | tr '\n' ' ')" "200 " \
	"production answered 200 through the proxy during the drill"
like "$(wc -l <"$STACK_DIR/codes")" '^[1-9][0-9]+$' \
	"(probed $(wc -l <"$STACK_DIR/codes") times)"
is "$(db_dump central | sha256sum)" "$before_db" "production's database is untouched"
is "$(fs_tree central)" "$before_fs" "production's filestore is untouched"
is "$(pg_sql central "SELECT count(*) FROM ir_cron WHERE active")" 3 \
	"production's crons are still active (only the copy was neutralized)"

is "$("$DOCKER" ps -aq --filter "label=odooctl.drill=$STACK_PROJECT" | wc -l)" 0 \
	"no drill container left"
left=0
for v in $(jq -r '.scratch.volumes[]' <<<"$out"); do
	"$DOCKER" volume inspect "$v" >/dev/null 2>&1 && left=$((left + 1))
done
is "$left" 0 "none of its $(jq -r '.scratch.volumes | length' <<<"$out") volumes left"
is "$(jq -r '.scratch.volumes | length' <<<"$out")" 2 \
	"(it had two: /var/lib/odoo and /mnt/extra-addons)"
unlike "$(databases)" "odooctl_" "no scratch database left"
unlike "$("$DOCKER" exec "$ODOO" ls /var/lib/odoo/filestore)" "odooctl" \
	"nothing written into production's filestore"

out=$("$ODOOCTL" drill e2e 2>"$STACK_DIR/drill.err") && rc=0 || rc=$?
is "$rc" 0 "the text report: exit 0"
like "$out" "^ok +checksum " "a line a step"
like "$out" "PASS  drill of e2e: restored and serving in [0-9.]+ s \(RTO\), from a backup [0-9.]+ (s|min) old \(RPO\)" \
	"then PASS with RTO and RPO"

hist=$(history_lines)
like "$hist" "\| e2e \| backup_ok \| " "history: backup_ok"
is "$(grep -c ' | drill_ok | ' <<<"$hist")" 2 "history: drill_ok, once per drill"
unlike "$(grep -E 'backup_ok|drill_ok' <<<"$hist" | grep -vE "$HISTORY_RE" || true)" . \
	"in the seed's format, with the release that serves"
is "$("$ODOOCTL" history e2e --status drill_ok --json | jq length)" 2 \
	"odooctl history shows them"

done_testing
