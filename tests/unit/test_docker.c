/*
 * lib/docker.c against canned Engine API replies served over a unix
 * socket by a thread of this test, then (when ODOOCTL_TEST_DOCKER_SOCK is
 * set) against a real daemon: build, push to ODOOCTL_TEST_REGISTRY, pull,
 * and a container's life.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/docker.h"
#include "core/util.h"

#define DIGEST0 "sha256:" \
	"0000000000000000000000000000000000000000000000000000000000000000"

#include "canned_server.h"

static void test_status_error_message(void **state)
{
	char *r500 = http_reply("500 Internal Server Error",
				"{\"message\":\"boom\"}");
	struct canned c[] = { { r500, 0, 0 } };
	struct server *s = server_start(c, ARRAY_SIZE(c));
	struct docker *d = docker_new(s->sock);
	char *why = NULL;

	(void)state;
	assert_int_equal(docker_container_start(d, "web 1", &why), -1);
	assert_string_equal(why, "cannot start container 'web 1': boom");
	free(server_stop(s));
	docker_free(d);
	free(why);
	free(r500);
}

static void test_inspect_absent_and_escaping(void **state)
{
	char *r404 = http_reply("404 Not Found",
				"{\"message\":\"No such image\"}");
	char *r200 = http_reply("200 OK", "{\"Id\":\"sha256:ab\"}");
	struct canned c[] = { { r404, 0, 0 }, { r200, 0, 0 } };
	struct server *s = server_start(c, ARRAY_SIZE(c));
	struct docker *d = docker_new(s->sock);
	json_t *img = NULL;
	char *why = NULL, *reqs;
	int found = 1;

	(void)state;
	assert_int_equal(docker_image_inspect(d, "127.0.0.1:5000/a b@" DIGEST0,
					      &img, &found, &why), 0);
	assert_int_equal(found, 0);
	assert_null(img);
	assert_null(why);
	assert_int_equal(docker_image_inspect(d, "x", &img, &found, &why), 0);
	assert_int_equal(found, 1);
	assert_string_equal(docker_json_str(img, "Id"), "sha256:ab");
	reqs = server_stop(s);
	assert_non_null(strstr(reqs, "GET /v1.41/images/"
			       "127.0.0.1%3A5000%2Fa%20b%40sha256%3A0000"));
	free(reqs);
	json_decref(img);
	docker_free(d);
	free(r404);
	free(r200);
}

static void test_pull_error_in_stream(void **state)
{
	static const struct canned c[] = { {
		"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"
		"{\"status\":\"Pulling from x\",\"id\":\"latest\"}\r\n"
		"{\"status\":\"Downloading\",\"id\":\"l1\",\"progressDetail\":"
		"{\"current\":5,\"total\":10}}\r\n"
		"{\"errorDetail\":{\"message\":\"manifest unknown\"},"
		"\"error\":\"manifest unknown\"}\r\n", 0, 1 } };
	struct server *s = server_start(c, ARRAY_SIZE(c));
	struct docker *d = docker_new(s->sock);
	char *why = NULL;

	(void)state;
	assert_int_equal(docker_image_pull(d, "127.0.0.1:5000/x@" DIGEST0,
					   NULL, NULL, &why), -1);
	assert_string_equal(why, "cannot pull '127.0.0.1:5000/x@" DIGEST0
			    "': manifest unknown");
	free(server_stop(s));
	docker_free(d);
	free(why);
}

struct seen {
	long long done, total;
	int calls;
};

static void on_progress(const char *what, long long done, long long total,
			void *arg)
{
	struct seen *p = arg;

	assert_string_equal(what, "reg/app:v1");
	p->done = done;
	p->total = total;
	p->calls++;
}

/* Chunked, written a byte at a time: messages split anywhere. */
static void test_push_progress_and_digest(void **state)
{
	static const char body[] =
		"{\"status\":\"Preparing\",\"progressDetail\":{},"
		"\"id\":\"a\"}\r\n"
		"{\"status\":\"Pushing\",\"progressDetail\":{\"current\":100,"
		"\"total\":1000},\"id\":\"a\"}\r\n"
		"{\"status\":\"Pushing\",\"progressDetail\":{\"current\":50,"
		"\"total\":500},\"id\":\"b\"}\r\n"
		"{\"status\":\"Pushed\",\"progressDetail\":{},\"id\":\"a\"}\r\n"
		"{\"status\":\"v1: digest: sha256:12 size: 5\"}\r\n"
		"{\"progressDetail\":{},\"aux\":{\"Tag\":\"v1\",\"Digest\":"
		"\"sha256:1234\",\"Size\":5}}\r\n";
	char *reply = xasprintf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
				"\r\n\r\n%zx\r\n%s\r\n0\r\n\r\n",
				strlen(body), body);
	struct canned c[] = { { reply, 0, 1 } };
	struct server *s = server_start(c, ARRAY_SIZE(c));
	struct docker *d = docker_new(s->sock);
	struct seen p = { 0 };
	char *why = NULL, *digest = NULL, *reqs;

	(void)state;
	assert_int_equal(docker_image_push(d, "reg/app", "v1", on_progress, &p,
					   &digest, &why), 0);
	assert_string_equal(digest, "sha256:1234");
	assert_int_equal(p.calls, 3);
	assert_int_equal(p.done, 1050);
	assert_int_equal(p.total, 1500);
	reqs = server_stop(s);
	assert_non_null(strstr(reqs, "POST /v1.41/images/reg%2Fapp"
			       "/push?tag=v1 "));
	assert_non_null(strstr(reqs, "X-Registry-Auth: e30=\r\n"));
	free(reqs);
	docker_free(d);
	free(digest);
	free(reply);
}

static void test_body_too_large(void **state)
{
	size_t n = 5u << 20;
	char *big = xmalloc(n + 128);
	int head = snprintf(big, 128, "HTTP/1.1 200 OK\r\nContent-Length: %zu"
			    "\r\n\r\n", n);
	struct canned c[] = { { big, (size_t)head + n, 0 } };
	struct server *s;
	struct docker *d;
	json_t *info = NULL;
	char *why = NULL;

	(void)state;
	memset(big + head, ' ', n);
	s = server_start(c, ARRAY_SIZE(c));
	d = docker_new(s->sock);
	assert_int_equal(docker_info(d, &info, &why), -1);
	assert_null(info);
	assert_non_null(strstr(why, "larger than 4194304 bytes"));
	free(server_stop(s));
	docker_free(d);
	free(why);
	free(big);
}

static void test_closed_mid_reply(void **state)
{
	static const char frame[] = "HTTP/1.1 200 OK\r\n\r\n"
				    "\1\0\0\0\0\0\0\x10" "hel";
	static const struct canned c[] = {
		{ "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"Id\":",
		  0, 0 },
		{ "", 0, 0 },
		{ frame, sizeof(frame) - 1, 0 },
	};
	struct server *s = server_start(c, ARRAY_SIZE(c));
	struct docker *d = docker_new(s->sock);
	json_t *info = NULL;
	struct buf out;
	char *why = NULL;

	(void)state;
	buf_init(&out, 1 << 20);
	assert_int_equal(docker_info(d, &info, &why), -1);
	assert_non_null(strstr(why, "cannot get information from docker at '"));
	assert_non_null(strstr(why, "': docker closed the connection "
				    "mid-reply"));
	free(why);
	assert_int_equal(docker_ping(d, &why), -1);
	assert_non_null(strstr(why, "docker closed the connection without "
				    "replying"));
	free(why);
	assert_int_equal(docker_container_logs(d, "c", 5, &out, &why), -1);
	assert_string_equal(why, "cannot read the logs of 'c': docker closed "
				 "the connection mid-reply");
	free(server_stop(s));
	buf_release(&out);
	docker_free(d);
	free(why);
}

static void test_no_socket(void **state)
{
	struct docker *d = docker_new("/nonexistent/odooctl/docker.sock");
	char *why = NULL;

	(void)state;
	assert_string_equal(docker_socket(d),
			    "/nonexistent/odooctl/docker.sock");
	assert_int_equal(docker_ping(d, &why), -1);
	assert_string_equal(why, "cannot reach docker at "
			    "'/nonexistent/odooctl/docker.sock': "
			    "No such file or directory");
	docker_free(d);
	free(why);
}

static void test_exec_demultiplex(void **state)
{
	static const char start[] =
		"HTTP/1.1 200 OK\r\n"
		"Content-Type: application/vnd.docker.raw-stream\r\n\r\n"
		"\1\0\0\0\0\0\0\6hello\n"
		"\2\0\0\0\0\0\0\4err\n"
		"\1\0\0\0\0\0\0\0"
		"\1\0\0\0\0\0\0\3end";
	char *create = http_reply("201 Created", "{\"Id\":\"e1\"}");
	char *running = http_reply("200 OK",
				   "{\"Running\":true,\"ExitCode\":0}");
	char *done = http_reply("200 OK", "{\"Running\":false,\"ExitCode\":3}");
	struct canned c[] = { { create, 0, 0 },
			      { start, sizeof(start) - 1, 1 },
			      { running, 0, 0 }, { done, 0, 0 } };
	struct server *s = server_start(c, ARRAY_SIZE(c));
	struct docker *d = docker_new(s->sock);
	const char *const argv[] = { "nginx", "-t", NULL };
	struct buf out;
	char *why = NULL, *reqs;
	int code = 0;

	(void)state;
	buf_init(&out, 1 << 10);
	assert_int_equal(docker_exec(d, "proxy", argv, &out, &code, &why), 0);
	assert_string_equal(out.data, "hello\nerr\nend");
	assert_int_equal(code, 3);
	reqs = server_stop(s);
	assert_non_null(strstr(reqs, "POST /v1.41/containers/proxy/exec "));
	assert_non_null(strstr(reqs, "POST /v1.41/exec/e1/start "));
	assert_non_null(strstr(reqs, "GET /v1.41/exec/e1/json "));
	assert_non_null(strstr(reqs, "\"Cmd\":[\"nginx\",\"-t\"]"));
	free(reqs);
	buf_release(&out);
	docker_free(d);
	free(create);
	free(running);
	free(done);
}

static void test_logs_bounded(void **state)
{
	static const char logs[] =
		"HTTP/1.1 200 OK\r\n\r\n"
		"\1\0\0\0\0\0\0\x0a" "0123456789";
	static const struct canned c[] = { { logs, sizeof(logs) - 1, 0 } };
	struct server *s = server_start(c, ARRAY_SIZE(c));
	struct docker *d = docker_new(s->sock);
	struct buf out;
	char *why = NULL;

	(void)state;
	buf_init(&out, 8);
	assert_int_equal(docker_container_logs(d, "c", 5, &out, &why), -1);
	assert_non_null(strstr(why, "larger than 8 bytes"));
	free(server_stop(s));
	buf_release(&out);
	docker_free(d);
	free(why);
}

static void test_json_accessors(void **state)
{
	json_t *c = json_loads("{\"State\":{\"Health\":{\"Status\":\"ok\"}},"
			       "\"NetworkSettings\":{\"Ports\":{\"8069/tcp\":"
			       "[{\"HostIp\":\"127.0.0.1\",\"HostPort\":"
			       "\"32768\"}],\"8072/tcp\":null}}}", 0, NULL);

	(void)state;
	assert_string_equal(docker_json_str(c, "State.Health.Status"), "ok");
	assert_null(docker_json_str(c, "State.Health"));
	assert_null(docker_json_str(c, "State.Nope.Status"));
	assert_null(docker_json_str(NULL, "State"));
	assert_int_equal(docker_container_host_port(c, "8069/tcp"), 32768);
	assert_int_equal(docker_container_host_port(c, "8072/tcp"), -1);
	assert_int_equal(docker_container_host_port(c, "80/tcp"), -1);
	json_decref(c);
}

/* The real daemon part. */

struct real {
	struct docker *d;
	const char *base;
	const char *registry;
	char *dir;
	char *tag;		/* local build tag */
	char *image_id;
	char *repo;		/* registry repository */
	char *digest;
	char *container;
};

static struct real R;

static int real_setup(void **state)
{
	const char *sock = getenv("ODOOCTL_TEST_DOCKER_SOCK");

	(void)state;
	if (!sock || !*sock)
		return 0;
	R.d = docker_new(sock);
	R.base = getenv("ODOOCTL_TEST_BASE") ? getenv("ODOOCTL_TEST_BASE")
					     : "bb:local";
	R.registry = getenv("ODOOCTL_TEST_REGISTRY");
	R.tag = xasprintf("odooctl-test/dockerc:%ld", (long)getpid());
	R.repo = xasprintf("%s/odooctl-test-dockerc",
			   R.registry ? R.registry : "127.0.0.1:5001");
	R.container = xasprintf("odooctl-test-dockerc-%ld", (long)getpid());
	return 0;
}

static void delete_quietly(const char *path)
{
	struct buf out;
	long status;
	char *why = NULL;

	buf_init(&out, 1 << 20);
	docker_request(R.d, "DELETE", path, NULL, NULL, 0, &status, &out, &why);
	buf_release(&out);
	free(why);
}

static int real_teardown(void **state)
{
	char *p;

	(void)state;
	if (!R.d)
		return 0;
	p = xasprintf("/containers/%s?force=1&v=1", R.container);
	delete_quietly(p);
	free(p);
	p = xasprintf("/images/%s?force=1", R.tag);
	delete_quietly(p);
	free(p);
	p = xasprintf("/images/%s:t1?force=1", R.repo);
	delete_quietly(p);
	free(p);
	if (R.dir) {
		p = xasprintf("rm -rf '%s'", R.dir);
		if (system(p) != 0)
			fprintf(stderr, "cannot remove %s\n", R.dir);
		free(p);
	}
	docker_free(R.d);
	free(R.dir);
	free(R.tag);
	free(R.image_id);
	free(R.repo);
	free(R.digest);
	free(R.container);
	return 0;
}

#define NEED_DAEMON() \
	do { \
		if (!R.d) \
			skip(); \
	} while (0)

static void test_real_ping_info(void **state)
{
	json_t *info = NULL;
	char *why = NULL;

	(void)state;
	NEED_DAEMON();
	assert_int_equal(docker_ping(R.d, &why), 0);
	assert_int_equal(docker_info(R.d, &info, &why), 0);
	assert_non_null(docker_json_str(info, "DockerRootDir"));
	json_decref(info);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name), *why = NULL;

	assert_int_equal(file_write_atomic(path, text, strlen(text), 0644,
					   &why), 0);
	free(path);
}

static void count_line(const char *text, void *arg)
{
	assert_non_null(text);
	(*(int *)arg)++;
}

static void test_real_build(void **state)
{
	struct docker_build b = { .dockerfile = "Dockerfile", .tag = R.tag };
	json_t *img = NULL;
	char *why = NULL, *dockerfile;
	int lines = 0, found = 0;

	(void)state;
	NEED_DAEMON();
	dockerfile = xasprintf(
		"FROM %s\nUSER root\nARG GREETING\nCOPY . /ctx/\n"
		"RUN test ! -e /ctx/secret.txt && test -e /ctx/keep.txt && "
		"echo \"$GREETING\" > /greeting\n", R.base);
	R.dir = xstrdup("/tmp/odooctl-test-dockerctx-XXXXXX");
	assert_non_null(mkdtemp(R.dir));
	write_file(R.dir, "Dockerfile", dockerfile);
	write_file(R.dir, ".dockerignore", "secret.txt\n");
	write_file(R.dir, "secret.txt", "no\n");
	write_file(R.dir, "keep.txt", "hello from the context\n");
	b.context_dir = R.dir;
	b.labels = json_pack("{s:s,s:s}", "odooctl.test", "yes",
			     "odooctl.commit", "abc123");
	b.buildargs = json_pack("{s:s}", "GREETING", "hi there");
	assert_int_equal(docker_image_build(R.d, &b, count_line, &lines,
					    &R.image_id, &why), 0);
	assert_true(lines > 0);
	assert_true(str_starts_with(R.image_id, "sha256:"));
	assert_int_equal(docker_image_inspect(R.d, R.tag, &img, &found, &why),
			 0);
	assert_int_equal(found, 1);
	assert_string_equal(docker_json_str(img, "Id"), R.image_id);
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(json_object_get(img, "Config"), "Labels"),
		"odooctl.commit")), "abc123");
	json_decref(img);
	json_decref(b.labels);
	json_decref(b.buildargs);
	free(dockerfile);
}

static void test_real_build_failure(void **state)
{
	struct docker_build b = { .dockerfile = "Dockerfile.bad",
				  .tag = "odooctl-test/never:1" };
	char *id = NULL, *why = NULL, *df;

	(void)state;
	NEED_DAEMON();
	assert_non_null(R.dir);
	df = xasprintf("FROM %s\nRUN echo failing; exit 7\n", R.base);
	write_file(R.dir, "Dockerfile.bad", df);
	b.context_dir = R.dir;
	assert_int_equal(docker_image_build(R.d, &b, NULL, NULL, &id, &why),
			 -1);
	assert_null(id);
	assert_non_null(strstr(why, "cannot build 'odooctl-test/never:1': "));
	assert_non_null(strstr(why, "non-zero code: 7"));
	assert_null(strchr(why, '\n'));
	free(why);
	free(df);
}

static void test_real_tag_push_pull(void **state)
{
	char *ref, *absent_ref, *why = NULL;
	int absent = -1;

	(void)state;
	NEED_DAEMON();
	if (!R.registry)
		skip();
	assert_int_equal(docker_image_tag(R.d, R.tag, R.repo, "t1", &why), 0);
	assert_int_equal(docker_image_push(R.d, R.repo, "t1", NULL, NULL,
					   &R.digest, &why), 0);
	assert_int_equal(strlen(R.digest), 71);
	ref = xasprintf("%s@%s", R.repo, R.digest);
	absent_ref = xasprintf("%s@%s", R.repo, DIGEST0);
	assert_int_equal(docker_distribution_check(R.d, ref, &absent, &why), 0);
	assert_int_equal(docker_distribution_check(R.d, absent_ref, &absent,
						   &why), -1);
	assert_int_equal(absent, 1);
	assert_non_null(strstr(why, "manifest unknown"));
	free(why);
	assert_int_equal(docker_distribution_check(R.d, "127.0.0.1:1/x:1",
						   &absent, &why), -1);
	assert_int_equal(absent, 0);
	free(why);
	assert_int_equal(docker_image_pull(R.d, ref, NULL, NULL, &why), 0);
	assert_int_equal(docker_image_pull(R.d, absent_ref, NULL, NULL, &why),
			 -1);
	assert_true(str_starts_with(why, "cannot pull '"));
	free(why);
	free(ref);
	free(absent_ref);
}

static void create_container(void)
{
	json_t *body = json_pack(
		"{s:s,s:[s,s,s],s:{s:s},s:{s:{}},s:{s:{s:[{s:s,s:s}]}}}",
		"Image", R.tag, "Cmd", "sh", "-c",
		"echo hello-out; echo hello-err >&2; exec sleep 300",
		"Labels", "odooctl.test", R.container,
		"ExposedPorts", "8069/tcp",
		"HostConfig", "PortBindings", "8069/tcp", "HostIp", "127.0.0.1",
		"HostPort", "");
	char *text = json_dumps(body, JSON_COMPACT);
	char *path = xasprintf("/containers/create?name=%s", R.container);
	char *why = NULL;
	struct buf out;
	long status = 0;

	buf_init(&out, 1 << 20);
	assert_int_equal(docker_request(R.d, "POST", path, "application/json",
					text, strlen(text), &status, &out,
					&why), 0);
	assert_int_equal(status, 201);
	buf_release(&out);
	json_decref(body);
	free(text);
	free(path);
}

static void wait_logs(struct buf *out)
{
	char *why = NULL;

	for (int i = 0; i < 50; i++) {
		buf_reset(out);
		assert_int_equal(docker_container_logs(R.d, R.container, 10,
						       out, &why), 0);
		if (out->data && strstr(out->data, "hello-err"))
			return;
		sleep_ms(100);
	}
	fail_msg("no logs from %s", R.container);
}

static void check_exec(void)
{
	const char *const argv[] = { "sh", "-c",
				     "cat /greeting; echo oops >&2; exit 3",
				     NULL };
	const char *const missing[] = { "/no/such/program", NULL };
	struct buf out;
	char *why = NULL;
	int code = 0;

	buf_init(&out, 1 << 16);
	assert_int_equal(docker_exec(R.d, R.container, argv, &out, &code,
				     &why), 0);
	assert_int_equal(code, 3);
	assert_non_null(strstr(out.data, "hi there\n"));
	assert_non_null(strstr(out.data, "oops\n"));
	buf_reset(&out);
	assert_int_equal(docker_exec(R.d, R.container, missing, &out, &code,
				     &why), 0);
	assert_true(code == 126 || code == 127);
	buf_release(&out);
}

static void test_real_container(void **state)
{
	json_t *c = NULL, *list = NULL;
	char *why = NULL, *label;
	struct buf logs;
	int found = 0;

	(void)state;
	NEED_DAEMON();
	assert_non_null(R.image_id);
	label = xasprintf("odooctl.test=%s", R.container);
	buf_init(&logs, 1 << 20);
	create_container();
	assert_int_equal(docker_container_start(R.d, R.container, &why), 0);
	assert_int_equal(docker_container_start(R.d, R.container, &why), 0);
	assert_int_equal(docker_container_inspect(R.d, R.container, &c, &found,
						  &why), 0);
	assert_int_equal(found, 1);
	assert_true(docker_container_host_port(c, "8069/tcp") > 0);
	json_decref(c);
	assert_int_equal(docker_container_list(R.d, label, &list, &why), 0);
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(docker_json_str(json_array_get(list, 0), "State"),
			    "running");
	json_decref(list);
	wait_logs(&logs);
	assert_non_null(strstr(logs.data, "hello-out\n"));
	check_exec();
	assert_int_equal(docker_container_set_restart(R.d, R.container,
						      "unless-stopped", &why),
			 0);
	assert_int_equal(docker_container_inspect(R.d, R.container, &c, &found,
						  &why), 0);
	assert_string_equal(docker_json_str(c, "HostConfig.RestartPolicy.Name"),
			    "unless-stopped");
	json_decref(c);
	assert_int_equal(docker_container_stop(R.d, R.container, 1, &why), 0);
	assert_int_equal(docker_container_stop(R.d, R.container, 1, &why), 0);
	assert_int_equal(docker_container_remove(R.d, R.container, &why), 0);
	assert_int_equal(docker_container_inspect(R.d, R.container, &c, &found,
						  &why), 0);
	assert_int_equal(found, 0);
	assert_int_equal(docker_container_start(R.d, R.container, &why), -1);
	assert_non_null(strstr(why, "No such container"));
	free(why);
	buf_release(&logs);
	free(label);
}

int main(void)
{
	const struct CMUnitTest canned[] = {
		cmocka_unit_test(test_status_error_message),
		cmocka_unit_test(test_inspect_absent_and_escaping),
		cmocka_unit_test(test_pull_error_in_stream),
		cmocka_unit_test(test_push_progress_and_digest),
		cmocka_unit_test(test_body_too_large),
		cmocka_unit_test(test_closed_mid_reply),
		cmocka_unit_test(test_no_socket),
		cmocka_unit_test(test_exec_demultiplex),
		cmocka_unit_test(test_logs_bounded),
		cmocka_unit_test(test_json_accessors),
	};
	const struct CMUnitTest real[] = {
		cmocka_unit_test(test_real_ping_info),
		cmocka_unit_test(test_real_build),
		cmocka_unit_test(test_real_build_failure),
		cmocka_unit_test(test_real_tag_push_pull),
		cmocka_unit_test(test_real_container),
	};
	int failed = cmocka_run_group_tests_name("docker, canned replies",
						 canned, NULL, NULL);

	return failed + cmocka_run_group_tests_name("docker, real daemon",
						    real, real_setup,
						    real_teardown);
}
