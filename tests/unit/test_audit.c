#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/audit.h"
#include "core/log.h"
#include "core/state.h"
#include "core/util.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"

static int setup(void **state)
{
	char *dir = xstrdup("/tmp/odooctl-test-audit-XXXXXX");

	assert_non_null(mkdtemp(dir));
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

static void append_n(const char *dir, int n)
{
	static const char *const st[] = { "started", "success", "failed",
					  "rollback", "backup_ok" };
	char *why = NULL;

	for (int i = 0; i < n; i++)
		assert_int_equal(history_append(dir, D1, "production",
						st[i % 5], "alice", &why), 0);
}

/* Rewrites history.log through a shell edit (sed/awk script). */
static void edit(const char *dir, const char *script)
{
	char *cmd = xasprintf("cd '%s' && %s history.log > h.new && "
			      "mv h.new history.log", dir, script);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static size_t verify_bad(const char *dir)
{
	struct audit_result r;
	char *why = NULL;
	size_t bad;

	assert_int_equal(audit_verify(dir, &r, &why), 0);
	bad = r.bad_line;
	assert_true(!bad == !r.reason);
	audit_result_release(&r);
	return bad;
}

static void test_hash_vector(void **state)
{
	char h[AUDIT_HASH_LEN + 1];

	(void)state;
	/* printf '%s%s' $(printf '0%.0s' {1..64}) 'line one' | sha256sum */
	audit_hash("0000000000000000000000000000000000000000000000000000000000000000",
		   "line one", 8, h);
	assert_string_equal(h, "3ffb77a91c9dc4ae7d3838a146daa06f7a87c91dd1a9170e3b21f857b97424de");
}

static void test_intact(void **state)
{
	const char *dir = *state;
	struct audit_result r;
	char *why = NULL, *path = xasprintf("%s/history.log.chain", dir);
	char *chain;
	size_t len;

	assert_int_equal(audit_verify(dir, &r, &why), 0);	/* no history */
	assert_int_equal(r.lines, 0);
	assert_int_equal(r.bad_line, 0);
	append_n(dir, 4);
	assert_int_equal(audit_verify(dir, &r, &why), 0);
	assert_int_equal(r.lines, 4);
	assert_int_equal(r.bad_line, 0);
	assert_int_equal(r.sealed, 0);
	chain = file_read(path, 1 << 16, &len, &why);
	assert_int_equal(len, 4 * (AUDIT_HASH_LEN + 1));
	assert_memory_equal(chain + 3 * (AUDIT_HASH_LEN + 1), r.head,
			    AUDIT_HASH_LEN);
	free(chain);
	free(path);
	audit_result_release(&r);
}

static void test_edited(void **state)
{
	append_n(*state, 5);
	edit(*state, "sed '3s/| alice$/| mallory/'");
	assert_int_equal(verify_bad(*state), 3);
}

static void test_deleted(void **state)
{
	append_n(*state, 5);
	edit(*state, "sed '2d'");
	assert_int_equal(verify_bad(*state), 2);
}

static void test_deleted_last(void **state)
{
	append_n(*state, 5);
	edit(*state, "sed '$d'");
	assert_int_equal(verify_bad(*state), 5);
}

static void test_reordered(void **state)
{
	append_n(*state, 5);
	edit(*state, "awk 'NR==4{l=$0;next} NR==5{print;print l;next} 1'");
	assert_int_equal(verify_bad(*state), 4);
}

static void test_inserted(void **state)
{
	append_n(*state, 3);
	edit(*state, "sed '2i 2026-01-01T00:00:00Z | " D1
		     " | production | success | mallory'");
	assert_int_equal(verify_bad(*state), 2);
}

/* A line added at the end, without a chain entry. */
static void test_appended_by_hand(void **state)
{
	char *why = NULL, *path = xasprintf("%s/history.log", (char *)*state);

	append_n(*state, 2);
	assert_int_equal(file_append_sync(path, "2026-01-01T00:00:00Z | " D1
					  " | production | success | x\n",
					  &why), 0);
	assert_int_equal(verify_bad(*state), 3);
	free(path);
}

static void test_started_late(void **state)
{
	const char *dir = *state;
	struct audit_result r;
	char *why = NULL, *path = xasprintf("%s/history.log", dir);

	/* a history written before the chain existed */
	assert_int_equal(file_append_sync(path, "2026-01-01T00:00:00Z | " D1
					  " | production | success | bob\n",
					  &why), 0);
	assert_int_equal(audit_verify(dir, &r, &why), 0);
	assert_int_equal(r.sealed, 1);
	assert_int_equal(r.bad_line, 0);
	append_n(dir, 2);
	assert_int_equal(verify_bad(dir), 0);
	audit_result_release(&r);
	free(path);
}

/* Sealed at the first append when no verify came first. */
static void test_started_at_append(void **state)
{
	char *why = NULL, *path = xasprintf("%s/history.log", (char *)*state);

	assert_int_equal(file_append_sync(path, "old line\n", &why), 0);
	append_n(*state, 1);
	assert_int_equal(verify_bad(*state), 0);
	edit(*state, "sed '1s/old/OLD/'");
	assert_int_equal(verify_bad(*state), 1);
	free(path);
}

/* A redacted line is chained as it was written. */
static void test_redacted(void **state)
{
	char *why = NULL;

	log_redact_add("hunter2-secret");
	assert_int_equal(history_append(*state, D1, "production",
					"success", "op hunter2-secret", &why), 0);
	log_redact_clear();
	assert_int_equal(verify_bad(*state), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_vector),
		cmocka_unit_test_setup_teardown(test_intact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_last, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reordered, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_inserted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_appended_by_hand, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_started_late, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_started_at_append, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_redacted, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
