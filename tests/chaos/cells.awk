# The cells of the chaos suite (tests/chaos/chaos.sh: FAULT, PHASE, OUTCOME,
# SECONDS, DATA LOST[, CHECKS], tab-separated), one row per run, grouped
# by FAULT and PHASE in the order they first appear (rounds of
# CHAOS_ROUNDS=N repeat a cell N times). Prints per cell, tab-separated:
#   FAULT PHASE OUTCOME RUNS PASSED MIN MEDIAN MAX DATA-LOST
# A run passed when its checks passed (rows without CHECKS, from before it
# was recorded: when no data was lost), no data was lost and the release
# answered again. The times to recover are in seconds; "-" (it never
# answered again) sorts after every number. OUTCOME and DATA-LOST join
# their distinct values with " / "; DATA-LOST is "none" only when every
# run lost nothing.
# mawk has no asort: the few times of a cell are sorted by insertion.
BEGIN { FS = "\t"; OFS = "\t" }

function later(a, b) {	# a after b: "-" is after any number
	if (a == "-")
		return b != "-"
	if (b == "-")
		return 0
	return a + 0 > b + 0
}

function add_distinct(list, v) {
	if (list == "")
		return v
	if (index(" / " list " / ", " / " v " / "))
		return list
	return list " / " v
}

NF >= 5 {
	k = $1 SUBSEP $2
	if (!(k in runs)) {
		order[++cells] = k
		fault[k] = $1
		phase[k] = $2
	}
	n = ++runs[k]
	outcome[k] = add_distinct(outcome[k], $3)
	t = $4 == "" ? "-" : $4
	for (i = n; i > 1 && later(times[k, i - 1], t); i--)
		times[k, i] = times[k, i - 1]
	times[k, i] = t
	if ($5 != "none") {
		v = $5
		sub(/;[ ]*$/, "", v)
		lost[k] = add_distinct(lost[k], v)
	}
	checks = NF >= 6 ? $6 : "pass"
	if (checks == "pass" && $5 == "none" && t != "-")
		passed[k]++
}

END {
	for (c = 1; c <= cells; c++) {
		k = order[c]
		n = runs[k]
		mid = n % 2 ? times[k, (n + 1) / 2] : median2(times[k, n / 2], times[k, n / 2 + 1])
		print fault[k], phase[k], outcome[k], n, passed[k] + 0,
			times[k, 1], mid, times[k, n], lost[k] == "" ? "none" : lost[k]
	}
}

function median2(a, b) {
	if (a == "-" || b == "-")
		return "-"
	return sprintf("%.1f", (a + b) / 2)
}
