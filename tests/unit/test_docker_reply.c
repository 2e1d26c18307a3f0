/*
 * lib/docker_reply.c on replies a real daemon sent (Docker 20.10, captured
 * into tests/fuzz/seeds-engine/, the fuzz target's seeds) and on the
 * broken ones no daemon sends on purpose: a stream cut anywhere, a
 * message too large, garbage lines, sizes that overflow a sum.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/docker_reply.h"
#include "core/util.h"

#define SEEDS "tests/fuzz/seeds-engine/"

static char *seed(const char *name, size_t *len)
{
	char *why = NULL, *text = file_read(name, 1 << 20, len, &why);

	if (!text)
		fail_msg("%s", why);
	return text;
}

struct seen {
	long long done, total;
	int calls;
	struct buf lines;
};

static void on_progress(const char *what, long long done, long long total,
			void *arg)
{
	struct seen *s = arg;

	assert_string_equal(what, "x");
	s->done = done;
	s->total = total;
	s->calls++;
}

static void on_line(const char *text, void *arg)
{
	struct seen *s = arg;

	buf_append(&s->lines, text, strlen(text));
	buf_append(&s->lines, "|", 1);
}

/* Feeds text in pieces of step bytes (0: whole); returns the last rc. */
static int feed(struct docker_stream *st, struct seen *s, const char *text,
		size_t len, size_t step, size_t msg_max, char **why)
{
	int rc = 0;

	*st = (struct docker_stream){ .what = "x", .progress = on_progress,
				      .progress_arg = s, .line = on_line,
				      .line_arg = s };
	buf_init(&s->lines, 1 << 20);
	docker_stream_init(st, msg_max);
	for (size_t off = 0; off < len && rc == 0; off += step ? step : len)
		rc = docker_stream_feed(st, text + off, step && len - off > step
					? step : len - off, why);
	if (rc == 0)
		docker_stream_end(st);
	return rc;
}

/* A seed of tests/fuzz/seeds-engine/ fed in pieces of step bytes. */
static int feed_seed(struct docker_stream *st, struct seen *s,
		     const char *name, size_t step)
{
	size_t len;
	char *text = seed(name, &len), *why = NULL;
	int rc = feed(st, s, text, len, step, 1 << 20, &why);

	free(why);
	free(text);
	return rc;
}

static void release(struct docker_stream *st, struct seen *s)
{
	docker_stream_release(st);
	buf_release(&s->lines);
}

static void test_build_stream(void **state)
{
	struct docker_stream st;
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(feed_seed(&st, &s, SEEDS "build-ok", 0), 0);
	assert_null(st.error);
	assert_string_equal(st.id, "sha256:a0d5025d08c5301deaa2d27387cba720"
			    "3e2e6a765b4efd561a3e383552fb8472");
	assert_non_null(strstr(s.lines.data, "|built a layer|"));
	assert_null(strstr(s.lines.data, "||"));	/* no empty line */
	release(&st, &s);
}

static void test_build_error(void **state)
{
	struct docker_stream st;
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(feed_seed(&st, &s, SEEDS "build-error", 3), 0);
	assert_string_equal(st.error, "The command '/bin/sh -c echo failing; "
			    "exit 7' returned a non-zero code: 7");
	assert_null(st.id);
	release(&st, &s);
}

/* Cut anywhere, byte by byte: the same as whole. */
static void test_push_digest_and_progress(void **state)
{
	struct docker_stream a, b;
	struct seen sa = { 0 }, sb = { 0 };

	(void)state;
	assert_int_equal(feed_seed(&a, &sa, SEEDS "push-aux-digest", 0), 0);
	assert_int_equal(feed_seed(&b, &sb, SEEDS "push-aux-digest", 1), 0);
	assert_string_equal(a.digest, "sha256:f536b8ddbd5d99dee32e0a73aa6294"
			    "2ae0407f2b68d7692433a1312f59c2dc45");
	assert_string_equal(b.digest, a.digest);
	/* pushed: current capped at total, then done */
	assert_int_equal(sa.done, 300000 + 12136614);
	assert_int_equal(sa.total, 300000 + 12136614);
	assert_int_equal(sa.calls, 10);	/* 8 Pushing, 2 Pushed */
	assert_int_equal(sb.calls, sa.calls);
	assert_string_equal(sb.lines.data, sa.lines.data);
	release(&a, &sa);
	release(&b, &sb);
}

static void test_pull_progress(void **state)
{
	struct docker_stream st;
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(feed_seed(&st, &s, SEEDS "pull-progress", 7), 0);
	assert_null(st.error);
	assert_int_equal(s.done, 300289);
	assert_int_equal(s.total, 300289);
	release(&st, &s);
}

/* The events watch stops at the first event. */
static void test_events_die(void **state)
{
	size_t len;
	char *text = seed(SEEDS "events-die", &len), *why = NULL, *two;
	struct docker_stream st;
	struct seen s = { 0 };

	(void)state;
	two = xasprintf("%s%s", text, "{\"Action\":\"oom\"}\n");
	assert_int_equal(feed(&st, &s, two, strlen(two), 0, 1 << 20, &why), 1);
	assert_string_equal(st.action, "die");
	release(&st, &s);
	free(two);
	free(text);
}

/* Garbage lines are skipped; the first error wins, on one line. */
static void test_garbage_and_error(void **state)
{
	struct docker_stream st;
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(feed_seed(&st, &s, SEEDS "stream-garbage", 5), 0);
	assert_string_equal(st.error, "net/http: TLS handshake timeout  "
			    "retrying");
	assert_int_equal(s.calls, 1);
	release(&st, &s);
}

static void test_message_too_large(void **state)
{
	static const char text[] = "{\"stream\":\"0123456789012345678\"}\n";
	struct docker_stream st;
	struct seen s = { 0 };
	char *why = NULL;

	(void)state;
	assert_int_equal(feed(&st, &s, text, sizeof(text) - 1, 4, 16, &why),
			 -1);
	assert_string_equal(why, "a message from docker is larger than 16 "
			    "bytes");
	free(why);
	release(&st, &s);
}

/*
 * Found while writing fuzz_engine, by reading progress_report(), then
 * reproduced by it under UBSan (signed integer overflow in the sum of the
 * layers) from the seed progress-overflow; unseeded, the fuzzer had not
 * reached it in 2 minutes. A stream that claims layers of INT64_MAX bytes:
 * the sums stop at LLONG_MAX, and a negative current counts as 0.
 */
static void test_progress_sizes_overflow(void **state)
{
	static const char text[] =
		"{\"status\":\"Pushing\",\"progressDetail\":{\"current\":1,"
		"\"total\":9223372036854775807},\"id\":\"a\"}\n"
		"{\"status\":\"Pushing\",\"progressDetail\":{\"current\":"
		"9223372036854775807,\"total\":9223372036854775807},"
		"\"id\":\"b\"}\n"
		"{\"status\":\"Downloading\",\"progressDetail\":{\"current\":"
		"-5,\"total\":10},\"id\":\"c\"}\n";
	struct docker_stream st;
	struct seen s = { 0 };
	char *why = NULL;

	(void)state;
	assert_int_equal(feed(&st, &s, text, sizeof(text) - 1, 0, 1 << 20,
			      &why), 0);
	assert_int_equal(s.calls, 3);
	assert_true(s.done == LLONG_MAX);
	assert_true(s.total == LLONG_MAX);
	release(&st, &s);
}

/* Stream 1 into out[0], 2 into out[1]; others are refused. */
static int keep(int stream, const char *p, size_t n, void *arg,
		char **cause)
{
	struct buf *out = arg;

	if (stream != 1 && stream != 2) {
		*cause = xasprintf("stream %d", stream);
		return -1;
	}
	return buf_append(&out[stream - 1], p, n);
}

static void test_mux_logs(void **state)
{
	size_t len;
	char *text = seed(SEEDS "logs-mux", &len), *why = NULL;
	struct docker_mux m = { 0 };
	struct buf out[2];

	(void)state;
	buf_init(&out[0], 1 << 10);
	buf_init(&out[1], 1 << 10);
	for (size_t off = 0; off < len; off += 5)
		assert_int_equal(docker_mux_feed(&m, text + off,
						 len - off < 5 ? len - off : 5,
						 keep, out, &why), 0);
	assert_false(docker_mux_partial(&m));
	assert_string_equal(out[0].data, "hello-out\n");
	assert_string_equal(out[1].data, "hello-err\n");
	assert_int_equal(docker_mux_feed(&m, "\1\0\0\0\0\0\0\x10" "ab", 10,
					 keep, out, &why), 0);
	assert_true(docker_mux_partial(&m));
	assert_int_equal(docker_mux_feed(&m, "cdefghijklmnop" "\3\0\0\0\0\0"
					 "\0\1" "x", 23, keep, out, &why), -1);
	assert_string_equal(why, "stream 3");
	assert_string_equal(out[0].data, "hello-out\nabcdefghijklmnop");
	free(why);
	buf_release(&out[0]);
	buf_release(&out[1]);
	free(text);
}

static void test_reply_head(void **state)
{
	size_t len, at = 0;
	char *text = seed(SEEDS "hijack-head", &len);
	long status = -1;

	(void)state;
	assert_int_equal(docker_reply_head(NULL, &status, &at), 0);
	assert_int_equal(docker_reply_head("HTTP/1.1 101 UPGRADED\r\n",
					   &status, &at), 0);
	assert_int_equal(docker_reply_head(text, &status, &at), 1);
	assert_int_equal(status, 101);
	assert_memory_equal(text + at, "\1\0\0\0\0\0\0\6hello", 13);
	assert_int_equal(docker_reply_head("garbage\r\n\r\n", &status, &at),
			 1);
	assert_int_equal(status, 0);
	assert_int_equal(at, 11);
	free(text);
}

static void test_status_error(void **state)
{
	struct buf b;
	char *s;

	(void)state;
	buf_init(&b, 1 << 20);
	buf_printf(&b, "%s", "{\"message\":\"No such container: nope\\n\"}");
	s = docker_status_error("cannot stop 'nope'", &b, 404);
	assert_string_equal(s, "cannot stop 'nope': No such container: nope");
	free(s);
	buf_reset(&b);
	buf_printf(&b, "%s", "<html>\n502\n</html>");
	s = docker_status_error("x", &b, 502);
	assert_string_equal(s, "x: HTTP 502: <html> 502 </html>");
	free(s);
	buf_reset(&b);
	buf_printf(&b, "%s", "{\"message\":\"\"}");
	s = docker_status_error("x", &b, 500);
	assert_string_equal(s, "x: HTTP 500");
	free(s);
	buf_release(&b);
}

static void test_inspect_seeds(void **state)
{
	size_t len;
	char *text = seed(SEEDS "container-inspect.json", &len);
	json_t *c = json_loadb(text, len, 0, NULL), *list;

	(void)state;
	assert_int_equal(docker_container_host_port(c, "8069/tcp"), 32779);
	assert_int_equal(docker_container_host_port(c, "80/tcp"), -1);
	assert_string_equal(docker_json_str(c, "State.Status"), "running");
	json_decref(c);
	free(text);
	text = seed(SEEDS "container-list.json", &len);
	list = json_loadb(text, len, 0, NULL);
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(docker_json_str(json_array_get(list, 0), "State"),
			    "running");
	assert_non_null(docker_json_str(json_array_get(list, 0), "Id"));
	json_decref(list);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_stream),
		cmocka_unit_test(test_build_error),
		cmocka_unit_test(test_push_digest_and_progress),
		cmocka_unit_test(test_pull_progress),
		cmocka_unit_test(test_events_die),
		cmocka_unit_test(test_garbage_and_error),
		cmocka_unit_test(test_message_too_large),
		cmocka_unit_test(test_progress_sizes_overflow),
		cmocka_unit_test(test_mux_logs),
		cmocka_unit_test(test_reply_head),
		cmocka_unit_test(test_status_error),
		cmocka_unit_test(test_inspect_seeds),
	};

	return cmocka_run_group_tests_name("docker_reply", tests, NULL, NULL);
}
