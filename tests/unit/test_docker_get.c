/* docker_get.c: the checks' Engine API GETs over http.h (libcurl), against canned
 * replies on a unix socket (the answers a real daemon gives, and the
 * errors it cannot be made to give). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "canned_server.h"
#include "engine/docker.h"
#include "engine/docker_get.h"

static const char inspect_body[] =
	"{\"Id\":\"abc123\",\"Name\":\"/central-odoo-1\",\"RestartCount\":2,"
	"\"State\":{\"Running\":true,\"ExitCode\":0,"
	"\"StartedAt\":\"2026-11-27T10:00:00Z\","
	"\"Health\":{\"Status\":\"healthy\"}},"
	"\"Config\":{\"Labels\":{\"odooctl.release\":\"sha256:1111\"}},"
	"\"NetworkSettings\":{\"Ports\":{\"8069/tcp\":"
	"[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"32768\"}]}}}";

static void test_container(void **state)
{
	char *found_reply = http_reply("200 OK", inspect_body);
	char *missing = http_reply("404 Not Found",
			      "{\"message\":\"No such container: nope\"}");
	char *broken = http_reply("500 Internal Server Error",
			     "{\"message\":\"layer store on fire\"}");
	struct canned replies[] = {
		{ .data = found_reply }, { .data = missing }, { .data = broken },
		{ .data = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n{{{" },
	};
	struct server *s = server_start(replies, ARRAY_SIZE(replies));
	struct container_state st;
	char *cause = NULL, *requests;
	int found = -1;

	(void)state;
	assert_int_equal(docker_get_container(s->sock, "central-odoo-1", 5000,
					      &st, &found, &cause), 0);
	assert_int_equal(found, 1);
	assert_string_equal(st.id, "abc123");
	assert_string_equal(st.name, "central-odoo-1");
	assert_string_equal(st.digest, "sha256:1111");
	assert_string_equal(st.health, "healthy");
	assert_true(st.running);
	assert_int_equal(st.restarts, 2);
	assert_int_equal(st.http_port, 32768);
	container_state_release(&st);

	assert_int_equal(docker_get_container(s->sock, "nope", 5000, &st,
					      &found, &cause), 0);
	assert_int_equal(found, 0);
	assert_null(cause);
	assert_int_equal(st.http_port, -1);

	assert_int_equal(docker_get_container(s->sock, "x", 5000, &st, &found,
					      &cause), -1);
	assert_non_null(strstr(cause, "cannot inspect container 'x': "));
	assert_non_null(strstr(cause, "layer store on fire"));
	free(cause);
	cause = NULL;

	assert_int_equal(docker_get_container(s->sock, "x", 5000, &st, &found,
					      &cause), -1);
	assert_non_null(strstr(cause, "cannot inspect container 'x': docker "
			       "sent invalid JSON"));
	free(cause);
	requests = server_stop(s);
	assert_non_null(strstr(requests, "GET /" DOCKER_API_VERSION
			       "/containers/central-odoo-1/json HTTP/1.1\r\n"));
	free(requests);
	free(found_reply);
	free(missing);
	free(broken);
}

static void test_service(void **state)
{
	char *list = http_reply("200 OK",
		"[{\"Id\":\"run1\",\"Labels\":{\"com.docker.compose.service\":"
		"\"postgres\",\"com.docker.compose.oneoff\":\"True\"}},"
		"{\"Id\":\"pg1\",\"Labels\":{\"com.docker.compose.service\":"
		"\"postgres\"}},"
		"{\"Id\":\"px1\",\"Labels\":{\"com.docker.compose.service\":"
		"\"proxy\"}}]");
	char *inspect = http_reply("200 OK", inspect_body);
	char *empty = http_reply("200 OK", "[]");
	struct canned replies[] = {
		{ .data = list }, { .data = inspect }, { .data = empty },
	};
	struct server *s = server_start(replies, ARRAY_SIZE(replies));
	struct container_state st;
	char *cause = NULL, *requests;

	(void)state;
	assert_int_equal(docker_get_service(s->sock, "central", "postgres",
					    5000, &st, &cause), 0);
	assert_string_equal(st.id, "abc123");
	container_state_release(&st);
	assert_int_equal(docker_get_service(s->sock, "central", "postgres",
					    5000, &st, &cause), 0);
	assert_null(st.id);	/* no container of that service */
	requests = server_stop(s);
	/* the project's label filter, escaped; then the one not a one-off */
	assert_non_null(strstr(requests, "/containers/json?all=1&filters="
			       "%7B%22label%22%3A%5B%22com.docker.compose."
			       "project%3Dcentral%22%5D%7D HTTP/1.1\r\n"));
	assert_non_null(strstr(requests, "/containers/pg1/json HTTP/1.1"));
	free(requests);
	free(list);
	free(inspect);
	free(empty);
}

static void test_info_and_errors(void **state)
{
	char *info = http_reply("200 OK", "{\"DockerRootDir\":\"/var/lib/docker\"}");
	struct canned replies[] = { { .data = info } };
	struct server *s = server_start(replies, ARRAY_SIZE(replies));
	json_t *j = NULL;
	char *cause = NULL, *want;

	(void)state;
	assert_int_equal(docker_get_info(s->sock, 5000, &j, &cause), 0);
	assert_string_equal(json_string_value(json_object_get(
				    j, "DockerRootDir")), "/var/lib/docker");
	json_decref(j);
	free(server_stop(s));
	free(info);

	assert_int_equal(docker_get_info("/nonexistent/docker.sock", 5000, &j,
					 &cause), -1);
	/* the call, then http.h's reason, without the url of the call */
	want = "cannot get information from docker at "
	       "'/nonexistent/docker.sock': /nonexistent/docker.sock: "
	       "no such file or directory";
	assert_string_equal(cause, want);
	free(cause);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_container),
		cmocka_unit_test(test_service),
		cmocka_unit_test(test_info_and_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
