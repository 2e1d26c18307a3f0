#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "engine/stack_state.h"
#include "core/util.h"

/* An inspect reply of a release container, in the shape of the Engine API. */
static void parse(const char *state, struct container_state *st)
{
	char *text = xasprintf(
		"{\"Id\": \"abc\", \"Name\": \"/odoo19-e2e-odoo19-1\", "
		"\"RestartCount\": 2, \"State\": %s, \"Config\": {\"Labels\": "
		"{\"odooctl.release\": \"sha256:11\"}}, \"NetworkSettings\": "
		"{\"Ports\": {\"8069/tcp\": [{\"HostIp\": \"127.0.0.1\", "
		"\"HostPort\": \"32771\"}]}}}", state);
	json_t *j = json_loads(text, 0, NULL);

	assert_non_null(j);
	container_state_from_json(j, "abc", st);
	json_decref(j);
	free(text);
}

static void test_running(void **unused)
{
	struct container_state st;

	(void)unused;
	parse("{\"Status\": \"running\", \"Running\": true, "
	      "\"Restarting\": false, \"ExitCode\": 0}", &st);
	assert_true(st.running);
	assert_int_equal(st.restarts, 2);
	assert_string_equal(st.name, "odoo19-e2e-odoo19-1");
	assert_string_equal(st.digest, "sha256:11");
	container_state_release(&st);
}

/* A crashed container waiting for its restart: Docker says Running. */
static void test_restarting_is_not_running(void **unused)
{
	struct container_state st;

	(void)unused;
	parse("{\"Status\": \"restarting\", \"Running\": true, "
	      "\"Restarting\": true, \"ExitCode\": 1}", &st);
	assert_false(st.running);
	assert_int_equal(st.exit_code, 1);
	container_state_release(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_running),
		cmocka_unit_test(test_restarting_is_not_running),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
