#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "migrate/migrate.h"
#include "migrate/odooconf.h"
#include "core/util.h"

static char *tmpdir(void)
{
	char *d = xstrdup("/tmp/odooctl-test-migrate-XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

static void rm_rf(char *d)
{
	char *cmd = xasprintf("rm -rf '%s'", d);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(d);
}

static void put(const char *dir, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

static void test_odoo_conf(void **state)
{
	char *d = tmpdir(), *conf = xasprintf("%s/odoo.conf", d), *why = NULL;
	char *text = xasprintf(
		"[options]\n; the seed's\naddons_path = /usr/lib/python3/"
		"dist-packages/odoo/addons, %s/extra , %s/empty\n"
		"db_host = False\ndb_port = 5433\ndb_user = odoo\n"
		"db_password = s3:cr\\et\ndb_name = central\n"
		"data_dir = /var/lib/odoo19\n[other]\ndb_name = no\n", d, d);
	char *extra = xasprintf("%s/extra/vendor_ops_core", d);
	char *empty = xasprintf("%s/empty", d), *want = NULL, *got;
	struct odoo_conf c;

	(void)state;
	put(d, "odoo.conf", text);
	assert_int_equal(mkdir_p(extra, 0755, &why), 0);
	assert_int_equal(mkdir_p(empty, 0755, &why), 0);
	put(extra, "__manifest__.py", "{'name': 'x'}");
	assert_int_equal(odoo_conf_load(conf, &c, &why), 0);
	assert_null(c.db_host);
	assert_int_equal(c.db_port, 5433);
	assert_string_equal(c.db_password, "s3:cr\\et");
	assert_string_equal(c.db_name, "central");
	assert_string_equal(c.data_dir, "/var/lib/odoo19");
	got = odoo_conf_extra_addons(&c, &why);
	want = xasprintf("%s/extra", d);
	assert_string_equal(got, want);
	free(got);
	free(want);
	odoo_conf_release(&c);

	put(d, "odoo.conf", "[options]\ndb_name = x\n");
	assert_int_equal(odoo_conf_load(conf, &c, &why), -1);
	assert_non_null(strstr(why, "sets no data_dir"));
	free(why);
	why = NULL;
	put(d, "odoo.conf", "[options]\ndb_port = 99999\n");
	assert_int_equal(odoo_conf_load(conf, &c, &why), -1);
	assert_non_null(strstr(why, "db_port '99999' is not a port"));
	free(why);
	why = NULL;
	put(d, "odoo.conf", "[options]\ndb_name = x\ndata_dir = /d\n"
	    "addons_path = /usr/lib/python3/dist-packages/odoo/addons\n");
	assert_int_equal(odoo_conf_load(conf, &c, &why), 0);
	assert_null(odoo_conf_extra_addons(&c, &why));
	assert_non_null(strstr(why, "holds an addon of its own"));
	free(why);
	odoo_conf_release(&c);
	free(empty);
	free(extra);
	free(text);
	free(conf);
	rm_rf(d);
}

static void addon(const char *dir, const char *name)
{
	char *m = xasprintf("%s/%s", dir, name), *why = NULL;

	assert_int_equal(mkdir_p(m, 0755, &why), 0);
	put(m, "__manifest__.py", "{'name': 'x'}");
	free(m);
}

/* addons_path's folder of custom addons, wherever Odoo's own are in it. */
static char *extra_of(const char *d, const char *conf, const char *path)
{
	char *text = xasprintf("[options]\ndb_name = x\ndata_dir = /d\n"
			       "addons_path = %s\n", path), *why = NULL, *got;
	struct odoo_conf c;

	put(d, "odoo.conf", text);
	assert_int_equal(odoo_conf_load(conf, &c, &why), 0);
	got = odoo_conf_extra_addons(&c, &why);
	odoo_conf_release(&c);
	free(text);
	return got;
}

static void test_odoo_conf_own_addons(void **state)
{
	char *d = tmpdir(), *conf = xasprintf("%s/odoo.conf", d);
	char *src = xasprintf("%s/src", d), *pkg = xasprintf("%s/src/odoo", d);
	char *root = xasprintf("%s/src/addons", d);
	char *inpkg = xasprintf("%s/src/odoo/addons", d);
	char *copy = xasprintf("%s/copy", d), *mine = xasprintf("%s/custom", d);
	char *other = xasprintf("%s/myodoo/addons", d), *path, *got;

	(void)state;
	addon(inpkg, "base");
	addon(root, "web");
	addon(root, "base_setup");
	addon(copy, "web");
	addon(copy, "base_import");
	addon(mine, "vendor_ops_core");
	put(src, "odoo-bin", "");
	put(pkg, "release.py", "");

	path = xasprintf("%s, %s, %s/", mine, inpkg, root);
	got = extra_of(d, conf, path);
	assert_string_equal(got, mine);
	free(got);
	free(path);
	path = xasprintf("%s,%s,%s", inpkg, root, mine);
	got = extra_of(d, conf, path);
	assert_string_equal(got, mine);
	free(got);
	free(path);
	/* Odoo's addons/ copied away from its tree, listed last */
	path = xasprintf("%s,%s", mine, copy);
	got = extra_of(d, conf, path);
	assert_string_equal(got, mine);
	free(got);
	free(path);
	/* the old rule's "odoo/addons" substring is no longer Odoo's */
	addon(other, "vendor_ops_core");
	path = xasprintf("%s,%s,%s", root, mine, other);
	got = extra_of(d, conf, path);
	assert_string_equal(got, other);
	free(got);
	free(path);
	free(other);
	free(mine);
	free(copy);
	free(inpkg);
	free(root);
	free(pkg);
	free(src);
	free(conf);
	rm_rf(d);
}

/* As Odoo's configparser reads it: no line limit, no inline comment. */
static void test_odoo_conf_python(void **state)
{
	char *d = tmpdir(), *conf = xasprintf("%s/odoo.conf", d), *why = NULL;
	struct buf path;
	struct odoo_conf c;
	char *text;

	(void)state;
	buf_init(&path, 1 << 16);
	for (int i = 0; i < 40; i++)	/* 1600 bytes on one line */
		buf_printf(&path, "/opt/odoo19/src/addons-%02d,", i);
	text = xasprintf("[options]\r\naddons_path = %s/opt/odoo19/extra\n"
			 "DB_NAME: central\ndb_password = a ;b\n\n"
			 "data_dir = /var/lib/\n  odoo19\n", path.data);
	put(d, "odoo.conf", text);
	assert_int_equal(odoo_conf_load(conf, &c, &why), 0);
	assert_int_equal(strlen(c.addons_path), path.len + 17);
	assert_string_equal(c.db_name, "central");
	assert_string_equal(c.db_password, "a ;b");
	assert_string_equal(c.data_dir, "/var/lib/\nodoo19");
	odoo_conf_release(&c);

	/* as Odoo 19's --save writes a conf without a port or host */
	put(d, "odoo.conf", "[options]\ndb_host = \ndb_port = None\n"
	    "db_user = None\ndb_name = x\ndata_dir = /d\n");
	assert_int_equal(odoo_conf_load(conf, &c, &why), 0);
	assert_null(c.db_host);
	assert_int_equal(c.db_port, 5432);
	assert_null(c.db_user);
	odoo_conf_release(&c);

	put(d, "odoo.conf", "[options]\ndb_name = x\n\nnot a key\n");
	assert_int_equal(odoo_conf_load(conf, &c, &why), -1);
	assert_non_null(strstr(why, "odoo.conf:4: syntax error"));
	free(why);
	buf_release(&path);
	free(text);
	free(conf);
	rm_rf(d);
}

static void facts(struct mfacts *f, const char *rows, const char *mods,
		  long long files, long long bytes)
{
	f->rows = json_loads(rows, 0, NULL);
	f->modules = json_loads(mods, 0, NULL);
	f->files = files;
	f->bytes = bytes;
}

static void test_diff(void **state)
{
	struct mfacts a, b;
	char *d;

	(void)state;
	facts(&a, "{\"public.a\": 3, \"public.b\": 0}",
	      "{\"base\": \"19.0.1.3\"}", 2, 100);
	facts(&b, "{\"public.b\": 0, \"public.a\": 3}",
	      "{\"base\": \"19.0.1.3\"}", 2, 100);
	assert_null(mfacts_diff(&a, &b));
	json_object_set_new(b.rows, "public.a", json_integer(2));
	d = mfacts_diff(&a, &b);
	assert_string_equal(d, "table public.a has 2 rows, the source 3");
	free(d);
	json_object_del(b.rows, "public.a");
	d = mfacts_diff(&a, &b);
	assert_string_equal(d, "table public.a is missing");
	free(d);
	json_object_set_new(b.rows, "public.a", json_integer(3));
	json_object_set_new(b.rows, "public.c", json_integer(0));
	d = mfacts_diff(&a, &b);
	assert_string_equal(d, "table public.c is not in the source");
	free(d);
	json_object_del(b.rows, "public.c");
	json_object_set_new(b.modules, "base", json_string("19.0.1.4"));
	d = mfacts_diff(&a, &b);
	assert_non_null(strstr(d, "modules {\"base\":\"19.0.1.4\"}"));
	free(d);
	json_object_set_new(b.modules, "base", json_string("19.0.1.3"));
	b.bytes = 99;
	d = mfacts_diff(&a, &b);
	assert_string_equal(d, "filestore 2 files, 99 bytes; the source 2 "
			    "files, 100 bytes");
	free(d);
	mfacts_release(&a);
	mfacts_release(&b);
}

static void test_dir_facts(void **state)
{
	char *d = tmpdir(), *sub = xasprintf("%s/ab", d), *why = NULL;
	struct mfacts f = { 0 };

	(void)state;
	assert_int_equal(mkdir_p(sub, 0755, &why), 0);
	put(sub, "ab01", "hello");
	put(d, "top", "0123456789");
	assert_int_equal(mfacts_dir(d, &f, &why), 0);
	assert_int_equal(f.files, 2);
	assert_int_equal(f.bytes, 15);
	assert_int_equal(mfacts_dir("/nonexistent/filestore", &f, &why), 0);
	assert_int_equal(f.files, 0);
	free(sub);
	rm_rf(d);
}

static void test_journal(void **state)
{
	char *d = tmpdir(), *why = NULL, *path = xasprintf("%s/migrate.journal", d);
	struct mjournal w = { .digest = (char *)"sha256:abababababababababababababababababababababababababababababababab",
			      .service = (char *)"odoo19", .active = 1,
			      .enabled = 1, .started = 1764200000,
			      .operator = (char *)"alice smith" };
	struct mjournal r;
	int exists = -1;

	(void)state;
	assert_int_equal(mjournal_load(d, &r, &exists, &why), 0);
	assert_int_equal(exists, 0);
	mjournal_release(&r);
	assert_int_equal(mjournal_begin(d, &w, &why), 0);
	assert_int_equal(mjournal_phase(d, "stop", NULL, &why), 0);
	assert_int_equal(mjournal_phase(d, "backup", "/b/e2e-1.zip", &why), 0);
	assert_int_equal(mjournal_phase(d, "serving", "p-odoo19-1", &why), 0);
	assert_int_equal(mjournal_load(d, &r, &exists, &why), 0);
	assert_int_equal(exists, 1);
	assert_false(r.corrupted);
	assert_string_equal(r.digest, w.digest);
	assert_string_equal(r.service, "odoo19");
	assert_true(r.active && r.enabled);
	assert_int_equal(r.started, 1764200000);
	assert_string_equal(r.operator, "alice smith");
	assert_string_equal(r.backup, "/b/e2e-1.zip");
	assert_string_equal(r.container, "p-odoo19-1");
	assert_string_equal(r.last_phase, "serving");
	assert_false(r.committed);
	mjournal_release(&r);
	assert_int_equal(mjournal_phase(d, "commit", "p-odoo19-1", &why), 0);
	assert_int_equal(mjournal_load(d, &r, &exists, &why), 0);
	assert_true(r.committed);
	mjournal_release(&r);

	put(d, "migrate.journal", "begin migrate sha256:nothex odoo19 1 1 0 x\n");
	assert_int_equal(mjournal_load(d, &r, &exists, &why), 0);
	assert_true(exists && r.corrupted);
	mjournal_release(&r);
	w.service = (char *)"odoo 19";
	assert_int_equal(mjournal_begin(d, &w, &why), -1);
	assert_non_null(strstr(why, "'odoo 19'"));
	free(why);
	why = NULL;
	assert_int_equal(mjournal_end(d, &why), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(mjournal_end(d, &why), 0);
	free(path);
	rm_rf(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_odoo_conf),
		cmocka_unit_test(test_odoo_conf_python),
		cmocka_unit_test(test_odoo_conf_own_addons),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_dir_facts),
		cmocka_unit_test(test_journal),
	};

	return cmocka_run_group_tests_name("migrate", tests, NULL, NULL);
}
