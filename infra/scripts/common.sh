# shellcheck shell=bash
# What the wrappers in infra/scripts/ share; sourced by them, not run.
#
#   find_odooctl        prints the odooctl to run: $ODOOCTL when set, else
#                       odooctl on PATH, else build/odooctl of the checkout
#                       these scripts are in; exits 2 naming both places
#                       when there is none.
#   positionals ARG...  prints how many ARGs are not options (options such
#                       as --json go to odooctl as they are).
#   say_usage CODE LINE...
#                       prints the LINEs (the caller's usage) to stdout when
#                       CODE is 0, else to stderr, and exits CODE.
#   run_odooctl VERB MIN MAX ARG...
#                       usage 2 (the caller's usage()) unless MIN to MAX of
#                       the ARGs are positionals, else execs `odooctl VERB
#                       ARG...`.
#   wrap VERB MIN MAX ARG...
#                       the same, after usage 0 when the first ARG is -h or
#                       --help: the whole body of a thin wrapper.

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

say_usage() {
	local code=$1
	shift
	printf '%s\n' "$@" >&"$((code == 0 ? 1 : 2))"
	exit "$code"
}

run_odooctl() {
	local verb=$1 min=$2 max=$3 npos odooctl
	shift 3
	npos=$(positionals "$@")
	((npos >= min && npos <= max)) || usage 2
	odooctl=$(find_odooctl)
	exec "$odooctl" "$verb" "$@"
}

wrap() {
	case "${4:-}" in
	-h | --help)
		usage 0
		;;
	esac
	run_odooctl "$@"
}
