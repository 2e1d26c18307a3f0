/*
 * lib/health.c: the verdicts on a release's answers, on bodies shaped as
 * Odoo 19 answers them (tests/fuzz/seeds-health/, the fuzz target's seeds)
 * and on what a broken release or a proxy answers instead.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/health.h"
#include "net/http.h"
#include "core/util.h"

#define SEEDS "tests/fuzz/seeds-health/"

static struct buf body(const char *name)
{
	struct buf b;
	size_t len;
	char *why = NULL, *path = xasprintf(SEEDS "%s", name);
	char *text = file_read(path, 1 << 20, &len, &why);

	if (!text)
		fail_msg("%s", why);
	buf_init(&b, 1 << 20);
	buf_append(&b, text, len);
	free(text);
	free(path);
	return b;
}

static void test_live(void **state)
{
	struct buf pass = body("health-pass"), down = body("health-db-down");
	struct buf plain = body("health-plain"), html = body("maintenance");

	(void)state;
	assert_true(health_live_ok(200, &pass));
	assert_false(health_live_ok(500, &pass));
	assert_false(health_live_ok(200, &down));
	assert_false(health_live_ok(200, &plain));	/* no DB status */
	assert_false(health_live_ok(503, &html));
	buf_release(&pass);
	buf_release(&down);
	buf_release(&plain);
	buf_release(&html);
}

static void test_ready(void **state)
{
	struct buf ok = body("version-info"), err = body("version-info-error");
	struct buf pass = body("health-pass");

	(void)state;
	assert_true(health_ready_ok(200, &ok));
	assert_false(health_ready_ok(404, &ok));
	assert_false(health_ready_ok(200, &err));	/* the registry broke */
	assert_false(health_ready_ok(200, &pass));
	buf_release(&ok);
	buf_release(&err);
	buf_release(&pass);
}

static void test_excerpt(void **state)
{
	struct buf html = body("maintenance");
	char *s = http_excerpt(&html, 40);

	(void)state;
	assert_string_equal(s, "<html>  <head><title>503 Service Tempora");
	free(s);
	buf_release(&html);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_ready),
		cmocka_unit_test(test_excerpt),
	};

	return cmocka_run_group_tests_name("health", tests, NULL, NULL);
}
