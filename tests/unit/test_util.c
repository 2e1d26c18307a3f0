#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/util.h"

static void test_host_is_local(void **state)
{
	(void)state;
	assert_true(host_is_local(NULL));
	assert_true(host_is_local(""));
	assert_true(host_is_local("/var/run/postgresql"));
	assert_true(host_is_local("localhost"));
	assert_true(host_is_local("LocalHost"));
	assert_true(host_is_local("127.0.0.1"));
	assert_true(host_is_local("127.1.2.3"));
	assert_true(host_is_local("::1"));
	assert_false(host_is_local("postgres"));
	assert_false(host_is_local("10.0.0.1"));
	assert_false(host_is_local("localhost.example.com"));
	assert_false(host_is_local("::2"));
}

static void test_url_escape(void **state)
{
	char *e = url_escape("{\"label\":[\"a=b c/d\"]}-._~\xc3\xa9");

	(void)state;
	assert_string_equal(e, "%7B%22label%22%3A%5B%22a%3Db%20c%2Fd%22%5D%7D"
			    "-._~%C3%A9");
	free(e);
	e = url_escape("");
	assert_string_equal(e, "");
	free(e);
}

static void test_str_index(void **state)
{
	static const char *const names[] = { "note", NULL, "error" };

	(void)state;
	assert_int_equal(str_index(names, 3, "note"), 0);
	assert_int_equal(str_index(names, 3, "error"), 2);
	assert_int_equal(str_index(names, 3, "warning"), -1);
	assert_int_equal(str_index(names, 3, ""), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_is_local),
		cmocka_unit_test(test_url_escape),
		cmocka_unit_test(test_str_index),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
