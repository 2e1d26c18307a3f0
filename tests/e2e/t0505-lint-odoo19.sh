#!/usr/bin/env bash
# odooctl lint against the reference: Odoo 19's own addons, from the source
# tarball in shared/odoo19 beside the checkout (upstream commit f1e68e16).
# Odoo 19 accepts every one of its manifests, so a rule that fires on one
# is a rule Odoo does not enforce:
#   - every manifest of the tarball (addons/ and odoo/addons/base), linted
#     with --no-files (most of them come without their files): no finding
#     at any severity, notes included;
#   - the addons whose whole tree is there (base and what -i base,mail
#     installs), with their data, demo and asset files and their Python
#     compiled: no finding, except the asset paths into the tests/ folders
#     the tarball leaves out (shared/odoo19/README.md: "No tests/ folders
#     in addons"), each shown;
#   - src/odoo/odoo19_data.c (Odoo 19's module names, bundles and asset
#     files) is what tools/gen-odoo19-data.py makes of the tarball.
# Needs no docker; skipped when shared/odoo19 is not beside this checkout.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ODOO19_DIR=${ODOO19_DIR:-$(cd "$E2E_ROOT/.." && pwd)/shared/odoo19}
tarball=$ODOO19_DIR/odoo-19.0-min.tar.xz

if [[ ! -f $tarball ]]; then
	skip "odooctl lint on Odoo 19's own addons" \
		"no $tarball (shared/odoo19 is not beside this checkout)"
	done_testing
	exit 0
fi

work=$(mktemp -d /tmp/odooctl-lint-odoo19.XXXXXX)
trap 'rm -rf "$work"' EXIT
odoo=$work/odoo
mkdir "$odoo"
tar -xJf "$tarball" -C "$odoo"

# ---- the generated list of Odoo 19's modules ------------------------------

if command -v python3 >/dev/null; then
	python3 "$E2E_ROOT/tools/gen-odoo19-data.py" "$tarball" \
		"$work/odoo19_data.c" 2>"$work/gen.err"
	ok "src/odoo/odoo19_data.c is what tools/gen-odoo19-data.py makes of the tarball" \
		cmp -s "$work/odoo19_data.c" "$E2E_ROOT/src/odoo/odoo19_data.c" ||
		diag "$(diff "$work/odoo19_data.c" \
			"$E2E_ROOT/src/odoo/odoo19_data.c" | head -n 20)"
	diag "$(cat "$work/gen.err")"
else
	skip "src/odoo/odoo19_data.c matches the tarball" \
		"python3 is not installed"
fi

# ---- every manifest, without its files ------------------------------------

manifests=$(cd "$odoo" && find addons odoo/addons -mindepth 2 -maxdepth 2 \
	-name __manifest__.py | wc -l)
full=()
while IFS= read -r dir; do
	n=$(find "$odoo/$dir" -type f | wc -l)
	((n > 2)) && full+=("$odoo/$dir")
done < <(cd "$odoo" && find addons odoo/addons -mindepth 2 -maxdepth 2 \
	-name __manifest__.py -printf '%h\n' | sort)
diag "the tarball: $manifests manifests, ${#full[@]} addons with their files"
like "$manifests" '^[0-9]{3}$' "hundreds of Odoo 19's manifests to lint"

rc=0
out=$(cd "$odoo" && "$ODOOCTL" lint --no-files --no-python --severity note \
	addons odoo/addons 2>"$work/err") || rc=$?
is "$rc" 0 "every manifest of Odoo 19 (--no-files): exit 0 at --severity note"
is "$out" "" "and no finding at all" || diag "$(head -n 40 <<<"$out")"
like "$(cat "$work/err")" "$manifests addons, 0 Python files compiled, 0 errors, 0 warnings, 0 notes" \
	"each of the $manifests manifests was linted"

# ---- the addons whose files are there, with their files --------------------

rc=0
out=$("$ODOOCTL" lint --severity note "${full[@]}" 2>"$work/err") || rc=$?
summary=$(tail -n 1 "$work/err")
diag "$summary"
tests_dirs=$(grep -E "^[^:]+:[0-9]+:[0-9]+: (error|warning): assets: '[^']*/tests/[^']*' " \
	<<<"$out" || true)
others=$(grep -v -E "^[^:]+:[0-9]+:[0-9]+: (error|warning): assets: '[^']*/tests/[^']*' " \
	<<<"$out" || true)
like "$summary" "^ *${#full[@]} addons, " \
	"the ${#full[@]} addons with their files were linted"
is "$others" "" "with their files: no finding but asset paths into tests/" ||
	diag "$(head -n 40 <<<"$others")"
diag "asset paths into the tests/ folders the tarball leaves out:" \
	"$(grep -c . <<<"$tests_dirs" || true)"
if command -v python3 >/dev/null; then
	like "$summary" " [1-9][0-9]* Python files compiled" \
		"their Python files were compiled too"
else
	skip "their Python files were compiled too" "python3 is not installed"
fi

done_testing
