/* lib/backup_meta.c: names, the dump scanner, manifest, metadata, retention. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "backup/backup.h"
#include "backup/backup_zip.h"
#include "core/util.h"

static void test_names(void **state)
{
	char *n = backup_name("e2e", 1795731234L);
	long t = 0;

	(void)state;
	assert_string_equal(n, "e2e-20261126T221354Z");
	free(n);
	assert_true(backup_name_parse("e2e-20261126T221354Z.zip", "e2e", &t));
	assert_int_equal(t, 1795731234L);
	assert_true(backup_name_parse("e2e-20261126T213354Z-2.zip", "e2e",
				      &t));
	assert_false(backup_name_parse("e2e-x-20261126T213354Z.zip", "e2e",
				       &t));
	assert_false(backup_name_parse("e2e-20261126T213354Z.zip.partial",
				       "e2e", &t));
	assert_false(backup_name_parse("e2e-20261126T213354Z-.zip", "e2e",
				       &t));
	assert_false(backup_name_parse("e2e-20261126T213354Z-2a.zip", "e2e",
				       &t));
	assert_false(backup_name_parse("e2e-20261399T213354Z.zip", "e2e", &t));
	assert_false(backup_name_parse("prod-20261126T213354Z.zip", "e2e",
				       &t));
	assert_false(backup_name_parse("e2e.zip", "e2e", &t));
}

static const char dump[] =
	"\\restrict k3y\n--\n-- PostgreSQL database dump\n--\n\n"
	"CREATE TABLE public.res_partner (id integer, name text);\n"
	"COPY public.res_partner (id, name) FROM stdin;\n"
	"1\tAzure\n2\tline\\nbreak\n3\t\\.not the end\n"
	"\\.\n\n"
	"COPY public.\"odd name\" (id) FROM stdin;\n"
	"\\.\n\n"
	"COPY public.ir_attachment (id, store_fname) FROM stdin;\n"
	"7\tab/abcdef\n"
	"\\.\n\n"
	"--\n-- PostgreSQL database dump complete\n--\n\n"
	"\\unrestrict k3y\n\n";

static void check_scan(struct dump_scan *s)
{
	assert_int_equal(json_integer_value(json_object_get(s->tables,
			 "public.res_partner")), 3);
	assert_non_null(json_object_get(s->tables, "public.\"odd name\""));
	assert_int_equal(json_integer_value(json_object_get(s->tables,
			 "public.\"odd name\"")), 0);
	assert_int_equal(json_integer_value(json_object_get(s->tables,
			 "public.ir_attachment")), 1);
	assert_int_equal(json_object_size(s->tables), 3);
	assert_int_equal(s->bytes, (long long)sizeof(dump) - 1);
}

/* The same answer however the stream is cut. */
static void test_dump_scan_any_split(void **state)
{
	size_t len = sizeof(dump) - 1;

	(void)state;
	for (size_t step = 1; step <= len; step++) {
		struct dump_scan s;

		dump_scan_init(&s);
		for (size_t off = 0; off < len; off += step)
			dump_scan_feed(&s, dump + off,
				       off + step > len ? len - off : step);
		check_scan(&s);
		assert_true(s.complete);
		dump_scan_release(&s);
	}
}

static void test_dump_scan_incomplete(void **state)
{
	struct dump_scan s;
	const char *cut = strstr(dump, "7\tab");
	static const char more[] = "SELECT 1;\n";

	(void)state;
	dump_scan_init(&s);
	dump_scan_feed(&s, dump, (size_t)(cut - dump));
	assert_false(s.complete);
	assert_non_null(s.table);
	dump_scan_release(&s);
	dump_scan_init(&s);
	dump_scan_feed(&s, dump, sizeof(dump) - 1);
	dump_scan_feed(&s, more, sizeof(more) - 1);
	assert_false(s.complete);
	dump_scan_release(&s);
}

static void test_manifest(void **state)
{
	json_t *mods = json_pack("{s:s,s:n}", "base", "19.0.1.3", "ocr", NULL);
	json_t *m = backup_manifest("central", "19.0", 150004, mods);
	char *text = json_dumps(m, JSON_COMPACT), *v;

	(void)state;
	assert_string_equal(text,
		"{\"odoo_dump\":\"1\",\"db_name\":\"central\",\"version\":"
		"\"19.0\",\"version_info\":[19,0,0,\"final\",0,\"\"],"
		"\"major_version\":\"19.0\",\"pg_version\":\"15.0\","
		"\"modules\":{\"base\":\"19.0.1.3\",\"ocr\":null}}");
	free(text);
	v = backup_pg_version(90624);
	assert_string_equal(v, "9.6");
	free(v);
	v = backup_odoo_series("19.0.1.3");
	assert_string_equal(v, "19.0");
	free(v);
	v = backup_odoo_series(NULL);
	assert_string_equal(v, "19.0");
	free(v);
	v = backup_odoo_series("1.0");
	assert_string_equal(v, "1.0");
	free(v);
	json_decref(m);
	json_decref(mods);
}

/* Ten daily backups, newest first, day 0 = now. */
static void items_make(struct backup_item *it, size_t n, long now)
{
	for (size_t i = 0; i < n; i++) {
		memset(&it[i], 0, sizeof(it[i]));
		it[i].created = now - (long)i * 86400L - 60;
		it[i].meta = json_object();
		it[i].verified = -1;
	}
}

static void test_retention(void **state)
{
	struct backup_item it[10];
	int del[10];
	long now = 1795731234L;

	(void)state;
	items_make(it, 10, now);
	backup_retention(it, 10, 3, 5, now, del);
	for (int i = 0; i < 10; i++)
		assert_int_equal(del[i], i >= 5);
	it[7].verified = 1;
	it[8].verified = 1;
	it[9].meta = (json_decref(it[9].meta), NULL);
	backup_retention(it, 10, 3, 0, now, del);
	for (int i = 0; i < 10; i++)
		assert_int_equal(del[i], i >= 3 && i != 7 && i != 9);
	it[0].verified = 0;
	backup_retention(it, 10, 1, 0, now, del);
	assert_int_equal(del[0], 0);
	assert_int_equal(del[1], 1);
	assert_int_equal(del[7], 0);
	for (int i = 0; i < 10; i++)
		json_decref(it[i].meta);
}

static void touch(const char *dir, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name), *why = NULL;

	assert_int_equal(file_write_atomic(p, text, strlen(text), 0600, &why),
			 0);
	free(p);
}

static void test_list_and_meta(void **state)
{
	char dir[] = "/tmp/odooctl-test-backup-XXXXXX", *zip, *cmd, *why = NULL;
	struct backup_list l;
	json_t *meta;

	(void)state;
	assert_non_null(mkdtemp(dir));
	touch(dir, "e2e-20261126T213354Z.zip", "z");
	touch(dir, "e2e-20261127T000000Z.zip", "zz");
	touch(dir, "e2e-20261127T000000Z.zip.partial", "zz");
	touch(dir, "other-20261127T000000Z.zip", "zz");
	zip = xasprintf("%s/e2e-20261126T213354Z.zip", dir);
	meta = json_pack("{s:i,s:s,s:{s:b}}", "format", 1, "created_at",
			 "2026-11-28T00:00:00Z", "verified", "ok", 1);
	assert_int_equal(backup_meta_save(zip, meta, &why), 0);
	json_decref(meta);
	assert_int_equal(backup_list_load(dir, "e2e", &l, &why), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.items[0].name, "e2e-20261126T213354Z");
	assert_int_equal(l.items[0].verified, 1);
	assert_int_equal(l.items[0].size, 1);
	assert_string_equal(l.items[1].name, "e2e-20261127T000000Z");
	assert_null(l.items[1].meta);
	assert_int_equal(l.items[1].verified, -1);
	backup_list_release(&l);
	touch(dir, "e2e-20261127T000000Z.json", "[1]");
	cmd = xasprintf("%s/e2e-20261127T000000Z.zip", dir);
	assert_null(backup_meta_load(cmd, &why));
	assert_non_null(strstr(why, "is not valid metadata"));
	free(why);
	free(cmd);
	free(zip);
	cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	assert_int_equal(backup_list_load("/nonexistent/odooctl", "e2e", &l,
					  &why), 0);
	assert_int_equal(l.n, 0);
}

static void test_triggers(void **state)
{
	(void)state;
	assert_int_equal(backup_trigger_parse("pre-deploy"),
			 TRIGGER_PRE_DEPLOY);
	assert_int_equal(backup_trigger_parse("pre-restore"),
			 TRIGGER_PRE_RESTORE);
	assert_int_equal(backup_trigger_parse("migrate"), TRIGGER_MIGRATE);
	assert_string_equal(backup_trigger_name(TRIGGER_MIGRATE), "migrate");
	assert_int_equal(backup_trigger_parse("nightly"), -1);
	assert_string_equal(backup_trigger_name(TRIGGER_SCHEDULED),
			    "scheduled");
}

/* Stored, not deflated again: what is compressed already, by its magic. */
static void test_zipw_precompressed(void **state)
{
	static const char *const yes[] = {
		"\xff\xd8\xff\xe0\x00\x10JFIF", "\x89PNG\r\n\x1a\n....",
		"GIF89a", "RIFF\x10\x11\x12\x13WEBPVP8 ", "%PDF-1.7\n",
		"PK\x03\x04\x14\x00", "\x1f\x8b\x08", "BZh91AY",
		"\xfd" "7zXZ\x00", "\x28\xb5\x2f\xfd", "7z\xbc\xaf\x27\x1c",
	};
	static const char *const no[] = {
		"hello", "<?xml version", "%PD", "RIFF\x10\x11\x12\x13WAVE",
		"PK\x05\x06", "",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		assert_int_equal(zipw_precompressed(yes[i], strlen(yes[i]) ?
						    strlen(yes[i]) : 1), 1);
	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		assert_int_equal(zipw_precompressed(no[i], strlen(no[i])), 0);
	assert_int_equal(zipw_precompressed("\x89PNG", 4), 0);
	assert_int_equal(zipw_level("store"), 0);
	assert_int_equal(zipw_level("fast"), 1);
	assert_int_equal(zipw_level("default"), 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_zipw_precompressed),
		cmocka_unit_test(test_dump_scan_any_split),
		cmocka_unit_test(test_dump_scan_incomplete),
		cmocka_unit_test(test_manifest),
		cmocka_unit_test(test_retention),
		cmocka_unit_test(test_list_and_meta),
		cmocka_unit_test(test_triggers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
