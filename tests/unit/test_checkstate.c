#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "monitor/checkstate.h"

static const struct check_policy P = { .retries = 3, .reminder_ms = 60000 };

/* Feeds a string of results ('+' ok, '-' failed), one a second from t0,
 * and returns the events as letters: D down, R recovered, M reminder,
 * . none. */
static void run(struct check_track *t, const char *in, long long t0,
		const struct check_policy *p, char *out)
{
	static const char letter[] = { '.', 'D', 'R', 'M' };

	for (int i = 0; in[i]; i++)
		out[i] = letter[checkstate_update(t, in[i] == '+',
						  t0 + 1000LL * i, p)];
	out[strlen(in)] = '\0';
}

static void test_up_from_unknown_is_silent(void **state)
{
	struct check_track t = { 0 };
	char ev[16];

	(void)state;
	run(&t, "+++", 0, &P, ev);
	assert_string_equal(ev, "...");
	assert_int_equal(t.state, CHECK_UP);
	assert_int_equal(t.since_ms, 0);
}

static void test_retry_budget(void **state)
{
	struct check_track t = { 0 };
	char ev[16];

	(void)state;
	/* two failures are within a budget of three: still up, no alert */
	run(&t, "+--+--+", 0, &P, ev);
	assert_string_equal(ev, ".......");
	assert_int_equal(t.state, CHECK_UP);
	assert_int_equal(t.fails, 0);
	/* the third in a row is down, once; one success recovers */
	run(&t, "-----+", 10000, &P, ev);
	assert_string_equal(ev, "..D..R");
	assert_int_equal(t.state, CHECK_UP);
	assert_int_equal(t.since_ms, 15000);
}

static void test_down_from_unknown(void **state)
{
	struct check_track t = { 0 };
	char ev[16];

	(void)state;
	run(&t, "--", 0, &P, ev);
	assert_string_equal(ev, "..");
	assert_int_equal(t.state, CHECK_UNKNOWN);
	assert_int_equal(t.fails, 2);
	run(&t, "-", 2000, &P, ev);
	assert_string_equal(ev, "D");
	assert_int_equal(t.state, CHECK_DOWN);
	assert_int_equal(t.since_ms, 2000);
}

static void test_reminder(void **state)
{
	struct check_track t = { 0 };
	struct check_policy p = { .retries = 1, .reminder_ms = 3000 };
	char ev[16];

	(void)state;
	/* down at 0, reminders at 3 s and 6 s, then recovered */
	run(&t, "-------+", 0, &p, ev);
	assert_string_equal(ev, "D..M..MR");
	p.reminder_ms = 0;
	run(&t, "------", 10000, &p, ev);
	assert_string_equal(ev, "D.....");
}

static void test_retries_one(void **state)
{
	struct check_track t = { 0 };
	struct check_policy p = { .retries = 1, .reminder_ms = 0 };
	char ev[16];

	(void)state;
	run(&t, "+-+-", 0, &p, ev);
	assert_string_equal(ev, ".DRD");
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(checkstate_name(CHECK_UNKNOWN), "unknown");
	assert_string_equal(checkstate_name(CHECK_UP), "up");
	assert_string_equal(checkstate_name(CHECK_DOWN), "down");
	assert_string_equal(checkstate_event_name(EVENT_NONE), "none");
	assert_string_equal(checkstate_event_name(EVENT_DOWN), "down");
	assert_string_equal(checkstate_event_name(EVENT_RECOVERED),
			    "recovered");
	assert_string_equal(checkstate_event_name(EVENT_REMINDER),
			    "reminder");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_up_from_unknown_is_silent),
		cmocka_unit_test(test_retry_budget),
		cmocka_unit_test(test_down_from_unknown),
		cmocka_unit_test(test_reminder),
		cmocka_unit_test(test_retries_one),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests_name("checkstate", tests, NULL, NULL);
}
