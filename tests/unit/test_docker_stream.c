/*
 * lib/docker_stream.c: the streamed exec, the archive reader and writer
 * and the one-off container, against canned replies for the error paths,
 * then (when ODOOCTL_TEST_DOCKER_SOCK is set) against a real daemon with
 * the image ODOOCTL_TEST_BASE (needs sh, cat, head, mkdir).
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "canned_server.h"
#include "engine/docker.h"

static void test_exec_create_refused(void **state)
{
	char *r404 = http_reply("404 Not Found",
				"{\"message\":\"No such container: pg\"}");
	struct canned c[] = { { r404, 0, 0 } };
	struct server *s = server_start(c, ARRAY_SIZE(c));
	struct docker *d = docker_new(s->sock);
	const char *const argv[] = { "pg_dump", NULL };
	struct docker_exec_opts o = { .argv = argv };
	char *why = NULL, *reqs;
	int code = 0;

	(void)state;
	assert_int_equal(docker_exec_stream(d, "pg", &o, &code, &why), -1);
	assert_string_equal(why, "cannot exec 'pg_dump' in 'pg': No such "
				 "container: pg");
	assert_int_equal(code, -1);
	reqs = server_stop(s);
	assert_non_null(strstr(reqs, "\"AttachStdin\":false"));
	free(reqs);
	docker_free(d);
	free(why);
	free(r404);
}

/* The start is refused (e.g. the container stopped in between). */
static void test_exec_start_refused(void **state)
{
	char *create = http_reply("201 Created", "{\"Id\":\"e1\"}");
	char *r409 = http_reply("409 Conflict",
				"{\"message\":\"container pg is not running\"}");
	struct canned c[] = { { create, 0, 0 }, { r409, 0, 0 } };
	struct server *s = server_start(c, ARRAY_SIZE(c));
	struct docker *d = docker_new(s->sock);
	const char *const argv[] = { "psql", NULL };
	struct docker_exec_opts o = { .argv = argv };
	char *why = NULL, *reqs;
	int code = 0;

	(void)state;
	assert_int_equal(docker_exec_stream(d, "pg", &o, &code, &why), -1);
	assert_string_equal(why, "cannot exec 'psql' in 'pg': container pg "
				 "is not running");
	reqs = server_stop(s);
	assert_non_null(strstr(reqs, "POST /v1.41/exec/e1/start HTTP/1.1"));
	assert_non_null(strstr(reqs, "Upgrade: tcp"));
	free(reqs);
	docker_free(d);
	free(why);
	free(create);
	free(r409);
}

/* Frames after the 101, some in the same read as the headers. */
static void test_exec_demultiplex_and_tail(void **state)
{
	static const char start[] =
		"HTTP/1.1 101 UPGRADED\r\n"
		"Content-Type: application/vnd.docker.raw-stream\r\n"
		"Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
		"\1\0\0\0\0\0\0\6hello\n"
		"\2\0\0\0\0\0\0\x0a" "0123456789"
		"\1\0\0\0\0\0\0\3end";
	char *create = http_reply("201 Created", "{\"Id\":\"e2\"}");
	char *done = http_reply("200 OK", "{\"Running\":false,\"ExitCode\":3}");
	struct canned c[] = { { create, 0, 0 }, { start, sizeof(start) - 1, 0 },
			      { done, 0, 0 } };
	struct server *s = server_start(c, ARRAY_SIZE(c));
	struct docker *d = docker_new(s->sock);
	const char *const argv[] = { "sh", NULL };
	struct buf out, err;
	struct docker_exec_opts o = { .argv = argv, .out = docker_sink_buf,
				      .out_arg = &out, .err = &err };
	char *why = NULL;
	int code = 0;

	(void)state;
	buf_init(&out, 1 << 10);
	buf_init(&err, 5);
	assert_int_equal(docker_exec_stream(d, "c", &o, &code, &why), 0);
	assert_string_equal(out.data, "hello\nend");
	assert_string_equal(err.data, "6789");
	assert_int_equal(code, 3);
	free(server_stop(s));
	buf_release(&out);
	buf_release(&err);
	docker_free(d);
	free(create);
	free(done);
}

static void test_archive_get_absent_and_error(void **state)
{
	char *r404 = http_reply("404 Not Found",
				"{\"message\":\"Could not find the file\"}");
	char *r500 = http_reply("500 Internal Server Error",
				"{\"message\":\"disk on fire\"}");
	struct canned c[] = { { r404, 0, 0 }, { r500, 0, 0 } };
	struct server *s = server_start(c, ARRAY_SIZE(c));
	struct docker *d = docker_new(s->sock);
	struct docker_reader *r = NULL;
	char *why = NULL, *reqs;
	int found = 1;

	(void)state;
	assert_int_equal(docker_archive_get(d, "odoo", "/var/lib/odoo/fs x",
					    &r, &found, &why), 0);
	assert_int_equal(found, 0);
	assert_null(r);
	assert_int_equal(docker_archive_get(d, "odoo", "/x", &r, &found, &why),
			 -1);
	assert_string_equal(why, "cannot read '/x' of container 'odoo': disk "
				 "on fire");
	reqs = server_stop(s);
	assert_non_null(strstr(reqs, "GET /v1.41/containers/odoo/archive?path="
				     "%2Fvar%2Flib%2Fodoo%2Ffs%20x "));
	free(reqs);
	docker_free(d);
	free(why);
	free(r404);
	free(r500);
}

/* A chunked body read piece by piece. */
static void test_archive_get_chunked(void **state)
{
	static const char reply[] =
		"HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\n"
		"Transfer-Encoding: chunked\r\n\r\n"
		"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
	struct canned c[] = { { reply, 0, 0 } };
	struct server *s = server_start(c, ARRAY_SIZE(c));
	struct docker *d = docker_new(s->sock);
	struct docker_reader *r = NULL;
	struct buf all;
	const void *p;
	char *why = NULL;
	long n;
	int found = 0;

	(void)state;
	buf_init(&all, 1 << 10);
	assert_int_equal(docker_archive_get(d, "c", "/p", &r, &found, &why), 0);
	assert_int_equal(found, 1);
	while ((n = docker_reader_read(r, &p, &why)) > 0)
		buf_append(&all, p, (size_t)n);
	assert_int_equal(n, 0);
	assert_string_equal(all.data, "hello world");
	docker_reader_free(r);
	free(server_stop(s));
	buf_release(&all);
	docker_free(d);
}

static void test_archive_put_refused(void **state)
{
	char *r404 = http_reply("404 Not Found",
				"{\"message\":\"Could not find the file /x\"}");
	struct canned c[] = { { r404, 0, 0 } };
	struct server *s = server_start(c, ARRAY_SIZE(c));
	struct docker *d = docker_new(s->sock);
	struct docker_writer *w = NULL;
	char *why = NULL, *reqs;
	int rc;

	(void)state;
	assert_int_equal(docker_archive_put(d, "c", "/x", &w, &why), 0);
	rc = docker_writer_write(w, "0123456789", 10, &why);
	if (rc == 0)
		rc = docker_writer_close(w, &why);
	else
		docker_writer_abort(w);
	assert_int_equal(rc, -1);
	assert_string_equal(why, "cannot write into '/x' of container 'c': "
				 "Could not find the file /x");
	reqs = server_stop(s);
	assert_non_null(strstr(reqs, "PUT /v1.41/containers/c/archive?path="
				     "%2Fx "));
	free(reqs);
	docker_free(d);
	free(why);
	free(r404);
}

/* The real daemon part. */

static struct docker *D;
static char *C;		/* a running container of the base image */
static const char *Base;

static int real_setup(void **state)
{
	const char *sock = getenv("ODOOCTL_TEST_DOCKER_SOCK");
	const char *const argv[] = { "sleep", "600", NULL };
	struct buf out;
	json_t *body;
	char *text, *path, *why = NULL;
	long status = 0;

	(void)state;
	if (!sock || !*sock)
		return 0;
	D = docker_new(sock);
	Base = getenv("ODOOCTL_TEST_BASE") ? getenv("ODOOCTL_TEST_BASE") :
					     "bb:local";
	C = xasprintf("odooctl-test-stream-%ld", (long)getpid());
	body = json_pack("{s:s,s:[s,s],s:[],s:s}", "Image", Base, "Cmd",
			 argv[0], argv[1], "Entrypoint", "User", "0");
	text = json_dumps(body, JSON_COMPACT);
	path = xasprintf("/containers/create?name=%s", C);
	buf_init(&out, 1 << 16);
	if (docker_request(D, "POST", path, "application/json", text,
			   strlen(text), &status, &out, &why) < 0 ||
	    status != 201 || docker_container_start(D, C, &why) < 0) {
		fprintf(stderr, "cannot start %s: %s %s\n", C,
			why ? why : "", out.data ? out.data : "");
		return -1;
	}
	buf_release(&out);
	json_decref(body);
	free(text);
	free(path);
	return 0;
}

static int real_teardown(void **state)
{
	struct buf out;
	long status;
	char *why = NULL, *p;

	(void)state;
	if (!D)
		return 0;
	p = xasprintf("/containers/%s?force=1&v=1", C);
	buf_init(&out, 1 << 16);
	docker_request(D, "DELETE", p, NULL, NULL, 0, &status, &out, &why);
	buf_release(&out);
	free(why);
	free(p);
	free(C);
	docker_free(D);
	return 0;
}

#define NEED_DAEMON() \
	do { \
		if (!D) \
			skip(); \
	} while (0)

/* stdin: `size` bytes of a pattern, handed over in odd pieces. */
struct pattern {
	size_t size, off;
};

static long pattern_read(void *buf, size_t cap, void *arg, char **cause)
{
	struct pattern *p = arg;
	size_t n = p->size - p->off;

	(void)cause;
	n = n < cap ? n : cap;
	n = n > 7777 ? 7777 : n;
	for (size_t i = 0; i < n; i++)
		((unsigned char *)buf)[i] = (unsigned char)((p->off + i) % 251);
	p->off += n;
	return (long)n;
}

struct check {
	size_t off;
	int bad;
};

static int pattern_check(const void *data, size_t n, void *arg, char **cause)
{
	struct check *c = arg;

	(void)cause;
	for (size_t i = 0; i < n; i++)
		if (((const unsigned char *)data)[i] !=
		    (unsigned char)((c->off + i) % 251))
			c->bad = 1;
	c->off += n;
	return 0;
}

/* 8 MiB through cat and back, while stderr and the exit code come too. */
static void test_real_exec_stream(void **state)
{
	const char *const argv[] = { "sh", "-c",
				     "cat; echo \"$GREETING\" >&2; exit 4",
				     NULL };
	const char *const env[] = { "GREETING=bye", NULL };
	struct pattern in = { .size = 8u << 20 };
	struct check out = { 0 };
	struct buf err;
	struct docker_exec_opts o = { .argv = argv, .env = env,
				      .in = pattern_read, .in_arg = &in,
				      .out = pattern_check, .out_arg = &out,
				      .err = &err };
	char *why = NULL;
	int code = 0;

	(void)state;
	NEED_DAEMON();
	buf_init(&err, 1 << 10);
	assert_int_equal(docker_exec_stream(D, C, &o, &code, &why), 0);
	assert_int_equal(out.off, in.size);
	assert_int_equal(out.bad, 0);
	assert_string_equal(err.data, "bye\n");
	assert_int_equal(code, 4);
	buf_release(&err);
}

static int stop_early(const void *p, size_t n, void *arg, char **cause)
{
	(void)p, (void)n, (void)arg;
	*cause = xstrdup("enough");
	return -1;
}

static void test_real_exec_sink_stops(void **state)
{
	const char *const argv[] = { "head", "-c", "100000000", "/dev/zero",
				     NULL };
	struct docker_exec_opts o = { .argv = argv, .out = stop_early };
	char *why = NULL;
	int code = 0;

	(void)state;
	NEED_DAEMON();
	assert_int_equal(docker_exec_stream(D, C, &o, &code, &why), -1);
	assert_true(str_starts_with(why, "cannot exec 'head' in '"));
	assert_non_null(strstr(why, ": enough"));
	free(why);
}

static void add_file(struct archive *a, const char *name, const char *text)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0640);
	archive_entry_set_uid(e, 101);
	archive_entry_set_gid(e, 101);
	archive_entry_set_size(e, (la_int64_t)strlen(text));
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, text, strlen(text)),
			 (la_ssize_t)strlen(text));
	archive_entry_free(e);
}

static la_ssize_t to_writer(struct archive *a, void *arg, const void *p,
			    size_t n)
{
	char *why = NULL;

	if (docker_writer_write(arg, p, n, &why) == 0)
		return (la_ssize_t)n;
	archive_set_error(a, EIO, "%s", why);
	free(why);
	return -1;
}

static void put_tree(void)
{
	struct docker_writer *w = NULL;
	struct archive *a = archive_write_new();
	char *why = NULL;

	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	assert_int_equal(docker_archive_put(D, C, "/tmp", &w, &why), 0);
	assert_int_equal(archive_write_open(a, w, NULL, to_writer, NULL),
			 ARCHIVE_OK);
	add_file(a, "fs/ab/abcdef", "first file\n");
	add_file(a, "fs/cd/cdef01", "second file\n");
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	assert_int_equal(docker_writer_close(w, &why), 0);
}

static la_ssize_t from_reader(struct archive *a, void *arg, const void **p)
{
	char *why = NULL;
	long n = docker_reader_read(arg, p, &why);

	if (n < 0) {
		archive_set_error(a, EIO, "%s", why);
		free(why);
	}
	return n;
}

/* PUT a tree, GET it back, names, owners and contents. */
static void test_real_archive_round_trip(void **state)
{
	struct docker_reader *r = NULL;
	struct archive *a;
	struct archive_entry *e;
	char *why = NULL, data[64];
	int found = 0, files = 0;

	(void)state;
	NEED_DAEMON();
	put_tree();
	assert_int_equal(docker_archive_get(D, C, "/tmp/fs", &r, &found, &why),
			 0);
	assert_int_equal(found, 1);
	a = archive_read_new();
	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open(a, r, NULL, from_reader, NULL),
			 ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		la_ssize_t n;

		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		n = archive_read_data(a, data, sizeof(data) - 1);
		assert_true(n > 0);
		data[n] = '\0';
		assert_int_equal(archive_entry_uid(e), 101);
		if (!strcmp(archive_entry_pathname(e), "fs/ab/abcdef"))
			assert_string_equal(data, "first file\n");
		else
			assert_string_equal(archive_entry_pathname(e),
					    "fs/cd/cdef01");
		files++;
	}
	assert_int_equal(files, 2);
	archive_read_free(a);
	docker_reader_free(r);
	assert_int_equal(docker_archive_get(D, C, "/tmp/none", &r, &found,
					    &why), 0);
	assert_int_equal(found, 0);
}

static void test_real_oneoff(void **state)
{
	const char *const argv[] = { "sh", "-c", "echo hi; exit 3", NULL };
	const char *const sleeper[] = { "sleep", "30", NULL };
	struct docker_run o = { .argv = argv, .timeout_s = 30,
				.label = "odooctl.test=1" };
	struct buf out;
	char *why = NULL;
	int code = 0;

	(void)state;
	NEED_DAEMON();
	o.image = Base;
	buf_init(&out, 1 << 10);
	assert_int_equal(docker_run_oneoff(D, &o, &out, &code, &why), 0);
	assert_int_equal(code, 3);
	assert_string_equal(out.data, "hi\n");
	o.argv = sleeper;
	o.timeout_s = 1;
	assert_int_equal(docker_run_oneoff(D, &o, &out, &code, &why), -1);
	assert_non_null(strstr(why, "did not finish within 1 s"));
	free(why);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest canned[] = {
		cmocka_unit_test(test_exec_create_refused),
		cmocka_unit_test(test_exec_start_refused),
		cmocka_unit_test(test_exec_demultiplex_and_tail),
		cmocka_unit_test(test_archive_get_absent_and_error),
		cmocka_unit_test(test_archive_get_chunked),
		cmocka_unit_test(test_archive_put_refused),
	};
	const struct CMUnitTest real[] = {
		cmocka_unit_test(test_real_exec_stream),
		cmocka_unit_test(test_real_exec_sink_stops),
		cmocka_unit_test(test_real_archive_round_trip),
		cmocka_unit_test(test_real_oneoff),
	};
	int failed = cmocka_run_group_tests_name("docker streams, canned",
						 canned, NULL, NULL);

	return failed + cmocka_run_group_tests_name("docker streams, real "
						    "daemon", real,
						    real_setup, real_teardown);
}
