/*
 * lib/http.c, HTTP over libcurl: whole exchanges against servers of the
 * test's own (canned replies over TCP on 127.0.0.1 and over a unix socket,
 * a listener that never answers, one that trickles a byte at a time past
 * the deadline, a closed port, a TLS server with a throw-away CA made by
 * the openssl CLI, a CONNECT proxy that relays or answers 407) and the
 * users, http_do and alertq_post.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <poll.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "monitor/alertq.h"
#include "canned_server.h"
#include "net/http.h"
#include "core/util.h"

/* ---- servers ------------------------------------------------------------- */

static int listen_tcp(int backlog, int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (backlog && listen(fd, backlog)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len))
		abort();
	*port = ntohs(sa.sin_port);
	return fd;
}

/* canned_server.h's loop, on a TCP listener. */
static struct server *tcp_start(const struct canned *replies, size_t n,
				int *port)
{
	struct server *s = xcalloc(1, sizeof(*s));

	s->fd = listen_tcp(8, port);
	s->replies = replies;
	s->n = n;
	buf_init(&s->requests, 16 << 20);
	if (pthread_create(&s->thread, NULL, canned_serve, s))
		abort();
	return s;
}

static char *tcp_stop(struct server *s)
{
	char *requests;

	pthread_join(s->thread, NULL);
	close(s->fd);
	requests = buf_detach(&s->requests, NULL);
	free(s);
	return requests;
}

static int get(const char *method, const char *url, const char *body,
	       const char *header, long timeout_ms, size_t max,
	       struct http_response *r, char **cause)
{
	struct http_request req = {
		.method = method, .url = url, .header = header, .body = body,
		.timeout_ms = timeout_ms, .body_max = max,
	};

	*cause = NULL;
	return http_do(&req, r, cause);
}

static void expect_body(const char *url, long status, const char *body)
{
	struct http_response r;
	char *cause;

	if (get("GET", url, NULL, NULL, 5000, 100, &r, &cause) < 0)
		fail_msg("%s", cause);
	assert_int_equal(r.status, status);
	assert_string_equal(r.body.data ? r.body.data : "", body);
	http_response_release(&r);
}

/* A GET fails with "GET url: reason". */
static void expect_failure(const char *url, long timeout_ms,
			   const char *reason)
{
	struct http_response r;
	char *cause, *want = xasprintf("GET %s: %s", url, reason);

	assert_int_equal(get("GET", url, NULL, NULL, timeout_ms, 100, &r,
			     &cause), -1);
	assert_string_equal(cause, want);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.body.len, 0);
	http_response_release(&r);
	free(want);
	free(cause);
}

/* ---- exchanges over TCP and a unix socket ------------------------------- */

static void test_tcp_methods(void **state)
{
	struct canned replies[] = {
		{ .data = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" },
		{ .data = "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n"
			  "\r\nok" },
		{ .data = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n"
			  "\r\n" },
		{ .data = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" },
	};
	struct http_response r;
	char *cause, *url, *requests, *want;
	int port;
	struct server *s = tcp_start(replies, ARRAY_SIZE(replies), &port);

	(void)state;
	url = xasprintf("http://127.0.0.1:%d/web/health?x=1#frag", port);
	assert_int_equal(get("GET", url, NULL, "X-A: b", 5000, 100, &r, &cause),
			 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, "hello");
	http_response_release(&r);
	assert_int_equal(get("POST", url, "{\"a\":1}", NULL, 5000, 100, &r,
			     &cause), 0);
	assert_int_equal(r.status, 201);
	http_response_release(&r);
	assert_int_equal(get("POST", url, NULL, NULL, 5000, 100, &r, &cause),
			 0);
	assert_int_equal(r.status, 202);
	http_response_release(&r);
	/* a HEAD is done at the end of the head, whatever the length says */
	assert_int_equal(get("HEAD", url, NULL, NULL, 5000, 100, &r, &cause),
			 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body.len, 0);
	http_response_release(&r);
	requests = tcp_stop(s);
	want = xasprintf("GET /web/health?x=1 HTTP/1.1\r\nHost: 127.0.0.1:%d"
			 "\r\nUser-Agent: odooctl\r\n", port);
	assert_true(str_starts_with(requests, want));
	free(want);
	assert_non_null(strstr(requests, "\r\nX-A: b\r\n\r\n\nPOST "
			       "/web/health?x=1 HTTP/1.1\r\n"));
	assert_non_null(strstr(requests, "\r\nContent-Length: 7\r\n\r\n"
			       "{\"a\":1}\nPOST /web/health?x=1 HTTP/1.1\r\n"));
	assert_non_null(strstr(requests, "\r\nContent-Length: 0\r\n\r\n\n"
			       "HEAD /web/health?x=1 HTTP/1.1\r\n"));
	assert_null(strstr(requests, "Expect:"));
	assert_null(strstr(requests, "#frag"));
	free(requests);
	free(url);
}

static void test_tcp_framings(void **state)
{
	struct canned replies[] = {
		{ .data = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
			  "\r\n"
		  "3;x=y\r\nabc\r\n4\r\ndefg\r\n0\r\nT: 1\r\n\r\n", .slow = 1 },
		{ .data = "HTTP/1.0 200 OK\r\n\r\nuntil the close", .slow = 1 },
		{ .data = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
		  "Content-Length: 2\r\n\r\nok" },
		{ .data = "HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n"
		  "0123456789012345678901234567890123456789" },
		{ .data = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
			  "short" },
		{ .data = "" },
		{ .data = "garbage\r\n\r\n" },
	};
	char *url;
	int port;
	struct server *s = tcp_start(replies, ARRAY_SIZE(replies), &port);

	(void)state;
	url = xasprintf("http://localhost:%d", port);
	expect_body(url, 200, "abcdefg");
	expect_body(url, 200, "until the close");
	expect_body(url, 200, "ok");
	expect_failure(url, 5000, "reply body too large");
	expect_failure(url, 5000, "connection closed before the end of the "
		       "reply");
	expect_failure(url, 5000, "empty reply");
	expect_failure(url, 5000, "received HTTP/0.9 when not allowed");
	free(tcp_stop(s));
	free(url);
}

static void test_unix_socket(void **state)
{
	struct canned replies[] = {
		{ .data = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}" },
	};
	struct server *s = server_start(replies, ARRAY_SIZE(replies));
	struct http_request req = {
		.method = "GET", .url = "http://docker/v1.43/info",
		.unix_socket = s->sock, .timeout_ms = 5000, .body_max = 100,
	};
	struct http_response r;
	char *cause = NULL, *requests, *missing;

	(void)state;
	assert_int_equal(http_do(&req, &r, &cause), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, "{}");
	http_response_release(&r);
	requests = server_stop(s);
	assert_true(str_starts_with(requests, "GET /v1.43/info HTTP/1.1\r\n"
				    "Host: docker\r\n"));
	free(requests);

	missing = xasprintf("/tmp/odooctl-test-http-none-%d.sock", getpid());
	req.unix_socket = missing;
	assert_int_equal(http_do(&req, &r, &cause), -1);
	http_response_release(&r);
	requests = xasprintf("GET http://docker/v1.43/info: %s: no such file "
			     "or directory", missing);
	assert_string_equal(cause, requests);
	free(requests);
	free(cause);
	free(missing);
}

static void test_refused(void **state)
{
	char *url, *want;
	int port, fd = listen_tcp(0, &port);

	(void)state;
	close(fd);
	url = xasprintf("http://127.0.0.1:%d/web/health", port);
	want = xasprintf("cannot connect to 127.0.0.1 port %d: connection "
			 "refused", port);
	expect_failure(url, 5000, want);
	free(want);
	free(url);
}

/* Sends a head, then a byte of the body every 20 ms for 2 s. */
static void *trickle(void *arg)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: "
				   "99\r\n\r\n";
	int c = accept(*(int *)arg, NULL, NULL);
	char buf[4096];

	if (c < 0)
		return NULL;
	if (read(c, buf, sizeof(buf)) > 0 &&
	    send(c, head, strlen(head), MSG_NOSIGNAL) > 0)
		for (int i = 0; i < 99; i++) {
			if (send(c, "x", 1, MSG_NOSIGNAL) != 1)
				break;
			usleep(20 * 1000);
		}
	close(c);
	return NULL;
}

/* Reads a request and answers nothing for 3 s: a receiver that hangs. */
static void *hang(void *arg)
{
	int c = accept(*(int *)arg, NULL, NULL);
	char buf[4096];

	if (c < 0)
		return NULL;
	if (read(c, buf, sizeof(buf)) > 0)
		sleep(3);
	close(c);
	return NULL;
}

/* A webhook to a receiver that hangs: the attempt ends at alert_timeout,
 * with the reason the monitor logs. */
static void test_alertq_post_hangs(void **state)
{
	int port, fd = listen_tcp(8, &port);
	char *url = xasprintf("http://127.0.0.1:%d/hooks/T0KEN", port);
	volatile int abort_flag = 0;
	long long start = clock_ms();
	char *cause = NULL;
	pthread_t t;

	(void)state;
	pthread_create(&t, NULL, hang, &fd);
	assert_int_equal(alertq_post(url, "{}", 1, &abort_flag, &cause), -1);
	assert_string_equal(cause, "timed out after 1000 ms");
	assert_true(clock_ms() - start < 2000);
	free(cause);
	pthread_join(t, NULL);
	close(fd);
	free(url);
}

/* A server that keeps sending does not stretch the deadline: it bounds
 * the whole exchange, not each wait for a byte. */
static void test_trickle(void **state)
{
	int port, fd = listen_tcp(8, &port);
	char *url = xasprintf("http://127.0.0.1:%d/", port);
	long long start = clock_ms();
	pthread_t t;

	(void)state;
	pthread_create(&t, NULL, trickle, &fd);
	expect_failure(url, 500, "timed out after 500 ms");
	assert_true(clock_ms() - start >= 490);
	assert_true(clock_ms() - start < 1500);
	shutdown(fd, SHUT_RDWR);
	pthread_join(t, NULL);
	close(fd);
	free(url);
}

static void test_timeout(void **state)
{
	char *url;
	int port, fd = listen_tcp(8, &port);	/* never accepts */
	long long start = clock_ms();

	(void)state;
	url = xasprintf("http://127.0.0.1:%d/", port);
	expect_failure(url, 300, "timed out after 300 ms");
	assert_true(clock_ms() - start >= 290);
	assert_true(clock_ms() - start < 2000);
	close(fd);
	free(url);
}

static volatile sig_atomic_t cancel_flag;

static void *cancel_later(void *arg)
{
	(void)arg;
	usleep(200 * 1000);
	cancel_flag = 1;
	return NULL;
}

static void test_cancel(void **state)
{
	struct http_response r;
	char *cause = NULL, *url;
	int port, fd = listen_tcp(8, &port);
	struct http_request req = { .method = "GET", .timeout_ms = 10000,
				     .body_max = 100, .cancel = &cancel_flag };
	long long start = clock_ms();
	pthread_t t;

	(void)state;
	url = xasprintf("http://127.0.0.1:%d/", port);
	req.url = url;
	cancel_flag = 0;
	pthread_create(&t, NULL, cancel_later, NULL);
	assert_int_equal(http_do(&req, &r, &cause), -1);
	pthread_join(t, NULL);
	assert_true(clock_ms() - start < 2000);
	assert_true(str_starts_with(cause, "GET http://127.0.0.1:"));
	assert_non_null(strstr(cause, "/: cancelled"));
	http_response_release(&r);
	close(fd);
	free(cause);
	free(url);
}

static void test_bad_requests(void **state)
{
	static const char header[] =
		"Authorization: Bearer s3cret\r\nX-Injected: 1";
	static const char *const bad[] = {
		"ftp://host/", "http://", "http://[::1/", "http://host:0/",
		"http://host:65536/", "http://host:x/", "http://u@/",
		"http://host/a b",
	};
	struct http_response r;
	char *cause;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (strchr(bad[i], '@'))	/* user:password shown as *** */
			continue;
		expect_failure(bad[i], 100, "bad url");
	}
	assert_int_equal(get("GET", "http://u@/", NULL, NULL, 100, 100, &r,
			     &cause), -1);
	assert_string_equal(cause, "GET http://***@/: bad url");
	http_response_release(&r);
	free(cause);
	/* the message stays on one line */
	assert_int_equal(get("GET", "http://ho\r\nst/", NULL, NULL, 100, 100,
			     &r, &cause), -1);
	assert_string_equal(cause, "GET http://ho  st/: bad url");
	http_response_release(&r);
	free(cause);
	assert_int_equal(get("GET", "http://127.0.0.1:1/", NULL, header,
			     1000, 100, &r, &cause), -1);
	assert_string_equal(cause, "GET http://127.0.0.1:1/: bad request "
			    "header");
	http_response_release(&r);
	free(cause);
}

/* user:password@ as Basic authentication, never in a message; an http
 * proxy from the environment (absolute-form target, its credentials), not
 * for loopback nor what no_proxy names. */
static void test_userinfo_and_http_proxy(void **state)
{
	struct canned replies[] = {
		{ .data = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na" },
		{ .data = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb" },
		{ .data = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nc" },
	};
	struct http_response r;
	char *cause = NULL, *url, *requests, *proxy;
	int port;
	struct server *s = tcp_start(replies, ARRAY_SIZE(replies), &port);

	(void)state;
	url = xasprintf("http://user:p%%40ss@127.0.0.1:%d/x", port);
	assert_int_equal(get("GET", url, NULL, NULL, 5000, 100, &r, &cause),
			 0);
	http_response_release(&r);
	free(url);
	/* through the proxy (the canned server plays it) */
	proxy = xasprintf("pu:pw@127.0.0.1:%d", port);
	setenv("http_proxy", proxy, 1);
	assert_int_equal(get("GET", "http://plain.invalid:8080/p?q=1", NULL,
			     NULL, 5000, 100, &r, &cause), 0);
	assert_string_equal(r.body.data, "b");
	http_response_release(&r);
	/* loopback: never through a proxy, even one that is set */
	url = xasprintf("http://localhost:%d/direct", port);
	assert_int_equal(get("GET", url, NULL, NULL, 5000, 100, &r, &cause),
			 0);
	http_response_release(&r);
	free(url);
	requests = tcp_stop(s);
	assert_non_null(strstr(requests, "GET /x HTTP/1.1\r\nHost: 127.0.0.1:"));
	assert_non_null(strstr(requests, "Authorization: Basic dXNlcjpwQHNz\r\n"));
	assert_non_null(strstr(requests, "GET http://plain.invalid:8080/p?q=1 "
			       "HTTP/1.1\r\nHost: plain.invalid:8080\r\n"));
	assert_non_null(strstr(requests, "Proxy-Authorization: Basic "
			       "cHU6cHc=\r\n"));
	assert_non_null(strstr(requests, "GET /direct HTTP/1.1\r\n"));
	free(requests);
	/* no_proxy: direct, so the name must resolve (it does not) */
	setenv("no_proxy", "example.org, .invalid", 1);
	assert_int_equal(get("GET", "http://plain.invalid:8080/", NULL, NULL,
			     2000, 100, &r, &cause), -1);
	assert_non_null(strstr(cause, "resolve host: plain.invalid"));
	free(cause);
	unsetenv("no_proxy");
	/* a proxy that does not answer is named */
	setenv("http_proxy", "http://127.0.0.1:1", 1);
	assert_int_equal(get("GET", "http://plain.invalid/", NULL, NULL, 2000,
			     100, &r, &cause), -1);
	assert_string_equal(cause, "GET http://plain.invalid/: cannot "
			    "connect to 127.0.0.1 port 1: connection refused");
	free(cause);
	/* a failure shows user:password as *** */
	assert_int_equal(get("GET", "http://u:secret@plain.invalid/", NULL,
			     NULL, 2000, 100, &r, &cause), -1);
	assert_null(strstr(cause, "secret"));
	assert_non_null(strstr(cause, "http://***@plain.invalid/"));
	free(cause);
	/* an https proxy is libcurl's to speak: tried, not refused */
	setenv("http_proxy", "https://127.0.0.1:1", 1);
	assert_int_equal(get("GET", "http://plain.invalid/", NULL, NULL, 2000,
			     100, &r, &cause), -1);
	assert_non_null(strstr(cause, "127.0.0.1 port 1: connection refused"));
	free(cause);
	unsetenv("http_proxy");
	free(proxy);
}

/* ---- the users ----------------------------------------------------------- */

static void test_http_do(void **state)
{
	struct canned replies[] = {
		{ .data = "HTTP/1.1 503 Unavailable\r\nContent-Length: 4\r\n"
			  "\r\ndown" },
	};
	struct http_request req = { .method = "POST", .body = "{}",
				    .content_type = "application/json",
				    .header = "X-Odoo-Db: prod",
				    .timeout_ms = 5000 };
	struct http_response r;
	char *cause = NULL, *url, *requests;
	int port;
	struct server *s = tcp_start(replies, ARRAY_SIZE(replies), &port);

	(void)state;
	url = xasprintf("http://127.0.0.1:%d/web/webclient/version_info", port);
	req.url = url;
	assert_int_equal(http_do(&req, &r, &cause), 0);
	assert_int_equal(r.status, 503);
	assert_string_equal(r.body.data, "down");
	assert_int_equal(r.body.max, HTTP_BODY_MAX);
	assert_true(r.elapsed_ms >= 0 && r.elapsed_ms < 5000);
	http_response_release(&r);
	requests = tcp_stop(s);
	assert_non_null(strstr(requests, "\r\nContent-Type: application/json"
			       "\r\nX-Odoo-Db: prod\r\nContent-Length: 2\r\n"
			       "\r\n{}"));
	free(requests);
	free(url);
}

static void test_alertq_post(void **state)
{
	char *oops = http_reply("500 Oops", "{}");
	struct canned replies[] = {
		{ .data = "HTTP/1.1 204 No Content\r\n\r\n" },
		{ .data = oops },
	};
	volatile int abort_flag = 0;
	char *cause = NULL, *url, *requests;
	int port;
	struct server *s = tcp_start(replies, ARRAY_SIZE(replies), &port);

	(void)state;
	url = xasprintf("http://127.0.0.1:%d/hooks/T0KEN", port);
	assert_int_equal(alertq_post(url, "{\"a\":1}", 5, &abort_flag,
				     &cause), 0);
	assert_int_equal(alertq_post(url, "{}", 5, &abort_flag, &cause), -1);
	assert_string_equal(cause, "answered HTTP 500");
	free(cause);
	requests = tcp_stop(s);
	assert_true(str_starts_with(requests,
				    "POST /hooks/T0KEN HTTP/1.1\r\n"));
	assert_non_null(strstr(requests, "Content-Type: application/json\r\n"
			       "Content-Length: 7\r\n\r\n{\"a\":1}"));
	free(requests);
	/* nobody there: the reason, never the url and its token */
	assert_int_equal(alertq_post(url, "{}", 5, &abort_flag, &cause), -1);
	assert_true(str_starts_with(cause, "cannot connect to 127.0.0.1 port "));
	assert_null(strstr(cause, "T0KEN"));
	free(cause);
	abort_flag = 1;
	assert_int_equal(alertq_post(url, "{}", 5, &abort_flag, &cause), -1);
	assert_string_equal(cause, "stopped");
	free(cause);
	free(oops);
	free(url);
}

/* ---- TLS ----------------------------------------------------------------- */

struct tls_server {
	SSL_CTX *ctx;
	int fd, port;
	const char *reply;	/* NULL: 200 "secure", then close_notify */
	pthread_t thread;
};

static void tls_serve_one(SSL_CTX *ctx, int c, const char *abrupt)
{
	static const char secure[] = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n"
				     "\r\nsecure";
	const char *reply = abrupt ? abrupt : secure;
	SSL *ssl = SSL_new(ctx);
	char buf[4096];
	size_t got = 0;
	int n;

	SSL_set_fd(ssl, c);
	if (SSL_accept(ssl) == 1) {
		while (got < sizeof(buf) - 1 &&
		       (n = SSL_read(ssl, buf + got,
				     (int)(sizeof(buf) - 1 - got))) > 0) {
			got += (size_t)n;
			buf[got] = '\0';
			if (strstr(buf, "\r\n\r\n"))
				break;
		}
		SSL_write(ssl, reply, (int)strlen(reply));
		if (!abrupt)	/* else closed without close_notify, as
				 * Python's ssl and many servers do */
			SSL_shutdown(ssl);
	}
	SSL_free(ssl);
	close(c);
}

static void *tls_serve(void *arg)
{
	struct tls_server *t = arg;
	int c;

	while ((c = accept(t->fd, NULL, NULL)) >= 0)
		tls_serve_one(t->ctx, c, t->reply);
	return NULL;
}

static void tls_start(struct tls_server *t, const char *dir, const char *name)
{
	char *cert = xasprintf("%s/%s.pem", dir, name);
	char *key = xasprintf("%s/%s.key", dir, name);

	t->reply = NULL;
	t->ctx = SSL_CTX_new(TLS_server_method());
	if (!t->ctx || SSL_CTX_use_certificate_chain_file(t->ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(t->ctx, key, SSL_FILETYPE_PEM) != 1)
		fail_msg("cannot load %s", cert);
	t->fd = listen_tcp(8, &t->port);
	if (pthread_create(&t->thread, NULL, tls_serve, t))
		abort();
	free(cert);
	free(key);
}

static void tls_stop(struct tls_server *t)
{
	shutdown(t->fd, SHUT_RDWR);
	pthread_join(t->thread, NULL);
	close(t->fd);
	SSL_CTX_free(t->ctx);
}

/* A CA, a server certificate for localhost and 127.0.0.1 ("good") and
 * one for another name ("other"), by the openssl CLI. */
static char *make_certs(void)
{
	char *dir = xstrdup("/tmp/odooctl-test-http-XXXXXX"), *cmd;
	int rc;

	if (!mkdtemp(dir))
		abort();
	cmd = xasprintf(
		"set -e; cd '%s'; exec 2>openssl.log >&2\n"
		"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
		"-nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=test-ca "
		"-addext basicConstraints=critical,CA:TRUE "
		"-addext keyUsage=critical,keyCertSign\n"
		"for n in good other; do\n"
		"  [ $n = good ] && san=DNS:localhost,IP:127.0.0.1 || "
		"san=DNS:other.invalid\n"
		"  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
		"-nodes -keyout $n.key -out $n.csr -subj /CN=$n\n"
		"  printf 'subjectAltName=%%s\\n' $san >$n.ext\n"
		"  openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key "
		"-CAcreateserial -out $n.pem -days 2 -extfile $n.ext\n"
		"done\n", dir);
	rc = system(cmd);
	free(cmd);
	if (rc != 0)
		fail_msg("openssl failed (see %s/openssl.log)", dir);
	return dir;
}

extern char **environ;

/* The child's side of tls_get: one GET, "status body" or the cause on
 * stdout. */
static int tls_get_main(const char *url)
{
	struct http_response r;
	char *cause = NULL, *line;

	if (get("GET", url, NULL, NULL, 5000, 100, &r, &cause) == 0)
		line = xasprintf("%ld %s", r.status, r.body.data);
	else
		line = cause;
	fputs(line, stdout);
	free(line);
	http_response_release(&r);
	return 0;
}

/*
 * One client call in a new process (this program again, `--tls-get URL`):
 * the SSL_CTX is made once per process and reads SSL_CERT_FILE then. Not
 * a bare fork: the TLS servers' threads run here, and a forked child that
 * allocates may wait for ever on a lock one of them held. Returns
 * "status body" or the cause.
 */
static char *tls_get(const char *ca_file, const char *url)
{
	const char *argv[] = { "/proc/self/exe", "--tls-get", url, NULL };
	char **env, out[1024], *cert;
	posix_spawn_file_actions_t fa;
	size_t n = 0, k = 0, got = 0;
	int fds[2];
	ssize_t r;
	pid_t pid;

	while (environ[n])
		n++;
	env = xcalloc(n + 3, sizeof(*env));
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "SSL_CERT_", 9))
			env[k++] = environ[i];
	/* NULL: the system's store */
	cert = ca_file ? xasprintf("SSL_CERT_FILE=%s", ca_file) : NULL;
	if (cert) {
		env[k++] = cert;
		env[k++] = "SSL_CERT_DIR=/nonexistent";
	}
	if (pipe(fds))
		abort();
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	if (posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, env))
		abort();
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	while (got < sizeof(out) - 1 &&
	       (r = read(fds[0], out + got, sizeof(out) - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = '\0';
	close(fds[0]);
	waitpid(pid, NULL, 0);
	free(cert);
	free(env);
	return xstrdup(out);
}

/* want: "status body", or the reason after "GET url: " */
static void expect_tls(const char *ca, const char *host, int port,
		       const char *want)
{
	char *url = xasprintf("https://%s:%d/x", host, port);
	char *got = tls_get(ca, url);
	char *full = str_starts_with(want, "TLS:") ?
		xasprintf("GET %s: %s", url, want) : xstrdup(want);

	if (!strstr(got, full))
		fail_msg("%s: got '%s', want '%s'", url, got, full);
	free(full);
	free(got);
	free(url);
}

static void test_tls(void **state)
{
	struct tls_server good, other;
	char *dir = make_certs(), *ca = xasprintf("%s/ca.pem", dir), *cmd;

	(void)state;
	tls_start(&good, dir, "good");
	tls_start(&other, dir, "other");
	expect_tls(ca, "127.0.0.1", good.port, "200 secure");
	expect_tls(ca, "localhost", good.port, "200 secure");
	expect_tls(NULL, "127.0.0.1", good.port,
		   "TLS: SSL certificate problem: "
		   "unable to get local issuer certificate");
	expect_tls(ca, "localhost", other.port,
		   "TLS: SSL: no alternative certificate subject name matches "
		   "target host name 'localhost'");
	expect_tls(ca, "127.0.0.1", other.port,
		   "TLS: SSL: no alternative certificate subject name matches "
		   "target host name '127.0.0.1'");
	/* a peer that closes without close_notify: the end of a body
	 * delimited by the close, and a truncation of any other */
	good.reply = "HTTP/1.0 200 OK\r\n\r\nuntil close";
	expect_tls(ca, "127.0.0.1", good.port, "200 until close");
	good.reply = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort";
	expect_tls(ca, "127.0.0.1", good.port,
		   "connection closed before the end of the reply");
	tls_stop(&other);
	tls_stop(&good);
	cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(ca);
	free(dir);
}

/* A CONNECT proxy for one connection: records the request line, then
 * answers refuse (a status line) or relays to 127.0.0.1:to. */
struct tunnel_proxy {
	int fd, port, to;
	const char *refuse;
	char line[256];
	pthread_t thread;
};

static void relay(int a, int b)
{
	struct pollfd p[2] = { { .fd = a, .events = POLLIN },
			       { .fd = b, .events = POLLIN } };
	char buf[4096];

	while (poll(p, 2, 5000) > 0) {
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (!p[i].revents)
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0 || send(p[1 - i].fd, buf, (size_t)n,
					   MSG_NOSIGNAL) != n)
				return;
		}
	}
}

static void *tunnel_serve(void *arg)
{
	struct tunnel_proxy *t = arg;
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char head[4096];
	size_t got = 0;
	ssize_t n;
	int c = accept(t->fd, NULL, NULL), up;

	if (c < 0)
		return NULL;
	while (got < sizeof(head) - 1 &&
	       (n = read(c, head + got, sizeof(head) - 1 - got)) > 0) {
		got += (size_t)n;
		head[got] = '\0';
		if (strstr(head, "\r\n\r\n"))
			break;
	}
	snprintf(t->line, sizeof(t->line), "%.*s", (int)strcspn(head, "\r"),
		 head);
	if (t->refuse) {
		if (send(c, t->refuse, strlen(t->refuse), MSG_NOSIGNAL) < 0)
			perror("send");
	} else {
		sa.sin_port = htons((uint16_t)t->to);
		up = socket(AF_INET, SOCK_STREAM, 0);
		if (up >= 0 && connect(up, (struct sockaddr *)&sa,
				       sizeof(sa)) == 0 &&
		    send(c, "HTTP/1.1 200 Connection established\r\n\r\n", 39,
			 MSG_NOSIGNAL) == 39)
			relay(c, up);
		if (up >= 0)
			close(up);
	}
	close(c);
	return NULL;
}

static void tunnel_start(struct tunnel_proxy *t, int to, const char *refuse)
{
	t->fd = listen_tcp(4, &t->port);
	t->to = to;
	t->refuse = refuse;
	t->line[0] = '\0';
	if (pthread_create(&t->thread, NULL, tunnel_serve, t))
		abort();
}

static void tunnel_stop(struct tunnel_proxy *t)
{
	pthread_join(t->thread, NULL);
	close(t->fd);
}

/* https through an http proxy's CONNECT tunnel: the certificate is the
 * target's, checked against the target's name. */
static void test_tls_proxy(void **state)
{
	struct tls_server other;
	struct tunnel_proxy t;
	char *dir = make_certs(), *ca = xasprintf("%s/ca.pem", dir), *cmd;
	char *proxy, *want;

	(void)state;
	tls_start(&other, dir, "other");
	tunnel_start(&t, other.port, NULL);
	proxy = xasprintf("http://127.0.0.1:%d", t.port);
	setenv("https_proxy", proxy, 1);
	expect_tls(ca, "other.invalid", other.port, "200 secure");
	tunnel_stop(&t);
	want = xasprintf("CONNECT other.invalid:%d HTTP/1.1", other.port);
	assert_string_equal(t.line, want);
	free(want);
	free(proxy);
	tunnel_start(&t, other.port, "HTTP/1.1 407 Proxy Authentication "
		     "Required\r\nContent-Length: 0\r\n\r\n");
	proxy = xasprintf("http://127.0.0.1:%d", t.port);
	setenv("https_proxy", proxy, 1);
	expect_tls(ca, "other.invalid", other.port,
		   "proxy answered HTTP 407 to CONNECT");
	tunnel_stop(&t);
	unsetenv("https_proxy");
	free(proxy);
	tls_stop(&other);
	cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(ca);
	free(dir);
}

/* Answers one connection in plain HTTP at once, whatever it is sent. */
static void *blurt(void *arg)
{
	static const char reply[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
	int c = accept(*(int *)arg, NULL, NULL);

	if (c >= 0) {
		if (send(c, reply, strlen(reply), MSG_NOSIGNAL) < 0)
			perror("send");
		usleep(100 * 1000);
		close(c);
	}
	return NULL;
}

static void test_tls_to_plain(void **state)
{
	int port, fd = listen_tcp(8, &port);
	char *url = xasprintf("https://127.0.0.1:%d/", port);
	char *want = xasprintf("GET %s: TLS: ", url), *got;
	pthread_t t;

	(void)state;
	pthread_create(&t, NULL, blurt, &fd);
	got = tls_get(NULL, url);
	if (!str_starts_with(got, want) || !strstr(got, "wrong version number"))
		fail_msg("got '%s'", got);
	pthread_join(t, NULL);
	close(fd);
	free(want);
	free(got);
	free(url);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_methods),
		cmocka_unit_test(test_tcp_framings),
		cmocka_unit_test(test_unix_socket),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_trickle),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_userinfo_and_http_proxy),
		cmocka_unit_test(test_http_do),
		cmocka_unit_test(test_alertq_post),
		cmocka_unit_test(test_alertq_post_hangs),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_tls_to_plain),
		cmocka_unit_test(test_tls_proxy),
	};

	/* as odooctl's commands: a peer that has gone is an error, not a
	 * signal (the TLS servers here write with OpenSSL's write()) */
	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && !strcmp(argv[1], "--tls-get"))	/* tls_get's */
		return tls_get_main(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
