/*
 * httpc.h's transport: the url, the connection (TCP, unix socket, TLS),
 * the request, the reply through the parser, all on non-blocking sockets
 * that poll() waits on in slices of at most 100 ms until one deadline.
 *
 * SIGPIPE: plain sockets send with MSG_NOSIGNAL; TLS goes through a BIO of
 * our own that does the same (tlsbio.c), so no signal disposition is
 * touched.
 */
#include "net/httpc.h"
#include "net/tlsbio.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define SLICE_MS 100

struct url {
	int tls;
	char *host;		/* without brackets */
	char *port;
	char *authority;	/* host[:port] as written: the Host header */
	char *path;		/* path and query */
	char *basic;		/* user:password@, base64'd; or NULL */
};

struct conn {
	int fd;
	SSL *ssl;
	long long deadline;	/* clock_ms(); 0: none */
	long timeout_ms;
	const volatile sig_atomic_t *cancel;
	char *reason;		/* why it failed, without method and url */
};

/* ---- the url ------------------------------------------------------------- */

static void url_release(struct url *u)
{
	free(u->host);
	free(u->port);
	free(u->authority);
	free(u->path);
	secret_free(u->basic);
}

static int url_port(struct url *u, const char *s, size_t n)
{
	long port = 0;

	if (!n || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		port = port * 10 + (s[i] - '0');
	}
	if (port < 1 || port > 65535)
		return -1;
	u->port = xasprintf("%ld", port);
	return 0;
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* user[:password], percent-decoded, as the base64 of Basic auth. */
static int userinfo(struct url *u, const char *s, size_t n)
{
	unsigned char *plain = xmalloc(n + 1);
	size_t len = 0;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			plain[len++] = (unsigned char)(hexval(s[i + 1]) * 16 +
						       hexval(s[i + 2]));
			i += 2;
		} else if (s[i] == '%' || s[i] == '/' || s[i] == '@') {
			rc = -1;
			break;
		} else {
			plain[len++] = (unsigned char)s[i];
		}
	}
	if (rc == 0) {
		u->basic = xmalloc(4 * ((len + 2) / 3) + 1);
		EVP_EncodeBlock((unsigned char *)u->basic, plain, (int)len);
	}
	explicit_bzero(plain, n + 1);
	free(plain);
	return rc;
}

/* host, [v6] or host:port, [v6]:port */
static int url_authority(struct url *u, const char *s, size_t n)
{
	const char *colon, *end = s + n, *at = n ? memrchr(s, '@', n) : NULL;

	if (at) {	/* user:password@, for Basic authentication */
		if (userinfo(u, s, (size_t)(at - s)) < 0)
			return -1;
		n -= (size_t)(at + 1 - s);
		s = at + 1;
	}
	if (!n)
		return -1;
	if (*s == '[') {
		const char *close = memchr(s, ']', n);

		if (!close || close == s + 1)
			return -1;
		u->host = xstrndup(s + 1, (size_t)(close - s - 1));
		colon = close + 1 < end ? close + 1 : NULL;
		if (colon && *colon != ':')
			return -1;
	} else {
		colon = memchr(s, ':', n);
		if (colon == s)
			return -1;
		u->host = xstrndup(s, colon ? (size_t)(colon - s) : n);
	}
	u->authority = xstrndup(s, n);
	if (colon)
		return url_port(u, colon + 1, (size_t)(end - colon - 1));
	u->port = xstrdup(u->tls ? "443" : "80");
	return 0;
}

static int url_parse(struct url *u, const char *url)
{
	const char *auth, *rest;

	memset(u, 0, sizeof(*u));
	for (const char *c = url; *c; c++)	/* nor in the Host header */
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return -1;
	if (!strncasecmp(url, "http://", 7)) {
		auth = url + 7;
	} else if (!strncasecmp(url, "https://", 8)) {
		u->tls = 1;
		auth = url + 8;
	} else {
		return -1;
	}
	rest = auth + strcspn(auth, "/?#");
	if (url_authority(u, auth, (size_t)(rest - auth)) < 0)
		return -1;
	u->path = xasprintf("%s%.*s", *rest == '/' ? "" : "/",
			    (int)strcspn(rest, "#"), rest);
	return 0;
}

/* ---- waiting: the deadline and the cancel flag ------------------------- */

static int conn_fail(struct conn *c, char *reason)
{
	if (!c->reason)
		c->reason = reason;
	else
		free(reason);
	return -1;
}

static char *errno_text(int err)
{
	char *s = xstrdup(strerror(err));

	s[0] = (char)tolower((unsigned char)s[0]);
	return s;
}

/* -1 with the reason once cancelled or past the deadline. */
static int conn_due(struct conn *c)
{
	if (c->cancel && *c->cancel)
		return conn_fail(c, xstrdup("cancelled"));
	if (c->deadline && clock_ms() >= c->deadline)
		return conn_fail(c, xasprintf("timed out after %ld ms",
					      c->timeout_ms));
	return 0;
}

static int conn_wait(struct conn *c, short events)
{
	struct pollfd pfd = { .fd = c->fd, .events = events };

	for (;;) {
		long long left = c->deadline ? c->deadline - clock_ms() :
			SLICE_MS;
		int n;

		if (c->cancel && *c->cancel)
			return conn_fail(c, xstrdup("cancelled"));
		if (left <= 0)
			return conn_fail(c, xasprintf("timed out after %ld ms",
						      c->timeout_ms));
		n = poll(&pfd, 1, (int)(left < SLICE_MS ? left : SLICE_MS));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return conn_fail(c, errno_text(errno));
	}
}

/* ---- connecting ---------------------------------------------------------- */

/* 0 connected; -1 with errno set (the next address may do), or with
 * c->reason set (timeout, cancel: give up). */
static int connect_one(struct conn *c, const struct sockaddr *sa,
		       socklen_t len)
{
	int err = 0;
	socklen_t err_len = sizeof(err);

	c->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
		       SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	if (connect(c->fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		goto fail;
	if (conn_wait(c, POLLOUT) < 0)
		goto fail;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &err_len) < 0)
		goto fail;
	if (!err)
		return 0;
	errno = err;
fail:
	err = errno;
	close(c->fd);
	c->fd = -1;
	errno = err;
	return -1;
}

static int connect_tcp(struct conn *c, const struct url *u)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	int rc = getaddrinfo(u->host, u->port, &hints, &res), err = 0;

	if (rc)
		return conn_fail(c, xasprintf("cannot resolve '%s': %s",
					      u->host, rc == EAI_SYSTEM ?
					      strerror(errno) :
					      gai_strerror(rc)));
	for (ai = res; ai; ai = ai->ai_next) {
		if (connect_one(c, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		if (c->reason)
			break;
	}
	freeaddrinfo(res);
	if (c->fd >= 0)
		return 0;
	return conn_fail(c, errno_text(err ? err : ECONNREFUSED));
}

static int connect_unix(struct conn *c, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *why;

	if (strlen(path) >= sizeof(sa.sun_path))
		return conn_fail(c, xasprintf("socket path too long: %s",
					      path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect_one(c, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return 0;
	if (c->reason)
		return -1;
	why = errno_text(errno);
	conn_fail(c, xasprintf("%s: %s", path, why));
	free(why);
	return -1;
}

/* ---- TLS ----------------------------------------------------------------- */

static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static SSL_CTX *tls_ctx;

/* Once per process, at the first https url: a plain-http-only process
 * never loads certificates nor sets up libssl. */
static void tls_init(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_default_verify_paths(ctx)) {
		SSL_CTX_free(ctx);
		return;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	tls_ctx = ctx;
}

static int tls_fail(struct conn *c, const char *what)
{
	long verify = c->ssl ? SSL_get_verify_result(c->ssl) : X509_V_OK;
	unsigned long e = ERR_peek_last_error();
	char reason[256];

	if (verify != X509_V_OK) {
		ERR_clear_error();
		return conn_fail(c, xasprintf(
			"TLS: certificate verify failed: %s",
			X509_verify_cert_error_string(verify)));
	}
	if (e) {
		const char *text = ERR_reason_error_string(e);

		if (!text) {
			ERR_error_string_n(e, reason, sizeof(reason));
			text = reason;
		}
		ERR_clear_error();
		return conn_fail(c, xasprintf("TLS: %s: %s", what, text));
	}
	return conn_fail(c, xasprintf("TLS: %s: %s", what, errno ?
				      strerror(errno) :
				      "connection closed"));
}

/* Drives one SSL call until it is done: > 0, 0 at the end, -1 on error. */
static int tls_step(struct conn *c, int r, const char *what)
{
	int err;

	if (r > 0)
		return 1;
	err = SSL_get_error(c->ssl, r);
	if (err == SSL_ERROR_WANT_READ)
		return conn_wait(c, POLLIN) < 0 ? -1 : 2;
	if (err == SSL_ERROR_WANT_WRITE)
		return conn_wait(c, POLLOUT) < 0 ? -1 : 2;
	if (err == SSL_ERROR_ZERO_RETURN)
		return 0;
	return tls_fail(c, what);
}

static int tls_handshake(struct conn *c, const struct url *u)
{
	struct in6_addr ip;
	BIO *bio;
	int rc;

	pthread_once(&tls_once, tls_init);
	if (!tls_ctx)
		return tls_fail(c, "cannot set up");
	c->ssl = SSL_new(tls_ctx);
	bio = c->ssl ? tlsbio_new(c->fd) : NULL;
	if (!bio)
		return tls_fail(c, "cannot set up");
	SSL_set_bio(c->ssl, bio, bio);
	if (inet_pton(AF_INET, u->host, &ip) == 1 ||
	    inet_pton(AF_INET6, u->host, &ip) == 1) {
		if (!X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl),
						   u->host))
			return tls_fail(c, "cannot set up");
	} else if (!SSL_set_tlsext_host_name(c->ssl, u->host) ||
		   !SSL_set1_host(c->ssl, u->host)) {
		return tls_fail(c, "cannot set up");
	}
	ERR_clear_error();
	do {
		errno = 0;
		rc = tls_step(c, SSL_connect(c->ssl), "handshake");
	} while (rc == 2);
	if (rc == 0)
		return tls_fail(c, "handshake");
	return rc < 0 ? -1 : 0;
}

/* ---- the exchange -------------------------------------------------------- */

static int conn_write(struct conn *c, const char *p, size_t n)
{
	while (n) {
		ssize_t r;

		if (c->ssl) {
			int rc;

			errno = 0;
			r = SSL_write(c->ssl, p, n > INT32_MAX ? INT32_MAX :
				      (int)n);
			rc = tls_step(c, (int)r, "send");
			if (rc == 0)
				return tls_fail(c, "send");
			if (rc < 0)
				return -1;
			if (rc == 2)
				continue;
		} else {
			r = send(c->fd, p, n, MSG_NOSIGNAL);
			if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
				if (conn_wait(c, POLLOUT) < 0)
					return -1;
				continue;
			}
			if (r < 0)
				return conn_fail(c, errno_text(errno));
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* > 0 bytes read, 0 at the peer's close, -1 on error. */
static ssize_t conn_read(struct conn *c, char *p, size_t n)
{
	for (;;) {
		ssize_t r;

		if (c->ssl) {
			int rc;

			errno = 0;
			r = SSL_read(c->ssl, p, (int)n);
			rc = tls_step(c, (int)r, "receive");
			if (rc == 2)
				continue;
			return rc == 1 ? r : rc;
		}
		r = recv(c->fd, p, n, 0);
		if (r >= 0)
			return r;
		if (errno != EAGAIN && errno != EINTR)
			return conn_fail(c, errno_text(errno));
		if (conn_wait(c, POLLIN) < 0)
			return -1;
	}
}

/* No header may smuggle a line of its own; never quoted: it may hold a
 * token. */
static int headers_ok(const char *const *headers)
{
	for (const char *const *h = headers; h && *h; h++)
		if (strpbrk(*h, "\r\n") || !strchr(*h, ':'))
			return 0;
	return 1;
}

/*
 * The request head and body. Through a proxy (plain http only: https
 * goes through a CONNECT tunnel), the target in absolute form and the
 * proxy's credentials.
 */
static int send_request(struct conn *c, const struct httpc_request *req,
			const struct url *u, const struct url *proxy)
{
	struct buf head;
	int rc;

	buf_init(&head, SIZE_MAX);
	buf_printf(&head, "%s %s%s%s HTTP/1.1\r\nHost: %s\r\n"
		   "User-Agent: odooctl\r\nConnection: close\r\n",
		   req->method, proxy ? "http://" : "",
		   proxy ? u->authority : "", u->path, u->authority);
	if (u->basic)
		buf_printf(&head, "Authorization: Basic %s\r\n", u->basic);
	if (proxy && proxy->basic)
		buf_printf(&head, "Proxy-Authorization: Basic %s\r\n",
			   proxy->basic);
	for (const char *const *h = req->headers; h && *h; h++)
		buf_printf(&head, "%s\r\n", *h);
	if (req->body || !strcmp(req->method, "POST") ||
	    !strcmp(req->method, "PUT"))
		buf_printf(&head, "Content-Length: %zu\r\n",
			   req->body ? req->body_len : 0);
	buf_append(&head, "\r\n", 2);
	rc = conn_write(c, head.data, head.len);
	if (head.data)
		explicit_bzero(head.data, head.len);	/* credentials */
	if (rc == 0 && req->body)
		rc = conn_write(c, req->body, req->body_len);
	buf_release(&head);
	return rc;
}

/* ---- proxies ------------------------------------------------------------- */

static int host_loopback(const char *h)
{
	return !strcasecmp(h, "localhost") || !strncmp(h, "127.", 4) ||
	       !strcmp(h, "::1");
}

/* Whether no_proxy (curl's reading: "*", or names each matching the host
 * or a domain of it; a leading dot is the same) exempts host. */
static int no_proxy(const char *host)
{
	const char *list = getenv("no_proxy");
	size_t hl = strlen(host);

	if (!list || !*list)
		list = getenv("NO_PROXY");
	if (!list)
		return 0;
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ", ");

		if (n) {
			const char *e = p;
			size_t en = n;

			if (en == 1 && *e == '*')
				return 1;
			if (*e == '.') {
				e++;
				en--;
			}
			if (en && en <= hl && !strncasecmp(host + hl - en, e, en) &&
			    (en == hl || host[hl - en - 1] == '.'))
				return 1;
		}
		p += n;
		p += strspn(p, ", ");
	}
	return 0;
}

/*
 * The proxy for u from the environment as curl reads it: https_proxy or
 * HTTPS_PROXY for https, http_proxy (lower case only: a CGI's HTTP_PROXY
 * comes from a request header) for http; none for a loopback host or one
 * that no_proxy names. 0: direct; 1: *proxy filled; -1 with the reason.
 */
static int proxy_for(struct conn *c, const struct url *u, struct url *proxy)
{
	const char *v = u->tls ? getenv("https_proxy") : getenv("http_proxy");
	char *full;
	int rc;

	if (u->tls && (!v || !*v))
		v = getenv("HTTPS_PROXY");
	if (!v || !*v || host_loopback(u->host) || no_proxy(u->host))
		return 0;
	if (strstr(v, "://") && strncasecmp(v, "http://", 7))
		return conn_fail(c, xstrdup("only http:// proxies are "
					    "supported (https_proxy, "
					    "http_proxy)"));
	full = strstr(v, "://") ? xstrdup(v) : xasprintf("http://%s", v);
	rc = url_parse(proxy, full);
	free(full);
	if (rc < 0) {
		url_release(proxy);
		return conn_fail(c, xstrdup("bad proxy url in the "
					    "environment"));
	}
	return 1;
}

/* A CONNECT tunnel to u through the proxy c is connected to. */
static int tunnel(struct conn *c, const struct url *u, const struct url *p)
{
	struct buf b;
	char chunk[512], *end;
	long status = 0;
	int rc;

	buf_init(&b, 16384);
	buf_printf(&b, "CONNECT %s:%s HTTP/1.1\r\nHost: %s:%s\r\n"
		   "User-Agent: odooctl\r\n", u->host, u->port, u->host,
		   u->port);
	if (p->basic)
		buf_printf(&b, "Proxy-Authorization: Basic %s\r\n", p->basic);
	buf_append(&b, "\r\n", 2);
	rc = conn_write(c, b.data, b.len);
	explicit_bzero(b.data, b.len);
	buf_reset(&b);
	/* its answer's head; no byte of the tunnel comes before our own */
	while (rc == 0 && !(end = b.data ? strstr(b.data, "\r\n\r\n") :
			    NULL)) {
		ssize_t n = conn_read(c, chunk, sizeof(chunk));

		if (n < 0)
			rc = -1;
		else if (n == 0 || buf_append(&b, chunk, (size_t)n) < 0)
			rc = conn_fail(c, xstrdup("proxy: no answer to "
						  "CONNECT"));
	}
	if (rc == 0) {
		if (sscanf(b.data, "HTTP/1.%*1[01] %3ld", &status) != 1)
			rc = conn_fail(c, xstrdup("proxy: bad answer to "
						  "CONNECT"));
		else if (status < 200 || status > 299)
			rc = conn_fail(c, xasprintf("proxy answered HTTP %ld "
						    "to CONNECT", status));
		else if ((size_t)(end + 4 - b.data) != b.len)
			rc = conn_fail(c, xstrdup("proxy: data before the "
						  "tunnel"));
	}
	buf_release(&b);
	return rc;
}

static int read_reply(struct conn *c, const struct httpc_request *req,
		      struct httpc_response *resp)
{
	struct httpc_parser p;
	char chunk[16384];
	int rc = 0;

	httpc_parser_init(&p, &resp->body, !strcmp(req->method, "HEAD"));
	while (p.state != HP_DONE && p.state != HP_ERROR) {
		ssize_t n;

		/* a peer that keeps sending (interim replies, a slow drip)
		 * must not outlast the deadline nor the cancel flag */
		if (conn_due(c) < 0) {
			rc = -1;
			break;
		}
		n = conn_read(c, chunk, sizeof(chunk));

		if (n < 0) {
			rc = -1;
			break;
		}
		if (n == 0)
			httpc_parser_eof(&p);
		else
			httpc_parser_feed(&p, chunk, (size_t)n);
	}
	if (p.state == HP_ERROR)
		rc = conn_fail(c, xstrdup(p.error));
	resp->status = p.state == HP_DONE ? p.status : 0;
	httpc_parser_release(&p);
	return rc;
}

static int exchange(struct conn *c, const struct httpc_request *req,
		    struct httpc_response *resp)
{
	struct url u, proxy;
	int rc = -1, via = 0;

	memset(&proxy, 0, sizeof(proxy));
	if (url_parse(&u, req->url) < 0) {
		conn_fail(c, xstrdup("bad url"));
		goto out;
	}
	if (!headers_ok(req->headers)) {
		conn_fail(c, xstrdup("bad request header"));
		goto out;
	}
	if (!req->unix_socket && (via = proxy_for(c, &u, &proxy)) < 0)
		goto out;
	if (req->unix_socket ? connect_unix(c, req->unix_socket) :
	    connect_tcp(c, via ? &proxy : &u)) {
		if (via) {	/* say which: the proxy was not reached */
			char *r = c->reason;

			c->reason = xasprintf("proxy %s: %s", proxy.authority,
					      r);
			free(r);
		}
		goto out;
	}
	if (via && u.tls && tunnel(c, &u, &proxy) < 0)
		goto out;
	if (u.tls && !req->unix_socket && tls_handshake(c, &u) < 0)
		goto out;
	if (send_request(c, req, &u, via && !u.tls ? &proxy : NULL) < 0 ||
	    read_reply(c, req, resp) < 0)
		goto out;
	rc = 0;
out:
	url_release(&u);
	if (via > 0)
		url_release(&proxy);
	return rc;
}

/* url as a message may show it: user:password@ as ***@. Caller frees. */
static char *url_shown(const char *url)
{
	const char *auth = strstr(url, "://"), *at, *end;

	if (!auth)
		return xstrdup(url);
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	at = memrchr(auth, '@', (size_t)(end - auth));
	if (!at)
		return xstrdup(url);
	return xasprintf("%.*s***%s", (int)(auth - url), url, at);
}

int httpc_do(const struct httpc_request *req, struct httpc_response *resp,
	     char **cause)
{
	struct conn c = { .fd = -1, .timeout_ms = req->timeout_ms,
			  .cancel = req->cancel };
	int rc;

	resp->status = 0;
	buf_init(&resp->body, req->body_max);
	if (req->timeout_ms > 0)
		c.deadline = clock_ms() + req->timeout_ms;
	rc = exchange(&c, req, resp);
	if (c.ssl) {
		if (rc == 0)
			SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
		ERR_clear_error();
	}
	if (c.fd >= 0)
		close(c.fd);
	if (rc < 0 && req->reason_only) {
		*cause = str_one_line(xstrdup(c.reason ? c.reason : "failed"));
		buf_release(&resp->body);
	} else if (rc < 0) {
		char *shown = url_shown(req->url);

		*cause = str_one_line(xasprintf("%s %s: %s", req->method,
						shown, c.reason ? c.reason :
						"failed"));
		free(shown);
		buf_release(&resp->body);
	}
	free(c.reason);
	return rc;
}

void httpc_response_release(struct httpc_response *resp)
{
	buf_release(&resp->body);
}
