#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lint/lint.h"
#include "lint/lint_assets.h"
#include "lint/manifest.h"
#include "odoo/odoo19.h"
#include "core/util.h"

/* tests/fixtures/manifests, found from this file's path. */
static char *fixture(const char *sub)
{
	const char *slash = strrchr(__FILE__, '/');

	return xasprintf("%.*s/../fixtures/manifests/%s",
			 slash ? (int)(slash - __FILE__) : 1,
			 slash ? __FILE__ : ".", sub);
}

static void lint_flags(const char *path, unsigned flags,
		       struct lint_report *r)
{
	char *why = NULL;

	lint_report_init(r);
	if (lint_paths(&path, 1, flags, r, &why) < 0)
		fail_msg("lint %s: %s", path, why);
	lint_report_sort(r);
}

static void lint(const char *path, int python, struct lint_report *r)
{
	lint_flags(path, LINT_FILES | (python ? LINT_PYTHON : 0), r);
}

static void show(const struct lint_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		print_message("  %s:%d:%d: %s: %s: %s\n", r->v[i].file,
			      r->v[i].line, r->v[i].col,
			      lint_severity_name(r->v[i].severity),
			      r->v[i].rule, r->v[i].message);
}

static void test_passing_tree(void **state)
{
	char *dir = fixture("ok");
	struct lint_report r;

	(void)state;
	lint(dir, 1, &r);
	show(&r);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.addons, 4);
	if (r.py_files >= 0)
		assert_int_equal(r.py_files, 5);
	lint_report_release(&r);
	free(dir);
}

/*
 * Each failing fixture (its comment cites the line of Odoo 19 it mirrors)
 * fails its rule only, as many times as given, at the severity given.
 */
static void test_failing_fixtures(void **state)
{
	static const struct {
		const char *dir, *rule;
		size_t count;
		enum lint_severity severity;
	} cases[] = {
		{ "bad/syntax", "syntax", 1, LINT_ERROR },
		{ "bad/manifest_type", "manifest-type", 1, LINT_ERROR },
		{ "bad/name", "name", 1, LINT_NOTE },
		{ "bad/author", "author", 1, LINT_WARNING },
		{ "bad/license", "license", 1, LINT_ERROR },
		{ "bad/license_missing", "license", 1, LINT_WARNING },
		{ "bad/version", "version", 1, LINT_ERROR },
		{ "bad/depends", "depends", 1, LINT_ERROR },
		{ "bad/auto_install", "auto_install", 1, LINT_ERROR },
		{ "bad/data_file", "data-file", 1, LINT_ERROR },
		{ "bad/demo_file", "data-file", 1, LINT_WARNING },
		{ "bad/external_dependencies", "external-dependencies", 1,
		  LINT_ERROR },
		{ "bad/type", "type", 1, LINT_ERROR },
		{ "bad/deprecated_key", "deprecated-key", 1, LINT_WARNING },
		{ "bad/ignored_key", "ignored-key", 1, LINT_NOTE },
		{ "bad/addon-name", "addon-name", 1, LINT_ERROR },
		{ "bad/python_syntax", "python-syntax", 1, LINT_ERROR },
		{ "cycle", "depends-cycle", 1, LINT_ERROR },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *dir = fixture(cases[i].dir);
		int python = !strcmp(cases[i].rule, "python-syntax");
		struct lint_report r;

		lint(dir, python, &r);
		if (python && r.py_files < 0) {
			print_message("python3 missing: %s not checked\n", dir);
		} else if (r.n != cases[i].count) {
			show(&r);
			fail_msg("%s: %zu findings, want %zu", cases[i].dir,
				 r.n, cases[i].count);
		}
		for (size_t j = 0; j < r.n; j++)
			if (strcmp(r.v[j].rule, cases[i].rule) ||
			    r.v[j].severity != cases[i].severity)
				fail_msg("%s: %s %s, want %s %s", cases[i].dir,
					 lint_severity_name(r.v[j].severity),
					 r.v[j].rule,
					 lint_severity_name(cases[i].severity),
					 cases[i].rule);
		lint_report_release(&r);
		free(dir);
	}
}

/* bad/assets: one finding of each kind, at Odoo's severity. */
static void test_assets_fixture(void **state)
{
	static const struct {
		int line;
		enum lint_severity severity;
		const char *says;
	} want[] = {
		{ 14, LINT_ERROR, "'assets/static/src/missing.js' in bundle "
		  "'web.assets_backend' is no asset file" },
		{ 15, LINT_WARNING, "matches no asset file" },
		{ 16, LINT_ERROR, "has an unknown directive" },
		{ 17, LINT_NOTE, "includes 'web._assets_no_such_bundle', which "
		  "no manifest declares" },
	};
	char *dir = fixture("bad/assets");
	struct lint_report r;

	(void)state;
	lint(dir, 0, &r);
	show(&r);
	assert_int_equal(r.n, ARRAY_SIZE(want));
	for (size_t i = 0; i < r.n; i++) {
		assert_string_equal(r.v[i].rule, "assets");
		assert_int_equal(r.v[i].line, want[i].line);
		assert_int_equal(r.v[i].severity, want[i].severity);
		assert_non_null(strstr(r.v[i].message, want[i].says));
	}
	assert_int_equal(lint_report_count(&r, LINT_ERROR), 2);
	assert_int_equal(lint_report_count(&r, LINT_WARNING), 3);
	lint_report_release(&r);
	/* without the files: the paths are not looked for */
	lint_flags(dir, 0, &r);
	show(&r);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.v[0].line, 16);
	assert_int_equal(r.v[1].severity, LINT_NOTE);
	lint_report_release(&r);
	free(dir);
}

/* --no-files: what the data files need is not looked at. */
static void test_no_files(void **state)
{
	char *dir = fixture("bad/data_file");
	struct lint_report r;

	(void)state;
	lint_flags(dir, 0, &r);
	assert_int_equal(r.n, 0);
	lint_report_release(&r);
	free(dir);
}

/* Lints one addon whose manifest is text; returns the rules found. */
static char *lint_text(const char *text)
{
	char root[] = "/tmp/odooctl-test-manifest-XXXXXX", *dir, *path, *why;
	struct lint_report r;
	struct buf rules;

	assert_non_null(mkdtemp(root));
	dir = xasprintf("%s/my_addon", root);
	path = xasprintf("%s/" MANIFEST_NAME, dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	why = NULL;
	assert_int_equal(file_write_atomic(path, text, strlen(text), 0644,
					   &why), 0);
	lint(dir, 0, &r);
	buf_init(&rules, 1 << 16);
	for (size_t i = 0; i < r.n; i++)
		buf_printf(&rules, "%s%s", i ? " " : "", r.v[i].rule);
	lint_report_release(&r);
	unlink(path);
	rmdir(dir);
	rmdir(root);
	free(path);
	free(dir);
	return buf_detach(&rules, NULL);
}

static void assert_text_rules(const char *text, const char *want)
{
	char *got = lint_text(text);

	if (strcmp(got, want))
		fail_msg("%s: rules '%s', want '%s'", text, got, want);
	free(got);
}

static void assert_rules(const char *fields, const char *want)
{
	char *text = xasprintf("{'name': 'n', 'author': 'a', %s}", fields);

	assert_text_rules(text, want);
	free(text);
}

static void test_versions(void **state)
{
	static const char *const ok[] = {
		"19.0.1.0.0", "19.0.1.0", "19.0.1", "1.0", "1.0.0", "0.1",
		"2.10.300",
	};
	static const char *const bad[] = {
		"19.0", "18.0.1.0.0", "1", "1.0.0.0", "a.b", "19.0.1.0.0.0",
		"19.0.x.0.0", "1..0", "19.01", "",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		char *f = xasprintf("'license': 'LGPL-3', 'version': '%s'",
				    ok[i]);

		assert_rules(f, "");
		free(f);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *f = xasprintf("'license': 'LGPL-3', 'version': '%s'",
				    bad[i]);

		assert_rules(f, "version");
		free(f);
	}
	/* Odoo reads str(version) (module.py:460) */
	assert_rules("'license': 'LGPL-3', 'version': 1.0", "");
	assert_rules("'license': 'LGPL-3', 'version': 19.0", "version");
	assert_rules("'license': 'LGPL-3', 'version': 1", "version");
	assert_rules("'license': 'LGPL-3', 'version': ['19.0.1.0.0']",
		     "version");
	/* int() takes blanks, a sign and '_' between digits */
	assert_rules("'license': 'LGPL-3', 'version': '19.0.1_0.0. 1'", "");
	/* not installable: the version is not checked (module.py:462) */
	assert_rules("'license': 'LGPL-3', 'version': '18.0.1.0.0', "
		     "'installable': False", "");
}

static void test_licenses(void **state)
{
	static const char *const ok[] = {
		"GPL-2", "GPL-2 or any later version", "GPL-3",
		"GPL-3 or any later version", "AGPL-3", "LGPL-3",
		"Other OSI approved licence", "OEEL-1", "OPL-1",
		"Other proprietary",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		char *f = xasprintf("'license': '%s'", ok[i]);

		assert_rules(f, "");
		free(f);
	}
	assert_rules("'license': 'MIT'", "license");
	assert_rules("'license': 'lgpl-3'", "license");
	assert_rules("'license': ''", "license");
	assert_rules("'license': 3", "license");
	assert_rules("'version': '1.0'", "license");
}

static void test_depends_and_auto_install(void **state)
{
	(void)state;
	assert_rules("'license': 'LGPL-3', 'depends': ['base', 'sale', "
		     "'website_sale']", "");
	assert_rules("'license': 'LGPL-3', 'depends': 'base'", "depends");
	assert_rules("'license': 'LGPL-3', 'depends': ['base', 1]", "depends");
	assert_rules("'license': 'LGPL-3', 'depends': ['my-module']",
		     "depends");
	/* falsy depends are ['base'] (module.py:437-439) */
	assert_rules("'license': 'LGPL-3', 'depends': None, "
		     "'auto_install': ['base']", "");
	assert_rules("'license': 'LGPL-3', 'depends': 5", "depends");
	assert_rules("'license': 'LGPL-3', 'depends': {'base', 'sale'}", "");
	assert_rules("'license': 'LGPL-3', 'depends': ['sale'], "
		     "'auto_install': True", "");
	assert_rules("'license': 'LGPL-3', 'depends': ['sale'], "
		     "'auto_install': ['sale']", "");
	assert_rules("'license': 'LGPL-3', 'depends': ['sale'], "
		     "'auto_install': []", "");
	assert_rules("'license': 'LGPL-3', 'depends': ['sale'], "
		     "'auto_install': 'sale'", "auto_install");
	assert_rules("'license': 'LGPL-3', 'depends': ['sale'], "
		     "'auto_install': ['sale', 'stock']", "auto_install");
	/* Odoo's own dependency on itself is a cycle */
	assert_rules("'license': 'LGPL-3', 'depends': ['my_addon']",
		     "depends-cycle");
}

static void test_files_and_external(void **state)
{
	(void)state;
	assert_rules("'license': 'LGPL-3', 'data': ['../x.xml', '/etc/passwd',"
		     " '']", "data-file data-file data-file");
	assert_rules("'license': 'LGPL-3', 'data': '__manifest__.py'",
		     "data-file");
	assert_rules("'license': 'LGPL-3', 'demo': ['__manifest__.py']",
		     "data-file");
	assert_rules("'license': 'LGPL-3', 'external_dependencies': "
		     "{'python': ['lxml>=4.9', 'python-dateutil', "
		     "'pdfminer.six; python_version > \"3\"'], "
		     "'bin': ['wkhtmltopdf']}",
		     "");
	assert_rules("'license': 'LGPL-3', 'external_dependencies': "
		     "{'python': ['>=1', ''], 'bin': [3]}",
		     "external-dependencies external-dependencies "
		     "external-dependencies");
	assert_rules("'license': 'LGPL-3', 'external_dependencies': "
		     "['requests']", "external-dependencies");
	assert_rules("'license': 'LGPL-3', 'external_dependencies': "
		     "{'python': ['requests'], 'apt': {'requests': "
		     "'python3-requests'}, 'other': 1}", "");
	assert_rules("'license': 'LGPL-3', 'external_dependencies': []", "");
}

/* Keys Odoo reads as they are, types it relies on, keys it ignores. */
static void test_keys(void **state)
{
	(void)state;
	assert_rules("'license': 'LGPL-3', 'description': 'Long text', "
		     "'installable': 'True', 'website': 3", "");
	assert_rules("'license': 'LGPL-3', 'description': ['x']", "type");
	assert_rules("'license': 'LGPL-3', 'contributors': ['a', 1]", "type");
	assert_rules("'license': 'LGPL-3', 'post_load': 1", "type");
	assert_rules("'license': 'LGPL-3', 'sequence': '10'", "");
	assert_rules("'license': 'LGPL-3', 'sequence': 'ten'", "type");
	assert_rules("'license': 'LGPL-3', 'init_xml': []", "");
	assert_rules("'license': 'LGPL-3', 'qweb': ['x.xml'], 'active': True",
		     "ignored-key ignored-key");
	assert_rules("'license': 'LGPL-3', 'assets': []", "assets");
	assert_rules("'license': 'LGPL-3', 'assets': {'b.x': 'a/static/x.js'}",
		     "assets");
	assert_rules("'license': 'LGPL-3', 'assets': {'b.x': [('before', "
		     "'x.js')]}", "assets");
}

/* A list of (key, value) pairs is a manifest to Odoo (dict.update). */
static void test_pairs(void **state)
{
	(void)state;
	assert_text_rules("[('name', 'n'), ('author', 'a'), "
			  "('license', 'MIT'), ('license', 'LGPL-3')]", "");
	assert_text_rules("(('name', 'n'), ('license', 'MIT'), 'ab')",
			  "author license");
	assert_text_rules("[('name', 'n', 'x')]", "manifest-type");
	assert_text_rules("'name'", "manifest-type");
}

/* Python's glob(recursive=True) on paths of an addon's static/. */
static void test_glob(void **state)
{
	static const struct {
		const char *pattern, *path;
		int match;
	} cases[] = {
		{ "a/static/src/**/*", "a/static/src/x.js", 1 },
		{ "a/static/src/**/*", "a/static/src/b/c/x.js", 1 },
		{ "a/static/src/**", "a/static/src/b/x.scss", 1 },
		{ "a/static/src/*.js", "a/static/src/b/x.js", 0 },
		{ "a/static/src/*.js", "a/static/src/.x.js", 0 },
		{ "a/static/src/**/*.js", "a/static/src/.b/x.js", 0 },
		{ "a/static/src/.b/*.js", "a/static/src/.b/x.js", 1 },
		{ "a/static/src/x[12].js", "a/static/src/x2.js", 1 },
		{ "a/static/src/x?.js", "a/static/src/x12.js", 0 },
		{ "a/static/src/x.js", "a/static/src/x.js", 1 },
		{ "a/static/**/tests/*", "a/static/src/tests/t.js", 1 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		if (lint_glob_match(cases[i].pattern, cases[i].path) !=
		    cases[i].match)
			fail_msg("glob '%s' on '%s': want %d", cases[i].pattern,
				 cases[i].path, cases[i].match);
}

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

static void assert_prefix(const char *got, const char *want)
{
	if (strncmp(got, want, strlen(want)))
		fail_msg("'%s' does not start with '%s'", got, want);
}

/*
 * The data-file rule answers as stat does, whether a directory is read
 * once (4 or more files listed from it) or each file is stat'ed.
 */
static void test_data_file_kinds(void **state)
{
	static const char *const dirs[] = { "few", "many" };
	char root[] = "/tmp/odooctl-test-files-XXXXXX";
	struct lint_report r;
	char *addon, *rm;

	(void)state;
	assert_non_null(mkdtemp(root));
	addon = xasprintf("%s/a", root);
	put(root, "a/__manifest__.py", "{'name': 'A', 'author': 'x', "
	    "'license': 'LGPL-3', 'data': ['few/ok.xml', 'few/gone.xml', "
	    "'few/dir.xml', 'many/ok.xml', 'many/gone.xml', 'many/dir.xml', "
	    "'many/link.xml', 'many/dangling.xml', 'many/fifo.xml', "
	    "'many/dirlink.xml', 'many/ok.xml', 'flat.xml', 'few/.', "
	    "'many/']}");
	put(root, "a/flat.xml", "");
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char *p = xasprintf("%s/%s/ok.xml", addon, dirs[i]);

		put(addon, strchr(p + strlen(addon), '/') + 1, "<odoo/>");
		free(p);
		p = xasprintf("%s/%s/dir.xml", addon, dirs[i]);
		assert_int_equal(mkdir(p, 0755), 0);
		free(p);
	}
	assert_int_equal(chdir(addon), 0);
	assert_int_equal(symlink("ok.xml", "many/link.xml"), 0);
	assert_int_equal(symlink("nowhere.xml", "many/dangling.xml"), 0);
	assert_int_equal(symlink("dir.xml", "many/dirlink.xml"), 0);
	assert_int_equal(mkfifo("many/fifo.xml", 0644), 0);
	assert_int_equal(chdir("/"), 0);
	lint(addon, 0, &r);
	show(&r);
	assert_int_equal(r.n, 9);
	assert_prefix(r.v[0].message, "'few/gone.xml' in 'data' does "
			    "not exist");
	assert_prefix(r.v[1].message, "'few/dir.xml' in 'data' is not "
			    "a file");
	assert_prefix(r.v[2].message, "'many/gone.xml' in 'data' does "
			    "not exist");
	assert_prefix(r.v[3].message, "'many/dir.xml' in 'data' is not "
			    "a file");
	assert_prefix(r.v[4].message, "'many/dangling.xml' in 'data' "
			    "does not exist");
	assert_prefix(r.v[5].message, "'many/fifo.xml' in 'data' is not "
			    "a file");
	assert_prefix(r.v[6].message, "'many/dirlink.xml' in 'data' is "
			    "not a file");
	assert_prefix(r.v[7].message, "'few/.' in 'data' is not a "
			    "file");
	assert_prefix(r.v[8].message, "'many/' in 'data' is not a "
			    "file");
	lint_report_release(&r);
	rm = xasprintf("rm -rf '%s'", root);
	assert_int_equal(system(rm), 0);
	free(rm);
	free(addon);
}

/*
 * A directory that may be read but not searched: its names can be listed,
 * but the files cannot be reached (stat, Odoo): each is reported, as a
 * stat per file always did. As root (who may search any directory) in a
 * child that becomes nobody.
 */
static void test_data_dir_unsearchable(void **state)
{
	char root[] = "/tmp/odooctl-test-locked-XXXXXX";
	char *addon, *locked, *rm;
	int status;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(root));
	assert_int_equal(chmod(root, 0755), 0);
	addon = xasprintf("%s/b", root);
	put(root, "b/__manifest__.py", "{'name': 'B', 'author': 'x', "
	    "'license': 'LGPL-3', 'data': ['locked/1.xml', 'locked/2.xml', "
	    "'locked/3.xml', 'locked/4.xml']}");
	for (int i = 1; i <= 4; i++) {
		char *f = xasprintf("b/locked/%d.xml", i);

		put(root, f, "<odoo/>");
		free(f);
	}
	locked = xasprintf("%s/locked", addon);
	rm = xasprintf("chmod -R a+rX '%s' && chmod 0644 '%s'", root, locked);
	assert_int_equal(system(rm), 0);
	free(rm);
	pid = fork();
	if (pid == 0) {
		struct lint_report r;

		if (getuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(2);
		lint(addon, 0, &r);
		_exit(r.n == 4 && strstr(r.v[0].message, "does not exist") ?
		      0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(chmod(locked, 0755), 0);
	rm = xasprintf("rm -rf '%s'", root);
	assert_int_equal(system(rm), 0);
	free(rm);
	free(locked);
	free(addon);
}

static void test_usage_errors(void **state)
{
	char root[] = "/tmp/odooctl-test-empty-XXXXXX";
	const char *path = "/nonexistent/addons";
	struct lint_report r;
	char *why = NULL;

	(void)state;
	lint_report_init(&r);
	assert_int_equal(lint_paths(&path, 1, 0, &r, &why), -1);
	assert_non_null(strstr(why, "cannot lint '/nonexistent/addons'"));
	free(why);
	assert_non_null(mkdtemp(root));
	path = root;
	why = NULL;
	assert_int_equal(lint_paths(&path, 1, 0, &r, &why), -1);
	assert_non_null(strstr(why, "no addon in"));
	free(why);
	rmdir(root);
	lint_report_release(&r);
}

/* odoo19_data.c, generated from the Odoo 19 tarball */
static void test_odoo19_data(void **state)
{
	const char *const *v;
	size_t n;

	(void)state;
	assert_true(odoo19_module("base"));
	assert_true(odoo19_module("account"));
	assert_true(odoo19_module("website_timesheet"));
	assert_true(odoo19_module("l10n_jp"));
	/* test_mail's dependency, which the tarball lacks */
	assert_true(odoo19_module("test_orm"));
	assert_false(odoo19_module("odoo"));
	assert_false(odoo19_module("vendor_ops_core"));
	assert_false(odoo19_module(""));
	assert_true(odoo19_bundle("web.assets_backend"));
	assert_false(odoo19_bundle("web.assets_nothing"));
	assert_true(odoo19_tree("web"));
	assert_false(odoo19_tree("account"));
	n = odoo19_static_files("web", &v);
	assert_true(n > 1000);
	assert_true(str_starts_with(v[0], "web/static/"));
	assert_true(str_starts_with(v[n - 1], "web/static/"));
	for (size_t i = 1; i < n; i++)
		assert_true(strcmp(v[i - 1], v[i]) < 0);
	assert_int_equal(odoo19_static_files("account", &v), 0);
	assert_int_equal(odoo19_static_files("we", &v), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passing_tree),
		cmocka_unit_test(test_failing_fixtures),
		cmocka_unit_test(test_assets_fixture),
		cmocka_unit_test(test_no_files),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_licenses),
		cmocka_unit_test(test_depends_and_auto_install),
		cmocka_unit_test(test_files_and_external),
		cmocka_unit_test(test_data_file_kinds),
		cmocka_unit_test(test_data_dir_unsearchable),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_odoo19_data),
	};

	return cmocka_run_group_tests_name("manifest", tests, NULL, NULL);
}
