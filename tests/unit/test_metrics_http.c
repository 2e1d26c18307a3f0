/* The /metrics server (metrics_http.c, libmicrohttpd): a live server on
 * 127.0.0.1 spoken to with plain sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/metrics.h"
#include "core/util.h"

/* ---- a live server ------------------------------------------------------- */

static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static int dial(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Sends req on a new connection; the whole answer (read to EOF, 5 s at
 * most). Caller frees. */
static char *ask(int port, const char *req)
{
	int fd = dial(port);
	struct buf b;
	char chunk[4096];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	buf_init(&b, 1 << 20);
	assert_int_equal(send(fd, req, strlen(req), MSG_NOSIGNAL),
			 (ssize_t)strlen(req));
	while (poll(&p, 1, 5000) == 1 &&
	       (n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(&b, chunk, (size_t)n);
	close(fd);
	return buf_detach(&b, NULL);
}

static void test_live(void **state)
{
	int port = free_port(), idle;
	char listen_at[32], *why = NULL, *a;
	struct metrics_server *s;
	long long t0;

	(void)state;
	snprintf(listen_at, sizeof(listen_at), "127.0.0.1:%d", port);
	s = metrics_server_start(listen_at, &why);
	assert_non_null(s);
	metrics_server_publish(s, xstrdup("odooctl_up 1\n"));
	/* a client that connects and says nothing does not hold up others */
	idle = dial(port);
	a = ask(port, "GET /metrics HTTP/1.1\r\nHost: t\r\n"
		 "Connection: close\r\n\r\n");
	assert_non_null(strstr(a, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(a, "\r\n\r\nodooctl_up 1\n"));
	free(a);
	metrics_server_publish(s, xstrdup("odooctl_up 2\n"));
	a = ask(port, "GET /metrics HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(a, "\r\n\r\nodooctl_up 2\n"));
	assert_non_null(strstr(a, "version=0.0.4"));
	free(a);
	a = ask(port, "HEAD /metrics HTTP/1.1\r\nHost: t\r\n"
		 "Connection: close\r\n\r\n");
	assert_non_null(strstr(a, "Content-Length: 13\r\n"));
	assert_null(strstr(a, "odooctl_up"));
	free(a);
	a = ask(port, "GET /other?x=1 HTTP/1.1\r\nHost: t\r\n"
		 "Connection: close\r\n\r\n");
	assert_non_null(strstr(a, "HTTP/1.1 404 "));
	free(a);
	a = ask(port, "POST /metrics HTTP/1.1\r\nHost: t\r\n"
		 "Content-Length: 2\r\nConnection: close\r\n\r\nab");
	assert_non_null(strstr(a, "HTTP/1.1 405 "));
	assert_non_null(strstr(a, "Allow: GET, HEAD\r\n"));
	free(a);
	a = ask(port, "garbage\r\n\r\n");	/* refused, one way or another */
	assert_null(strstr(a, " 200 "));
	free(a);
	/* the same port twice: the second start names the address */
	assert_null(metrics_server_start(listen_at, &why));
	assert_non_null(strstr(why, "cannot listen on 127.0.0.1:"));
	free(why);
	why = NULL;
	/* stops at once, the idle connection still open */
	t0 = clock_ms();
	metrics_server_stop(s);
	assert_true(clock_ms() - t0 < 1000);
	close(idle);
	assert_null(metrics_server_start("localhost:80", &why));
	assert_non_null(strstr(why, "is not IPV4ADDR:PORT"));
	free(why);
}

/*
 * Out of descriptors: the pending connection cannot be accepted; the
 * server serves it once descriptors are back. In a child, whose limit we
 * lower. (libmicrohttpd busy-waits meanwhile when it holds no other
 * connection: its documented choice, not asserted against.)
 */
static void test_out_of_descriptors(void **state)
{
	int port = free_port(), fds[2], status;
	char listen_at[32], *a, ok = 0;
	pid_t pid;

	(void)state;
	snprintf(listen_at, sizeof(listen_at), "127.0.0.1:%d", port);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		struct rlimit low, old;
		char *why = NULL;
		struct metrics_server *s = metrics_server_start(listen_at,
								&why);
		int top = dup(0);	/* the lowest free descriptor */

		if (!s || top < 0)
			_exit(2);
		close(top);
		metrics_server_publish(s, xstrdup("odooctl_up 1\n"));
		getrlimit(RLIMIT_NOFILE, &old);
		low = old;
		low.rlim_cur = (rlim_t)top;	/* nothing more may open */
		setrlimit(RLIMIT_NOFILE, &low);
		if (write(fds[1], "r", 1) != 1)	/* ready: connect now */
			_exit(2);
		sleep_ms(1000);
		setrlimit(RLIMIT_NOFILE, &old);
		sleep_ms(1500);	/* it accepts, answers */
		metrics_server_stop(s);
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &ok, 1), 1);
	close(fds[0]);
	a = ask(port, "GET /metrics HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(a, "\r\n\r\nodooctl_up 1\n"));
	free(a);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_out_of_descriptors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
