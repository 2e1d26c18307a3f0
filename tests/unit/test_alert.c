#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "monitor/alert.h"
#include "monitor/metrics.h"

static const struct alert DOWN = {
	.event = "down", .env = "production", .check = "app.health",
	.value = "-", .detail = "GET /web/health: <refused> & gone",
	.host = "srv1", .release = "sha256:abc", .failures = 3,
	.since = 1795752000, .time = 1795752090,
};

static void test_json(void **state)
{
	char *s = alert_json(&DOWN);
	json_t *j = json_loads(s, 0, NULL);

	(void)state;
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "event")),
			    "down");
	assert_string_equal(json_string_value(json_object_get(j, "state")),
			    "down");
	assert_string_equal(json_string_value(json_object_get(j, "since")),
			    "2026-11-27T04:00:00Z");
	assert_int_equal(json_integer_value(json_object_get(j, "failures")),
			 3);
	assert_string_equal(json_string_value(json_object_get(j, "summary")),
			    "[production] app.health is DOWN on srv1 (3 "
			    "failures in a row): GET /web/health: <refused> & "
			    "gone");
	assert_null(strchr(s, '\n'));
	json_decref(j);
	free(s);
}

static void test_slack(void **state)
{
	struct alert a = DOWN;
	char *s;
	json_t *j, *att;

	(void)state;
	a.event = "recovered";
	a.release = NULL;
	s = alert_slack(&a);
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	/* Slack's control characters are escaped in text */
	assert_string_equal(json_string_value(json_object_get(j, "text")),
			    "[production] app.health recovered on srv1 after "
			    "1m 30s down: GET /web/health: &lt;refused&gt; "
			    "&amp; gone");
	att = json_array_get(json_object_get(j, "attachments"), 0);
	assert_string_equal(json_string_value(json_object_get(att, "color")),
			    "good");
	assert_int_equal(json_array_size(json_object_get(att, "fields")), 5);
	json_decref(j);
	free(s);
}

static void test_duration(void **state)
{
	char d[32];

	(void)state;
	alert_duration(45, d);
	assert_string_equal(d, "45s");
	alert_duration(725, d);
	assert_string_equal(d, "12m 5s");
	alert_duration(3 * 3600 + 120, d);
	assert_string_equal(d, "3h 2m");
	alert_duration(2 * 86400 + 4 * 3600, d);
	assert_string_equal(d, "2d 4h");
	alert_duration(-5, d);
	assert_string_equal(d, "0s");
}

static void test_copy(void **state)
{
	struct alert c;

	(void)state;
	alert_copy(&c, &DOWN);
	assert_ptr_not_equal(c.check, DOWN.check);
	assert_string_equal(c.check, "app.health");
	assert_int_equal(c.since, DOWN.since);
	alert_release(&c);
	assert_null(c.check);
}

static void test_metrics(void **state)
{
	struct metrics_check c[2] = {
		{ .name = "app.health", .ok = 1, .state = CHECK_UP,
		  .latency_s = 0.012, .since = 1795752000 },
		{ .name = "disk:/srv/a \"b\"", .ok = 0, .state = CHECK_UNKNOWN,
		  .fails = 2 },
	};
	struct metrics_channel ch = { .name = "webhook",
				      .st = { .sent = 4, .failed = 1 } };
	struct metrics_view v = {
		.env = "production", .release = "sha256:abc",
		.container = "c1", .checks = c, .nchecks = 2, .channels = &ch,
		.nchannels = 1, .passes = 7, .interval_s = 30,
	};
	char *s = metrics_render(&v);

	(void)state;
	assert_non_null(strstr(s, "# TYPE odooctl_check_up gauge\n"));
	assert_non_null(strstr(s, "odooctl_check_up{env=\"production\","
				  "check=\"app.health\"} 1\n"));
	/* label values escaped */
	assert_non_null(strstr(s, "check=\"disk:/srv/a \\\"b\\\"\"} -1\n"));
	assert_non_null(strstr(s, "odooctl_check_latency_seconds{env=\""
				  "production\",check=\"app.health\"} "
				  "0.012000\n"));
	/* no since for a check never up or down */
	assert_null(strstr(s, "since_timestamp_seconds{env=\"production\","
			      "check=\"disk"));
	assert_non_null(strstr(s, "odooctl_alerts_total{env=\"production\","
				  "channel=\"webhook\",result=\"sent\"} 4\n"));
	assert_non_null(strstr(s, "odooctl_release_info{env=\"production\","
				  "digest=\"sha256:abc\",container=\"c1\"} "
				  "1\n"));
	assert_non_null(strstr(s, "odooctl_monitor_passes_total{env=\""
				  "production\"} 7\n"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_slack),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_metrics),
	};

	return cmocka_run_group_tests_name("alert", tests, NULL, NULL);
}
