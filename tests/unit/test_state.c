#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "release/journal.h"
#include "core/release.h"
#include "core/state.h"
#include "core/util.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static int setup(void **state)
{
	char *dir = xstrdup("/tmp/odooctl-test-state-XXXXXX");

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

static void test_history_format(void **state)
{
	const char *dir = *state;
	char *why = NULL, *path = xasprintf("%s/history.log", dir), *data;
	struct history h;
	size_t skipped;

	assert_int_equal(history_append(dir, D1, "production", "started",
					"alice", &why), 0);
	assert_int_equal(history_append(dir, D1, "production", "success",
					"alice", &why), 0);
	data = file_read(path, 1 << 16, NULL, &why);
	assert_non_null(data);
	/* 2026-11-26T21:22:14Z | sha256:... | production | success | alice */
	/* timestamp, digest, env, status, operator: 3-byte separators */
	assert_int_equal(strlen(data), 2 * (20 + 3 + 71 + 3 + 10 + 3 + 7 + 3 +
					    5 + 1));
	assert_true(data[4] == '-' && data[10] == 'T' && data[19] == 'Z');
	assert_non_null(strstr(data, " | " D1 " | production | success | alice\n"));
	free(data);
	/* a damaged line is skipped, the others survive */
	assert_int_equal(file_append_sync(path, "garbage\n", &why), 0);
	assert_int_equal(history_append(dir, D2, "staging", "failed", "bob",
					&why), 0);
	assert_int_equal(history_load(dir, &h, &skipped, &why), 0);
	assert_int_equal(h.n, 3);
	assert_int_equal(skipped, 1);
	assert_string_equal(h.e[2].version, D2);
	assert_string_equal(h.e[2].status, "failed");
	assert_string_equal(h.e[2].operator, "bob");
	history_release(&h);
	free(path);
	assert_false(history_field_valid("a|b"));
	assert_false(history_field_valid("a\nb"));
	assert_true(history_field_valid("ci-bot"));
}

static void test_current_and_last_good(void **state)
{
	const char *dir = *state;
	struct current cur = { .digest = D1, .container = "c1", .since = 42 };
	struct current back;
	char *why = NULL, *lg, *path;

	assert_int_equal(state_read_last_good(dir, &lg, &why), 0);
	assert_null(lg);
	assert_int_equal(state_read_current(dir, &back, &why), 0);
	assert_null(back.digest);
	assert_int_equal(state_write_last_good(dir, D2, &why), 0);
	assert_int_equal(state_read_last_good(dir, &lg, &why), 0);
	assert_string_equal(lg, D2);
	free(lg);
	assert_int_equal(state_write_current(dir, &cur, &why), 0);
	assert_int_equal(state_read_current(dir, &back, &why), 0);
	assert_string_equal(back.digest, D1);
	assert_string_equal(back.container, "c1");
	assert_int_equal(back.since, 42);
	current_release(&back);
	/* a corrupted file is an error, never a silent default */
	path = xasprintf("%s/last_good_sha", dir);
	assert_int_equal(file_write_atomic(path, "sha256:zz\n", 10, 0644, &why),
			 0);
	assert_int_equal(state_read_last_good(dir, &lg, &why), -1);
	assert_non_null(strstr(why, "corrupted"));
	free(why);
	free(path);
}

static void test_lock_is_exclusive(void **state)
{
	const char *dir = *state;
	char *why = NULL;
	int fd = state_lock(dir, &why), status;
	pid_t pid;

	assert_true(fd >= 0);
	pid = fork();
	if (pid == 0) {
		int fd2 = state_lock(dir, &why);

		_exit(fd2 == -2 && strstr(why, "held by another odooctl") ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	state_unlock(fd);
	fd = state_lock(dir, &why);
	assert_true(fd >= 0);
	state_unlock(fd);
}

static void test_journal_phases(void **state)
{
	const char *dir = *state;
	struct journal j = { .kind = "deploy", .digest = D2,
			     .ref = "r@" D2, .previous = D1,
			     .previous_container = "old",
			     .operator = "Alice Smith",
			     .started = 100 }, back;
	char *why = NULL, *path;
	int exists;

	assert_int_equal(journal_load(dir, &back, &exists, &why), 0);
	assert_int_equal(exists, 0);
	assert_int_equal(journal_begin(dir, &j, &why), 0);
	assert_int_equal(journal_phase(dir, "candidate", "new", &why), 0);
	assert_int_equal(journal_phase(dir, "health", NULL, &why), 0);
	assert_int_equal(journal_load(dir, &back, &exists, &why), 0);
	assert_int_equal(exists, 1);
	assert_false(back.corrupted);
	assert_string_equal(back.digest, D2);
	assert_string_equal(back.previous, D1);
	assert_string_equal(back.previous_container, "old");
	assert_string_equal(back.candidate, "new");
	assert_false(back.candidate_reused);
	assert_string_equal(back.operator, "Alice Smith");
	assert_int_equal(back.started, 100);
	assert_string_equal(back.last_phase, "health");
	assert_false(back.switched);
	assert_false(back.committed);
	journal_release(&back);
	assert_int_equal(journal_phase(dir, "candidate", "kept reused", &why), 0);
	assert_int_equal(journal_phase(dir, "switch", "kept", &why), 0);
	assert_int_equal(journal_phase(dir, "commit", "new", &why), 0);
	assert_int_equal(journal_load(dir, &back, &exists, &why), 0);
	assert_true(back.switched && back.committed);
	assert_string_equal(back.candidate, "kept");
	assert_true(back.candidate_reused);
	journal_release(&back);
	assert_int_equal(journal_end(dir, &why), 0);
	assert_int_equal(journal_load(dir, &back, &exists, &why), 0);
	assert_int_equal(exists, 0);
	/* a truncated journal still counts as an unfinished deploy */
	path = xasprintf("%s/journal", dir);
	assert_int_equal(file_write_atomic(path, "beg", 3, 0644, &why), 0);
	assert_int_equal(journal_load(dir, &back, &exists, &why), 0);
	assert_int_equal(exists, 1);
	assert_true(back.corrupted);
	journal_release(&back);
	free(path);
}

static void test_release_parse(void **state)
{
	struct release r;
	char *why = NULL;

	(void)state;
	assert_int_equal(release_parse(&r, D1, "127.0.0.1:5000/x", &why), 0);
	assert_string_equal(r.ref, "127.0.0.1:5000/x@" D1);
	release_release(&r);
	assert_int_equal(release_parse(&r, "ghcr.io/o/seisei-odoo19@" D2, "x",
				       &why), 0);
	assert_string_equal(r.repo, "ghcr.io/o/seisei-odoo19");
	assert_string_equal(r.digest, D2);
	release_release(&r);
	assert_int_equal(release_parse(&r, "sha256:abc", "x", &why), -1);
	assert_non_null(strstr(why, "malformed digest 'sha256:abc'"));
	free(why);
	assert_int_equal(release_parse(&r, "latest", "x", &why), -1);
	assert_non_null(strstr(why, "never by tag"));
	free(why);
	assert_int_equal(release_parse(&r, "sha256:" "1111111111111111111111111"
				       "111111111111111111111111111111111111111"
				       "G", "x", &why), -1);
	free(why);
	assert_int_equal(release_parse(&r, "Bad Repo@" D1, "x", &why), -1);
	assert_non_null(strstr(why, "malformed repository"));
	free(why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_history_format, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_current_and_last_good,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_is_exclusive, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_journal_phases, setup,
						teardown),
		cmocka_unit_test(test_release_parse),
	};

	return cmocka_run_group_tests_name("state", tests, NULL, NULL);
}
