#!/usr/bin/env bash
# The Engine API client (src/engine/docker.c) against the real daemon and
# registry: build with labels, tag, push (digest), registry check, pull by
# digest, a container's life (start, exec, logs, restart policy, stop,
# remove). The cmocka program is tests/unit/test_docker.c; its real-daemon
# part runs only when told where the daemon is.
. "$(dirname "$0")/lib.sh"

bin=$(dirname "$ODOOCTL")/tests/test_docker
[[ -x $bin ]] || bail "$bin is missing (make unit builds it)"
socket=/var/run/docker.sock
[[ ${DOCKER_HOST:-} == unix://* ]] && socket=${DOCKER_HOST#unix://}
out=$(ODOOCTL_TEST_DOCKER_SOCK=$socket ODOOCTL_TEST_REGISTRY=$E2E_REGISTRY \
	ODOOCTL_TEST_BASE=$STANDIN_ODOO "$bin" 2>&1) && rc=0 || rc=$?
is "$rc" 0 "test_docker exits 0" || diag "$out"
for t in test_real_ping_info test_real_build test_real_build_failure \
	test_real_tag_push_pull test_real_container; do
	like "$out" "\[       OK \] $t" "$t passes against the real daemon"
done
unlike "$out" "SKIPPED" "nothing skipped"
done_testing
