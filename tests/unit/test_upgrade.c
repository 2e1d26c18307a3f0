#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "release/upgrade.h"
#include "core/util.h"

#define L(t) "2026-11-27 04:05:14,842 1 " t
#define LOADED L("INFO central odoo.modules.loading: Modules loaded.\n")

static json_t *labels(const char *json)
{
	json_error_t e;
	json_t *o = json_loads(json, 0, &e);

	assert_non_null(o);
	return o;
}

static void test_diff(void **unused)
{
	json_t *old = labels("{\"odooctl.addon.a\": \"sha256:1\", "
			     "\"odooctl.addon.b\": \"sha256:2\", "
			     "\"odooctl.addon.gone\": \"sha256:3\", "
			     "\"org.opencontainers.image.revision\": \"x\"}");
	json_t *new = labels("{\"odooctl.addon.b\": \"sha256:2\", "
			     "\"odooctl.addon.a\": \"sha256:9\", "
			     "\"odooctl.addon.z\": \"sha256:5\", "
			     "\"odooctl.addon.c\": \"sha256:4\", "
			     "\"org.opencontainers.image.revision\": \"y\"}");
	struct addon_diff d;
	char *mods;

	(void)unused;
	upgrade_diff(old, new, &d);
	assert_false(d.unknown);
	assert_int_equal(d.nchanged, 1);
	assert_string_equal(d.changed[0], "a");
	assert_int_equal(d.nadded, 2);
	assert_string_equal(d.added[0], "c");	/* sorted */
	assert_string_equal(d.added[1], "z");
	assert_int_equal(d.nremoved, 1);
	assert_string_equal(d.removed[0], "gone");
	assert_true(upgrade_needed(&d));
	mods = upgrade_modules(&d);
	assert_string_equal(mods, "a,c,z");
	free(mods);
	addon_diff_release(&d);

	/* the same checksums, other labels differ: code-only */
	upgrade_diff(old, old, &d);
	assert_false(upgrade_needed(&d));
	mods = upgrade_modules(&d);
	assert_string_equal(mods, "");
	free(mods);
	addon_diff_release(&d);
	json_decref(old);
	json_decref(new);
}

static void test_diff_unknown(void **unused)
{
	json_t *new = labels("{\"odooctl.addon.b\": \"sha256:2\", "
			     "\"odooctl.addon.a\": \"sha256:1\"}");
	json_t *none = labels("{\"odooctl.addon.\": \"sha256:0\"}");
	struct addon_diff d;
	char *mods;

	(void)unused;
	/* no running labels at all (NULL), or none that names an addon */
	for (int i = 0; i < 2; i++) {
		upgrade_diff(i ? none : NULL, new, &d);
		assert_true(d.unknown);
		assert_true(upgrade_needed(&d));
		mods = upgrade_modules(&d);
		assert_string_equal(mods, "a,b");
		free(mods);
		addon_diff_release(&d);
	}
	/* a new image without labels: nothing to upgrade */
	upgrade_diff(new, NULL, &d);
	assert_false(upgrade_needed(&d));
	assert_int_equal(d.nremoved, 2);
	addon_diff_release(&d);
	json_decref(new);
	json_decref(none);
}

static void judge(const char *out, int code, int want, const char *cause)
{
	char *why = NULL;

	assert_int_equal(upgrade_judge(out, code, &why), want);
	if (cause) {
		assert_non_null(why);
		if (!strstr(why, cause))
			fail_msg("'%s' does not say '%s'", why, cause);
	}
	free(why);
}

static void test_judge(void **unused)
{
	(void)unused;
	judge(L("INFO central odoo.modules.loading: loading 3 modules...\n")
	      LOADED L("INFO central odoo.service.server: Initiating shutdown"),
	      0, 0, NULL);
	judge(LOADED, 0, 0, NULL);
	/* WARNING lines are fine, unless they are the known traps */
	judge(L("WARNING central odoo.models: a field is deprecated\n") LOADED,
	      0, 0, NULL);
	judge(L("WARNING central odoo.modules.loading: invalid module names, "
		"ignored: nope\n") LOADED, 0, -1, "invalid module names");
	judge(L("ERROR central odoo.modules.loading: Some modules are not "
		"loaded, some dependencies or manifest may be missing: "
		"['x']\n") LOADED, 0, -1, "exited 0 but its output says");
	judge(L("WARNING central odoo.modules.loading: Some modules are not "
		"loaded\n") LOADED, 0, -1, "Some modules are not loaded");
	judge(L("WARNING central odoo.modules.graph: module x: inconsistent "
		"states\n") LOADED, 0, -1, "inconsistent states");
	judge(L("CRITICAL central odoo.service.server: Failed to initialize "
		"database `central`.\n"), 1, -1,
	      "exited with status 1: CRITICAL");
	judge("Traceback (most recent call last):\n  File \"x\"\n" LOADED, 0,
	      -1, "Traceback");
	/* exit 0, no error, but no "Modules loaded." */
	judge(L("INFO central odoo: nothing\n"), 0, -1, "Modules loaded");
	judge("", 0, -1, "Modules loaded");
	judge(NULL, 0, -1, "Modules loaded");
	/* a non-zero exit with a clean log still fails */
	judge(LOADED, 137, -1, "exited with status 137");
	/* "ERROR" in a message, not as the level, is not an error line */
	judge(L("INFO central odoo.addons.x: ERROR codes table loaded\n")
	      LOADED, 0, 0, NULL);
	/* a level-looking word in a line of another shape does not count */
	judge("ERROR is just a word here\n" LOADED, 0, 0, NULL);
	/* no trailing newline, a long line is cut in the message */
	{
		char big[2048];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		char *out = xasprintf(LOADED L("ERROR central y: %s"), big);

		judge(out, 0, -1, "...");
		free(out);
	}
}

/* The ends of real Odoo 19 upgrades that failed (exit 255). */
#define FAILED L("ERROR central odoo.registry: Failed to load registry \n") \
	L("CRITICAL central odoo.service.server: Failed to initialize " \
	  "database `central`.\n") \
	"Traceback (most recent call last):\n" \
	"  File \"/opt/odoo/odoo/service/server.py\", line 1514, in " \
	"preload_registries\n" \
	"    registry = Registry.new(dbname, update_module=update_module)\n" \
	"               ^^^^^^^^^^^^^\n"

static void test_judge_reason(void **unused)
{
	char *why = NULL;

	(void)unused;
	judge(FAILED "RuntimeError: vendor_api: missing configuration\n", 255,
	      -1, "Failed to load registry ; Odoo: RuntimeError: vendor_api: "
	      "missing configuration");
	/* a view's error: the prose of the message, not the XML it quotes */
	assert_int_equal(upgrade_judge(FAILED
		"odoo.tools.convert.ParseError: while parsing /mnt/extra-"
		"addons/o/views/broken.xml:3\n"
		"Error while validating view near:\n\n"
		"<list string=\"OCR Billing Events\" create=\"false\">\n"
		"                <field name=\"received_at\"/>\n\n"
		"Field \"vendor_reference\" does not exist in model \"ocr\"\n\n"
		"View error context:\n"
		"{'file': '/mnt/extra-addons/o/views/broken.xml',\n"
		" 'line': 2}\n"
		L("INFO central odoo.service.server: Initiating shutdown\n"),
		255, &why), -1);
	assert_string_equal(why, "the upgrade exited with status 255: ERROR "
			    "central odoo.registry: Failed to load registry ; "
			    "Odoo: odoo.tools.convert.ParseError: while "
			    "parsing /mnt/extra-addons/o/views/broken.xml:3 / "
			    "Field \"vendor_reference\" does not exist in "
			    "model \"ocr\"");
	free(why);
	/* chained exceptions: the first one is the cause */
	judge(FAILED "ValueError: External ID not found in the system: "
	      "o.no_such_menu\n\nThe above exception was the direct cause "
	      "of the following exception:\n\n"
	      "Traceback (most recent call last):\n  File \"x\"\n"
	      "odoo.tools.convert.ParseError: while parsing x.xml:4\n", 255,
	      -1, "Odoo: ValueError: External ID not found in the system: "
	      "o.no_such_menu");
	/* a traceback alone, no log line: its exception is the reason */
	judge("Traceback (most recent call last):\n  File \"x\"\n"
	      "KeyError: 'x'\n", 1, -1, "exited with status 1: Odoo: "
	      "KeyError: 'x'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_diff_unknown),
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_judge_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
