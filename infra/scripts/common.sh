# shellcheck shell=bash
# What the wrappers in infra/scripts/ share; sourced by them, not run.
#
#   find_odooctl        prints the odooctl to run: $ODOOCTL when set, else
#                       odooctl on PATH, else build/odooctl of the checkout
#                       these scripts are in; exits 2 naming both places
#                       when there is none.
#   positionals ARG...  prints how many ARGs are not options (options such
#                       as --json go to odooctl as they are).

find_odooctl() {
	local here
	if [[ -n "${ODOOCTL:-}" ]]; then
		printf '%s\n' "$ODOOCTL"
	elif command -v odooctl >/dev/null 2>&1; then
		command -v odooctl
	else
		here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
		if [[ -x "$here/../../build/odooctl" ]]; then
			printf '%s\n' "$here/../../build/odooctl"
		else
			echo "${0##*/}: odooctl not found on PATH nor at" \
				"$here/../../build/odooctl (run make)" >&2
			exit 2
		fi
	fi
}

positionals() {
	local arg n=0
	for arg in "$@"; do
		[[ $arg == -* ]] || n=$((n + 1))
	done
	printf '%d\n' "$n"
}
