/* upgrade_trigger: the version rule, its fallback, the gate's warning,
 * what history and status say, and the labels the build writes for it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lint/addon_meta.h"
#include "lint/addons.h"
#include "release/trigger.h"
#include "core/util.h"

static json_t *labels(const char *json)
{
	json_error_t e;
	json_t *o = json_loads(json, 0, &e);

	if (!o)
		fail_msg("%s: %s", json, e.text);
	return o;
}

#define A(n, s, v, d) "\"odooctl.addon." n "\": \"" s "\", " \
	"\"odooctl.addon-version." n "\": \"" v "\", " \
	"\"odooctl.addon-data." n "\": \"" d "\""

/* old and new labels: a version bump, a code-only change, a stale one, a
 * new addon, one unchanged, one with no version label on one side. */
static json_t *old_labels(void)
{
	return labels("{" A("bumped", "s1", "19.0.1.0.1", "d1") ", "
		      A("ctrl", "s2", "19.0.1.0.0", "d2") ", "
		      A("stale", "s3", "19.0.2.0.0", "d3") ", "
		      A("same", "s4", "19.0.1.0.0", "d4") ", "
		      "\"odooctl.addon.nolabel\": \"s5\"}");
}

static json_t *new_labels(void)
{
	return labels("{" A("bumped", "S1", "19.0.1.0.2", "D1") ", "
		      A("ctrl", "S2", "19.0.1.0.0", "d2") ", "
		      A("stale", "S3", "19.0.2.0.0", "D3") ", "
		      A("same", "s4", "19.0.1.0.0", "d4") ", "
		      A("nolabel", "S5", "19.0.1.0.0", "d5") ", "
		      A("fresh", "s6", "19.0.1.0.0", "d6") "}");
}

static void diff_with(json_t *old, json_t *new, enum upgrade_trigger t,
		      struct addon_diff *d)
{
	upgrade_diff(old, new, d);
	trigger_apply(old, new, t, d);
}

static void test_version_rule(void **unused)
{
	json_t *old = old_labels(), *new = new_labels();
	struct addon_diff d;
	char *mods;

	(void)unused;
	diff_with(old, new, UPGRADE_BY_VERSION, &d);
	assert_false(d.fallback);
	assert_int_equal(d.nchanged, 2);
	assert_string_equal(d.changed[0], "bumped");
	assert_string_equal(d.why[0], "version:19.0.1.0.1->19.0.1.0.2");
	assert_string_equal(d.changed[1], "nolabel");	/* never skipped */
	assert_string_equal(d.why[1], "no-version");
	assert_int_equal(d.nheld, 2);
	assert_string_equal(d.held[0], "ctrl");
	assert_string_equal(d.held[1], "stale");
	/* the gate's warning: only where the database files changed */
	assert_int_equal(d.nstale, 1);
	assert_string_equal(d.stale[0], "stale");
	mods = upgrade_modules(&d);
	assert_string_equal(mods, "bumped,nolabel,fresh");
	free(mods);
	assert_string_equal(trigger_name(&d, 2), "fresh");
	assert_string_equal(trigger_why(&d, 2), "new");
	assert_null(trigger_name(&d, 3));
	addon_diff_release(&d);

	/* the checksum rule: every changed addon, as before */
	diff_with(old, new, UPGRADE_BY_CHECKSUM, &d);
	mods = upgrade_modules(&d);
	assert_string_equal(mods, "bumped,ctrl,nolabel,stale,fresh");
	free(mods);
	for (size_t i = 0; i < d.nchanged; i++)
		assert_string_equal(trigger_why(&d, i), "checksum");
	assert_int_equal(d.nheld, 0);
	addon_diff_release(&d);
	json_decref(old);
	json_decref(new);
}

static void test_only_code_changed(void **unused)
{
	json_t *old = labels("{" A("ctrl", "s2", "19.0.1.0.0", "d2") "}");
	json_t *new = labels("{" A("ctrl", "S2", "19.0.1.0.0", "d2") "}");
	struct addon_diff d;

	(void)unused;
	diff_with(old, new, UPGRADE_BY_VERSION, &d);
	assert_false(upgrade_needed(&d));	/* the code-only path */
	assert_int_equal(d.nheld, 1);
	assert_int_equal(d.nstale, 0);		/* no warning */
	addon_diff_release(&d);
	json_decref(old);
	json_decref(new);
}

static void test_fallback(void **unused)
{
	/* images built before the version labels: the checksum rule */
	json_t *bare = labels("{\"odooctl.addon.ctrl\": \"s2\", "
			      "\"odooctl.addon.same\": \"s4\"}");
	json_t *new = labels("{" A("ctrl", "S2", "19.0.1.0.0", "d2") ", "
			     A("same", "s4", "19.0.1.0.0", "d4") "}");
	struct addon_diff d;

	(void)unused;
	diff_with(bare, new, UPGRADE_BY_VERSION, &d);
	assert_int_equal(d.fallback, 1);
	assert_int_equal(d.nchanged, 1);
	assert_string_equal(d.changed[0], "ctrl");
	assert_string_equal(d.why[0], "checksum");
	assert_int_equal(d.nheld, 0);
	addon_diff_release(&d);
	diff_with(new, bare, UPGRADE_BY_VERSION, &d);
	assert_int_equal(d.fallback, 2);
	assert_int_equal(d.nchanged, 1);
	addon_diff_release(&d);
	/* no checksums at all in the running release: every addon */
	diff_with(NULL, new, UPGRADE_BY_VERSION, &d);
	assert_false(d.fallback);
	assert_int_equal(d.nchanged, 2);
	assert_string_equal(d.why[1], "unknown");
	addon_diff_release(&d);
	json_decref(bare);
	json_decref(new);
}

/* What trigger_log says, from stderr. */
static char *logged(const struct addon_diff *d, enum upgrade_trigger t)
{
	char path[] = "/tmp/odooctl-test-trigger-XXXXXX", *text, *why;
	int fd = mkstemp(path), saved = dup(2);

	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	trigger_log(d, t, "sha256:old");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	text = file_read(path, 1 << 20, NULL, &why);
	assert_non_null(text);
	unlink(path);
	return text;
}

static void test_gate_warning(void **unused)
{
	json_t *old = old_labels(), *new = new_labels();
	json_t *bare = labels("{\"odooctl.addon.ctrl\": \"s2\"}");
	struct addon_diff d;
	char *text;

	(void)unused;
	diff_with(old, new, UPGRADE_BY_VERSION, &d);
	text = logged(&d, UPGRADE_BY_VERSION);
	assert_non_null(strstr(text, "addon stale changed (models, data or "
				     "views) but its version did not: it is "
				     "not upgraded"));
	assert_null(strstr(text, "addon ctrl changed"));
	assert_non_null(strstr(text, "ctrl: changed, same version: not "
				     "upgraded (code-only)"));
	assert_non_null(strstr(text, "stale: changed, same version: not "
				     "upgraded (code-only)"));
	free(text);
	addon_diff_release(&d);
	diff_with(bare, new, UPGRADE_BY_VERSION, &d);
	text = logged(&d, UPGRADE_BY_VERSION);
	assert_non_null(strstr(text, "the running release sha256:old "
				     "carries no addon version labels"));
	assert_non_null(strstr(text, "the checksum rule decides"));
	free(text);
	addon_diff_release(&d);
	/* the checksum rule says nothing more */
	diff_with(old, new, UPGRADE_BY_CHECKSUM, &d);
	text = logged(&d, UPGRADE_BY_CHECKSUM);
	assert_string_equal(text, "");
	free(text);
	addon_diff_release(&d);
	json_decref(old);
	json_decref(new);
	json_decref(bare);
}

static void test_words(void **unused)
{
	char *s;

	(void)unused;
	assert_int_equal(trigger_parse("version"), UPGRADE_BY_VERSION);
	assert_int_equal(trigger_parse("checksum"), UPGRADE_BY_CHECKSUM);
	assert_int_equal(trigger_parse(NULL), UPGRADE_BY_CHECKSUM);
	s = trigger_why_text("version:19.0.1.0.1->19.0.1.0.2");
	assert_string_equal(s, "version 19.0.1.0.1 -> 19.0.1.0.2");
	free(s);
	s = trigger_why_text("new");
	assert_string_equal(s, "new addon");
	free(s);
	s = trigger_why_text("checksum");
	assert_string_equal(s, "checksum changed");
	free(s);
	s = trigger_history_status("vendor_ops", "new");
	assert_string_equal(s, "upgrade:vendor_ops:new");
	free(s);
	/* what an image's labels say cannot break a history line */
	s = trigger_history_status("a|b c\nd", "version:1->2");
	assert_string_equal(s, "upgrade:a?b?c?d:version:1->2");
	free(s);
	s = trigger_history_status(
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		"new");
	assert_int_equal(strlen(s), 200);
	free(s);
}

static void test_version_label_cleaned(void **unused)
{
	json_t *old = labels("{" A("x", "s1", "1 | 2", "d") "}");
	json_t *new = labels("{" A("x", "s2", "19.0.1.0.2", "d") "}");
	struct addon_diff d;

	(void)unused;
	diff_with(old, new, UPGRADE_BY_VERSION, &d);
	assert_string_equal(d.why[0], "version:1???2->19.0.1.0.2");
	addon_diff_release(&d);
	json_decref(old);
	json_decref(new);
}

static void test_meta(void **unused)
{
	const char *src = "{'name': 'A',\n 'version': '1.2',\n"
			  " 'data': ['security/ir.model.access.csv',"
			  " './views/a.xml', 3],\n 'demo': ['demo/d.xml']}";
	struct addon_meta m;
	char *why = NULL, *v;

	(void)unused;
	assert_int_equal(addon_meta_parse(src, strlen(src), &m, &why), 0);
	assert_string_equal(m.version, "19.0.1.2");	/* adapted */
	assert_int_equal(m.version_line, 2);
	assert_int_equal(m.nfiles, 3);
	assert_true(addon_meta_db_file(&m, "__manifest__.py"));
	assert_true(addon_meta_db_file(&m, "models/a.py"));
	assert_true(addon_meta_db_file(&m, "wizard/w.py"));
	assert_true(addon_meta_db_file(&m, "views/a.xml"));
	assert_true(addon_meta_db_file(&m, "security/ir.model.access.csv"));
	assert_true(addon_meta_db_file(&m, "demo/d.xml"));
	assert_true(addon_meta_db_file(&m, "i18n/fr.po"));
	assert_false(addon_meta_db_file(&m, "controllers/main.py"));
	assert_false(addon_meta_db_file(&m, "views/unlisted.xml"));
	assert_false(addon_meta_db_file(&m, "static/src/app.js"));
	assert_false(addon_meta_db_file(&m, "tests/test_a.py"));
	assert_false(addon_meta_db_file(&m, "README.md"));
	addon_meta_release(&m);
	/* no version: Odoo's 1.0 */
	assert_int_equal(addon_meta_parse("{}", 2, &m, &why), 0);
	assert_string_equal(m.version, "19.0.1.0");
	addon_meta_release(&m);
	assert_int_equal(addon_meta_parse("{'version': 3}", 14, &m, &why), 0);
	assert_null(m.version);
	addon_meta_release(&m);
	assert_int_equal(addon_meta_parse("[1]", 3, &m, &why), -1);
	free(why);
	assert_int_equal(addon_meta_parse("{", 1, &m, &why), -1);
	free(why);
	v = addon_meta_adapt_version("19.0.1.0.0");
	assert_string_equal(v, "19.0.1.0.0");
	free(v);
	v = addon_meta_adapt_version("19.0");
	assert_string_equal(v, "19.0.19.0");
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_rule),
		cmocka_unit_test(test_only_code_changed),
		cmocka_unit_test(test_fallback),
		cmocka_unit_test(test_gate_warning),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_version_label_cleaned),
		cmocka_unit_test(test_meta),
	};

	return cmocka_run_group_tests_name("trigger", tests, NULL, NULL);
}
