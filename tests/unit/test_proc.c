#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/proc.h"
#include "core/util.h"

/* A source handing out `left` bytes of a pattern, in uneven pieces. */
struct feed {
	long long left, given;
	int fail_at_end;
};

static long feed_read(void *buf, size_t cap, void *arg, char **cause)
{
	struct feed *f = arg;
	size_t n = cap > 7777 ? 7777 : cap;

	if (f->left == 0 && f->fail_at_end) {
		*cause = xstrdup("the source broke");
		return -1;
	}
	if ((long long)n > f->left)
		n = (size_t)f->left;
	for (size_t i = 0; i < n; i++)
		((char *)buf)[i] = (char)('a' + (f->given + (long long)i) % 26);
	f->left -= (long long)n;
	f->given += (long long)n;
	return (long)n;
}

struct tally {
	long long bytes, bad;
	long long fail_after;	/* > 0: fail once this many came */
};

static int tally_write(const void *p, size_t n, void *arg, char **cause)
{
	struct tally *t = arg;

	for (size_t i = 0; i < n; i++)
		if (((const char *)p)[i] != (char)('a' + (t->bytes + (long long)i) % 26))
			t->bad++;
	t->bytes += (long long)n;
	if (t->fail_after > 0 && t->bytes >= t->fail_after) {
		*cause = xstrdup("the sink is full");
		return -1;
	}
	return 0;
}

/* 20 MB through cat: more than any pipe holds, both ways at once. */
static void test_stream_both_ways(void **state)
{
	const char *const argv[] = { "/bin/cat", NULL };
	struct feed f = { .left = 20LL << 20 };
	struct tally t = { 0 };
	struct proc_io io = { .in = feed_read, .in_arg = &f,
			      .out = tally_write, .out_arg = &t };
	char *why = NULL;
	int code = -1;

	(void)state;
	assert_int_equal(proc_stream(argv, environ, &io, &code, &why), 0);
	assert_null(why);
	assert_int_equal(code, 0);
	assert_int_equal(t.bytes, 20LL << 20);
	assert_int_equal(t.bad, 0);
}

static void test_exit_code_and_stderr_tail(void **state)
{
	const char *const argv[] = { "/bin/sh", "-c", "i=0; while [ $i -lt "
				     "500 ]; do echo noise $i >&2; "
				     "i=$((i+1)); done; echo 'ERROR: last "
				     "words' >&2; exit 7", NULL };
	struct buf err;
	struct proc_io io = { .err = &err };
	char *why = NULL;
	int code = -1;

	(void)state;
	buf_init(&err, 256);
	assert_int_equal(proc_stream(argv, environ, &io, &code, &why), 0);
	assert_int_equal(code, 7);
	assert_int_equal(err.len, 256);	/* the tail, whole */
	assert_non_null(strstr(err.data, "ERROR: last words"));
	buf_release(&err);
}

/* A failing sink or source stops the program: no hang, no zombie. */
static void test_failures_kill_it(void **state)
{
	const char *const yes[] = { "/usr/bin/yes", "abcdefghijklmnopqrstuvwxyz",
				    NULL };
	const char *const cat[] = { "/bin/cat", NULL };
	struct tally t = { .fail_after = 1 << 20 };
	struct feed f = { .left = 100000, .fail_at_end = 1 };
	struct proc_io out = { .out = tally_write, .out_arg = &t };
	struct proc_io in = { .in = feed_read, .in_arg = &f };
	char *why = NULL;
	int code = -1;

	(void)state;
	assert_int_equal(proc_stream(yes, environ, &out, &code, &why), -1);
	assert_string_equal(why, "the sink is full");
	assert_int_equal(code, 128 + 9);
	free(why);
	why = NULL;
	assert_int_equal(proc_stream(cat, environ, &in, &code, &why), -1);
	assert_string_equal(why, "the source broke");
	free(why);
}

static int buf_sink(const void *p, size_t n, void *arg, char **cause)
{
	(void)cause;
	return buf_append(arg, p, n);
}

static void cat_fd3(int fd)
{
	const char *const argv[] = { "/bin/cat", "/dev/fd/3", NULL };
	struct buf out;
	struct proc_io io = { .out = buf_sink, .keep_fd = fd };
	char *why = NULL;
	int code = -1;

	buf_init(&out, 1024);
	io.out_arg = &out;
	assert_int_equal(proc_stream(argv, environ, &io, &code, &why), 0);
	assert_int_equal(code, 0);
	assert_string_equal(out.data, "kept\n");
	buf_release(&out);
}

/* keep_fd reaches the program as its fd 3, whatever number it had. */
static void test_keep_fd(void **state)
{
	int m = memfd_create("test", MFD_CLOEXEC);
	int fd = fcntl(m, F_DUPFD_CLOEXEC, 10);

	(void)state;
	close(m);
	assert_true(fd >= 10);
	assert_int_equal(write(fd, "kept\n", 5), 5);
	cat_fd3(fd);
	if (fcntl(3, F_GETFD) < 0) {	/* 3 itself, close-on-exec */
		assert_int_equal(dup3(fd, 3, O_CLOEXEC), 3);
		cat_fd3(3);
		close(3);
	}
	close(fd);
}

static void test_cannot_run(void **state)
{
	const char *const argv[] = { "/nonexistent/tool", NULL };
	struct proc_io io = { 0 };
	char *why = NULL;
	int code = 0;

	(void)state;
	assert_int_equal(proc_stream(argv, environ, &io, &code, &why), -1);
	assert_non_null(strstr(why, "cannot run '/nonexistent/tool'"));
	assert_int_equal(code, -1);
	free(why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_both_ways),
		cmocka_unit_test(test_exit_code_and_stderr_tail),
		cmocka_unit_test(test_failures_kill_it),
		cmocka_unit_test(test_keep_fd),
		cmocka_unit_test(test_cannot_run),
	};

	return cmocka_run_group_tests_name("proc", tests, NULL, NULL);
}
