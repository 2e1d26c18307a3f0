#!/usr/bin/env bash
# The Engine API's streams (src/engine/docker_stream.c) against the real
# daemon: an exec with 8 MiB through stdin and stdout over the hijacked
# connection (stderr and exit code too), a sink that stops it early, a tar
# PUT into a container and read back by GET (names, owner, contents), a
# path that does not exist, a one-off container (output, exit code, the
# time limit). The cmocka program is tests/unit/test_docker_stream.c.
. "$(dirname "$0")/lib.sh"

bin=$(dirname "$ODOOCTL")/tests/test_docker_stream
[[ -x $bin ]] || bail "$bin is missing (make unit builds it)"
socket=/var/run/docker.sock
[[ ${DOCKER_HOST:-} == unix://* ]] && socket=${DOCKER_HOST#unix://}
out=$(ODOOCTL_TEST_DOCKER_SOCK=$socket ODOOCTL_TEST_BASE=$STANDIN_ODOO \
	"$bin" 2>&1) && rc=0 || rc=$?
is "$rc" 0 "test_docker_stream exits 0" || diag "$out"
for t in test_real_exec_stream test_real_exec_sink_stops \
	test_real_archive_round_trip test_real_oneoff; do
	like "$out" "\[       OK \] $t" "$t passes against the real daemon"
done
unlike "$out" "SKIPPED" "nothing skipped"
done_testing
