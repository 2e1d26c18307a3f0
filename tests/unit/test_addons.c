#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "addons.h"
#include "util.h"

static void put(const char *root, const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", root, rel), *dir = xstrdup(path), *why;

	*strrchr(dir, '/') = '\0';
	assert_int_equal(mkdir_p(dir, 0755, &why), 0);
	assert_int_equal(file_write_atomic(path, text, strlen(text), 0644, &why),
			 0);
	free(dir);
	free(path);
}

static int setup(void **state)
{
	char *dir = xstrdup("/tmp/odooctl-test-addons-XXXXXX");

	assert_non_null(mkdtemp(dir));
	put(dir, "a/__manifest__.py", "{'name': 'A', 'version': '19.0.1.0.0'}");
	put(dir, "a/models/a.py", "x = 1\n");
	put(dir, "b/__manifest__.py", "{'name': 'B'}");
	put(dir, "not_an_addon/readme.txt", "hello");
	*state = dir;
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", (char *)*state);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(*state);
	return 0;
}

static char *sum_of(const char *root, const char *addon)
{
	char *dir = xasprintf("%s/%s", root, addon), *why = NULL;
	char out[72];

	assert_int_equal(addons_checksum_one(dir, out, &why), 0);
	free(dir);
	return xstrdup(out);
}

static void test_labels_per_addon(void **state)
{
	json_t *labels = json_object();
	char *why = NULL;
	int count = 0;

	assert_int_equal(addons_checksums(*state, labels, &count, &why), 0);
	assert_int_equal(count, 2);
	assert_non_null(json_object_get(labels, "odooctl.addon.a"));
	assert_non_null(json_object_get(labels, "odooctl.addon.b"));
	assert_null(json_object_get(labels, "odooctl.addon.not_an_addon"));
	assert_int_equal(strlen(json_string_value(
		json_object_get(labels, "odooctl.addon.a"))), 71);
	json_decref(labels);
}

static void test_what_changes_the_sum(void **state)
{
	const char *root = *state;
	char *before = sum_of(root, "a"), *after;

	/* what cannot change the database leaves the sum alone */
	put(root, "a/static/src/app.js", "console.log(1)");
	put(root, "a/tests/test_a.py", "def test(): pass");
	put(root, "a/i18n/a.pot", "msgid \"\"");
	put(root, "a/models/__pycache__/a.cpython-311.pyc", "\x01\x02");
	put(root, "a/models/b.pyc", "\x03");
	after = sum_of(root, "a");
	assert_string_equal(before, after);
	free(after);
	/* a translation, a model or a renamed file changes it */
	put(root, "a/i18n/fr.po", "msgstr \"\"");
	after = sum_of(root, "a");
	assert_string_not_equal(before, after);
	free(before);
	before = after;
	put(root, "a/models/a.py", "x = 2\n");
	after = sum_of(root, "a");
	assert_string_not_equal(before, after);
	free(after);
	free(before);
}

static void test_missing_dir(void **state)
{
	json_t *labels = json_object();
	char *why = NULL;
	int count;

	(void)state;
	assert_int_equal(addons_checksums("/nonexistent/addons", labels, &count,
					  &why), -1);
	assert_non_null(strstr(why, "cannot read addons directory "
				    "'/nonexistent/addons'"));
	free(why);
	json_decref(labels);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_labels_per_addon, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_what_changes_the_sum,
						setup, teardown),
		cmocka_unit_test(test_missing_dir),
	};

	return cmocka_run_group_tests_name("addons", tests, NULL, NULL);
}
