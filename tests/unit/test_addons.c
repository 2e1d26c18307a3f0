#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lint/addons.h"
#include "core/util.h"

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

static char *label_of(const char *root, const char *prefix, const char *name)
{
	json_t *l = json_object();
	char *key = xasprintf("%s%s", prefix, name), *why = NULL, *v;
	int count;

	assert_int_equal(addons_checksums(root, l, &count, &why), 0);
	v = json_string_value(json_object_get(l, key)) ?
		xstrdup(json_string_value(json_object_get(l, key))) : NULL;
	json_decref(l);
	free(key);
	return v;
}

/*
 * The version and database labels: a controller changes the checksum but
 * not the database's; a view changes both; a manifest that does not parse
 * gets no version label (a deploy then decides by the checksum).
 */
static void test_build_labels(void **state)
{
	const char *root = *state;
	char *data0, *data1, *sum0, *sum1, *v;

	put(root, "a/__manifest__.py", "{'version': '19.0.1.0.3', "
	    "'data': ['views/a.xml']}");
	put(root, "a/views/a.xml", "<odoo/>");
	put(root, "a/controllers/main.py", "x = 1\n");
	put(root, "bad/__manifest__.py", "{'version': ");
	v = label_of(root, ADDON_VERSION_PREFIX, "a");
	assert_string_equal(v, "19.0.1.0.3");
	free(v);
	/* a manifest that does not parse: no version label, a checksum */
	assert_null(label_of(root, ADDON_VERSION_PREFIX, "bad"));
	v = label_of(root, ADDON_LABEL_PREFIX, "bad");
	assert_non_null(v);
	free(v);
	data0 = label_of(root, ADDON_DATA_PREFIX, "a");
	sum0 = label_of(root, ADDON_LABEL_PREFIX, "a");
	/* a controller: the checksum changes, the database's does not */
	put(root, "a/controllers/main.py", "x = 2\n");
	data1 = label_of(root, ADDON_DATA_PREFIX, "a");
	sum1 = label_of(root, ADDON_LABEL_PREFIX, "a");
	assert_string_equal(data0, data1);
	assert_string_not_equal(sum0, sum1);
	free(data1);
	/* a view: both change */
	put(root, "a/views/a.xml", "<odoo><data/></odoo>");
	data1 = label_of(root, ADDON_DATA_PREFIX, "a");
	assert_string_not_equal(data0, data1);
	free(data0);
	free(data1);
	free(sum0);
	free(sum1);
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
		cmocka_unit_test_setup_teardown(test_build_labels, setup,
						teardown),
		cmocka_unit_test(test_missing_dir),
	};

	return cmocka_run_group_tests_name("addons", tests, NULL, NULL);
}
