/*
 * pgwire: the socket and TLS side of the probe client (pgwire.h); the
 * messages themselves are pgwire_msg.c's, the passwords pgwire_auth.c's.
 *
 * TLS follows libpq's sslmode (PGSSLMODE, default prefer) with one
 * difference: to a unix socket or a loopback address, prefer means no
 * TLS (loopback gains nothing from it, and a TLS context costs the
 * long-running monitor memory); PGSSLMODE=require still asks for it.
 * Name resolution (getaddrinfo) is not bounded by timeout_ms.
 */
#include "pg/pgwire_priv.h"
#include "net/tlsbio.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define IN_MAX (PGWIRE_MSG_MAX + 5 + 16384)

enum ssl_mode { SSL_DISABLE, SSL_ALLOW, SSL_PREFER, SSL_REQUIRE,
		SSL_VERIFY_CA, SSL_VERIFY_FULL };

struct pgwire {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	unsigned char *in;
	size_t in_len, in_off, in_cap;
	long server_version;
	int broken;
	char *where;		/* HOST:PORT */
};

static int wait_io(int fd, short events, long long deadline, char **cause)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		long long left = deadline - clock_ms();
		int n;

		if (left <= 0) {
			*cause = xstrdup("timeout expired");
			return -1;
		}
		n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR) {
			*cause = xasprintf("poll: %s", strerror(errno));
			return -1;
		}
	}
}

/* errno after a failed send or recv, for a message. */
static char *io_error(int err)
{
	if (err == EPIPE || err == ECONNRESET)
		return xstrdup("the server closed the connection");
	return xstrdup(strerror(err));
}

static char *tls_error(struct pgwire *c)
{
	long v = SSL_get_verify_result(c->ssl);
	unsigned long e = ERR_get_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	if (v != X509_V_OK)
		return xasprintf("TLS: server certificate: %s",
				 X509_verify_cert_error_string(v));
	return xasprintf("TLS: %s", r ? r : "the handshake failed");
}

/* After an SSL_* call returned ret: 0 to retry it (after waiting), -1. */
static int tls_wait(struct pgwire *c, int ret, long long deadline,
		    char **cause)
{
	switch (SSL_get_error(c->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		return wait_io(c->fd, POLLIN, deadline, cause);
	case SSL_ERROR_WANT_WRITE:
		return wait_io(c->fd, POLLOUT, deadline, cause);
	case SSL_ERROR_ZERO_RETURN:
		*cause = xstrdup("the server closed the connection");
		return -1;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		*cause = io_error(errno ? errno : EPIPE);
		return -1;
	}
	*cause = tls_error(c);
	return -1;
}

/* One send or receive of at most n bytes: the count moved, 0 to try
 * again (the socket was waited for), -1 with *cause. */
static ssize_t io_once(struct pgwire *c, int out, void *p, size_t n,
		       long long deadline, char **cause)
{
	int cap = n > INT_MAX ? INT_MAX : (int)n;
	ssize_t k;

	if (c->ssl) {
		int r = out ? SSL_write(c->ssl, p, cap) :
			      SSL_read(c->ssl, p, cap);

		return r > 0 ? r : tls_wait(c, r, deadline, cause);
	}
	k = out ? send(c->fd, p, n, MSG_NOSIGNAL) : recv(c->fd, p, n, 0);
	if (k > 0)
		return k;
	if (k < 0 && (errno == EAGAIN || errno == EINTR))
		return wait_io(c->fd, out ? POLLOUT : POLLIN, deadline, cause);
	*cause = io_error(k ? errno : EPIPE);
	return -1;
}

static int io_write(struct pgwire *c, const void *p, size_t n,
		    long long deadline, char **cause)
{
	const char *s = p;

	while (n) {
		ssize_t k = io_once(c, 1, (void *)s, n, deadline, cause);

		if (k < 0)
			return -1;
		s += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Reads what arrives into c->in: at most max bytes (1 for the answer
 * to SSLRequest, which must not be followed by unencrypted bytes). */
static int io_read(struct pgwire *c, size_t max, long long deadline,
		   char **cause)
{
	ssize_t k = 0;

	if (c->in_len == c->in_cap) {
		if (c->in_cap >= IN_MAX) {
			*cause = xstrdup("protocol error: a message too long");
			return -1;
		}
		c->in_cap = c->in_cap ? 2 * c->in_cap : 16384;
		if (c->in_cap > IN_MAX)
			c->in_cap = IN_MAX;
		c->in = xrealloc(c->in, c->in_cap);
	}
	if (max > c->in_cap - c->in_len)
		max = c->in_cap - c->in_len;
	while (k == 0)
		k = io_once(c, 0, c->in + c->in_len, max, deadline, cause);
	if (k < 0)
		return -1;
	c->in_len += (size_t)k;
	return 0;
}

/* The next backend message; its body is valid until the next call. */
static int next_msg(struct pgwire *c, struct pgwire_msg *m,
		    long long deadline, char **cause)
{
	if (c->in_off) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	for (;;) {
		size_t used;
		int rc = pgwire_msg_next(c->in, c->in_len, m, &used, cause);

		if (rc < 0)
			return -1;
		if (rc > 0) {
			c->in_off = used;
			return 0;
		}
		if (io_read(c, SIZE_MAX, deadline, cause) < 0)
			return -1;
	}
}

static int connect_addr(int family, const struct sockaddr *sa,
			socklen_t len, long long deadline, char **cause)
{
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err = 0;
	socklen_t elen = sizeof(err);

	if (fd < 0) {
		*cause = xstrdup(strerror(errno));
		return -1;
	}
	if (connect(fd, sa, len) < 0) {
		if (errno != EINPROGRESS && errno != EAGAIN)
			err = errno;
		else if (wait_io(fd, POLLOUT, deadline, cause) < 0)
			goto fail;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			err = errno;
	}
	if (!err)
		return fd;
	*cause = xstrdup(strerror(err));
fail:
	close(fd);
	return -1;
}

/* A unix socket directory (host starts with '/') or each address of a
 * name in turn. */
static int open_socket(const char *host, long port, long long deadline,
		       char **cause)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai, *a;
	char service[16];
	int fd = -1, rc;

	if (host[0] == '/') {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path),
				     "%s/.s.PGSQL.%ld", host, port) >=
		    sizeof(sun.sun_path)) {
			*cause = xstrdup("socket path too long");
			return -1;
		}
		return connect_addr(AF_UNIX, (struct sockaddr *)&sun,
				    sizeof(sun), deadline, cause);
	}
	snprintf(service, sizeof(service), "%ld", port);
	rc = getaddrinfo(host, service, &hints, &ai);
	if (rc) {
		*cause = xasprintf("could not translate host name: %s",
				   gai_strerror(rc));
		return -1;
	}
	for (a = ai; a && fd < 0; a = a->ai_next) {
		free(*cause);
		*cause = NULL;
		fd = connect_addr(a->ai_family, a->ai_addr, a->ai_addrlen,
				  deadline, cause);
	}
	freeaddrinfo(ai);
	return fd;
}

static int is_ip(const char *host)
{
	struct in6_addr a;

	return inet_pton(AF_INET, host, &a) == 1 ||
	       inet_pton(AF_INET6, host, &a) == 1;
}

/* The root certificates for verification, as libpq finds them. */
static int tls_roots(SSL_CTX *ctx, enum ssl_mode mode, int *verify,
		     char **cause)
{
	const char *env = getenv("PGSSLROOTCERT"), *home = getenv("HOME");
	char *path = env && *env ? xstrdup(env) :
		     xasprintf("%s/.postgresql/root.crt", home ? home : "");
	struct stat st;
	int rc = 0;

	*verify = mode >= SSL_VERIFY_CA;
	if (!strcmp(path, "system")) {
		/* as libpq 16: any publicly trusted certificate would do
		 * unless its name is checked too */
		if (mode != SSL_VERIFY_FULL) {	/* ssl_mode() refused it */
			*cause = xstrdup("PGSSLROOTCERT=system needs sslmode "
					 "verify-full");
			free(path);
			return -1;
		}
		*verify = 1;
		if (!SSL_CTX_set_default_verify_paths(ctx))
			rc = -1;
	} else if (stat(path, &st) < 0) {
		if (*verify) {
			*cause = xasprintf("root certificate file '%s' does "
					   "not exist; either provide the "
					   "file or change sslmode to disable "
					   "server certificate verification",
					   path);
			rc = -1;
		}
	} else {	/* as libpq: require with a root file verifies */
		*verify = 1;
		if (!SSL_CTX_load_verify_locations(ctx, path, NULL)) {
			*cause = xasprintf("cannot read root certificate "
					   "file '%s'", path);
			ERR_clear_error();
			rc = -1;
		}
	}
	free(path);
	return rc;
}

static int tls_start(struct pgwire *c, const char *host, enum ssl_mode mode,
		     long long deadline, char **cause)
{
	BIO *bio;
	int verify, r;

	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx || !SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION)) {
		*cause = xstrdup("cannot create a TLS context");
		return -1;
	}
	if (tls_roots(c->ctx, mode, &verify, cause) < 0)
		return -1;
	SSL_CTX_set_verify(c->ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
			   NULL);
	c->ssl = SSL_new(c->ctx);
	bio = c->ssl ? tlsbio_new(c->fd) : NULL;
	if (bio)	/* MSG_NOSIGNAL: never a SIGPIPE (tlsbio.h) */
		SSL_set_bio(c->ssl, bio, bio);
	if (!bio ||
	    (!is_ip(host) && !SSL_set_tlsext_host_name(c->ssl, host)) ||
	    (mode == SSL_VERIFY_FULL && is_ip(host) &&
	     !X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host)) ||
	    (mode == SSL_VERIFY_FULL && !is_ip(host) &&
	     !SSL_set1_host(c->ssl, host))) {
		*cause = xstrdup("cannot set up TLS");
		return -1;
	}
	while ((r = SSL_connect(c->ssl)) != 1)
		if (tls_wait(c, r, deadline, cause) < 0)
			return -1;
	return 0;
}

/* SSLRequest: 1 when the server agrees, 0 when it declines, -1. */
static int ssl_request(struct pgwire *c, long long deadline, char **cause)
{
	static const unsigned char req[8] = { 0, 0, 0, 8, 0x04, 0xd2,
					      0x16, 0x2f };	/* 80877103 */

	if (io_write(c, req, sizeof(req), deadline, cause) < 0 ||
	    io_read(c, 1, deadline, cause) < 0)
		return -1;
	c->in_len = 0;
	if (c->in[0] == 'S' || c->in[0] == 'N')
		return c->in[0] == 'S';
	*cause = xstrdup("protocol error: a bad answer to SSLRequest");
	return -1;
}

static int startup(struct pgwire *c, const struct pgwire_params *p,
		   long long deadline, int *server_error, char **cause)
{
	struct pgwire_startup st = { .user = p->user, .password = p->password };
	struct pgwire_msg m;
	struct buf out;
	int rc = 0;

	buf_init(&out, PGWIRE_MSG_MAX);
	pgwire_startup_message(&out, p->user, p->dbname,
			       p->application_name);
	while (rc == 0) {
		if (out.len && io_write(c, out.data, out.len, deadline,
					cause) < 0) {
			rc = -1;
			break;
		}
		OPENSSL_cleanse(out.data, out.len);
		buf_reset(&out);
		if (next_msg(c, &m, deadline, cause) < 0)
			rc = -1;
		else
			rc = pgwire_startup_feed(&st, &m, &out, cause);
	}
	if (out.data)
		OPENSSL_cleanse(out.data, out.len);
	buf_release(&out);
	*server_error = st.server_error;
	c->server_version = st.server_version;
	pgwire_startup_release(&st);
	return rc < 0 ? -1 : 0;
}

/*
 * One connection: tls 0 none, 1 if the server agrees, 2 required. *retry:
 * the failure was one that libpq retries with the other choice (a failed
 * handshake, an error from the server).
 */
static struct pgwire *attempt(const struct pgwire_params *p, const char *host,
			      enum ssl_mode mode, int tls, long long deadline,
			      int *retry, char **cause)
{
	struct pgwire *c = xcalloc(1, sizeof(*c));
	int server_error = 0, ok;

	*retry = 0;
	c->fd = open_socket(host, p->port, deadline, cause);
	if (c->fd < 0)
		goto fail;
	if (tls) {
		ok = ssl_request(c, deadline, cause);
		if (ok < 0)
			goto fail;
		if (!ok && tls == 2) {
			*cause = xstrdup("server does not support SSL, but "
					 "SSL was required");
			goto fail;
		}
		if (ok && tls_start(c, host, mode, deadline, cause) < 0) {
			*retry = 1;
			goto fail;
		}
	}
	if (startup(c, p, deadline, &server_error, cause) == 0)
		return c;
	*retry = server_error;
fail:
	c->broken = 1;
	pgwire_close(c);
	return NULL;
}

static int ssl_mode(enum ssl_mode *mode, char **cause)
{
	static const char *const names[] = { "disable", "allow", "prefer",
					     "require", "verify-ca",
					     "verify-full" };
	const char *s = getenv("PGSSLMODE"), *root = getenv("PGSSLROOTCERT");

	*mode = SSL_PREFER;
	if (s && *s) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(names) && strcmp(s, names[i]); i++)
			;
		if (i == ARRAY_SIZE(names)) {
			*cause = xasprintf("invalid PGSSLMODE '%.40s'", s);
			return -1;
		}
		*mode = (enum ssl_mode)i;
	}
	/* as libpq 16: any publicly trusted certificate would do unless its
	 * name is checked too; refused before any attempt, not fallen back
	 * from */
	if (root && !strcmp(root, "system") && *mode != SSL_VERIFY_FULL) {
		*cause = xasprintf("weak sslmode '%s': PGSSLROOTCERT=system "
				   "needs sslmode verify-full",
				   names[*mode]);
		return -1;
	}
	return 0;
}

/* A socket directory or a loopback address (pg.c's host_is_local). */
static int host_local(const char *h)
{
	return h[0] == '/' || !strcmp(h, "localhost") ||
	       !strncmp(h, "127.", 4) || !strcmp(h, "::1");
}

static struct pgwire *connect_mode(const struct pgwire_params *p,
				   const char *host, enum ssl_mode mode,
				   long long deadline, char **cause)
{
	struct pgwire *c;
	int retry, first, second = -1;

	switch (host[0] == '/' ? SSL_DISABLE : mode) {	/* libpq: no TLS
							 * on a unix socket */
	case SSL_DISABLE:
		first = 0;
		break;
	case SSL_ALLOW:		/* plain first, TLS if that fails */
		first = 0;
		second = 2;
		break;
	case SSL_PREFER:	/* TLS if offered, else plain */
		first = host_local(host) ? 0 : 1;
		second = first ? 0 : -1;
		break;
	default:
		first = 2;
	}
	c = attempt(p, host, mode, first, deadline, &retry, cause);
	if (c || !retry || second < 0)
		return c;
	free(*cause);
	*cause = NULL;
	return attempt(p, host, mode, second, deadline, &retry, cause);
}

struct pgwire *pgwire_connect(const struct pgwire_params *p, char **cause)
{
	const char *host = p->host && *p->host ? p->host :
						 "/var/run/postgresql";
	long long deadline = clock_ms() +
			     (p->timeout_ms > 0 ? p->timeout_ms : 10000);
	enum ssl_mode mode;
	struct pgwire *c = NULL;
	char *why = NULL;

	if (ssl_mode(&mode, &why) == 0)
		c = connect_mode(p, host, mode, deadline, &why);
	if (!c) {
		*cause = xasprintf("cannot connect to PostgreSQL database "
				   "'%s' at %s:%ld: %s",
				   p->dbname ? p->dbname : "", host, p->port,
				   why ? why : "unknown error");
		free(why);
		return NULL;
	}
	c->where = xasprintf("%s:%ld", host, p->port);
	return c;
}

long pgwire_server_version(const struct pgwire *c)
{
	return c->server_version;
}

static int query_run(struct pgwire *c, const char *sql, long long deadline,
		     struct pgwire_qstate *q, char **cause)
{
	struct pgwire_msg m;
	struct buf out;
	unsigned char head[5] = { 'Q' };
	size_t len = strlen(sql) + 5;
	int rc = 0;

	if (len > PGWIRE_MSG_MAX) {
		*cause = xstrdup("the query is too long");
		return -1;
	}
	for (int i = 0; i < 4; i++)
		head[1 + i] = (unsigned char)(len >> (24 - 8 * i));
	buf_init(&out, PGWIRE_MSG_MAX + 1);
	buf_append(&out, head, sizeof(head));
	buf_append(&out, sql, strlen(sql) + 1);
	if (io_write(c, out.data, out.len, deadline, cause) < 0)
		rc = -1;
	buf_release(&out);
	while (rc == 0)
		if (next_msg(c, &m, deadline, cause) < 0)
			rc = -1;
		else
			rc = pgwire_query_feed(q, &m, cause);
	return rc < 0 ? -1 : 0;
}

int pgwire_query(struct pgwire *c, const char *sql, long timeout_ms,
		 struct pgwire_result *r, char **cause)
{
	struct pgwire_qstate q = { 0 };
	char *why = NULL;

	memset(r, 0, sizeof(*r));
	if (c->broken) {
		*cause = xasprintf("the connection to %s is broken", c->where);
		return -1;
	}
	if (query_run(c, sql, clock_ms() + (timeout_ms > 0 ? timeout_ms :
					    10000), &q, &why) < 0) {
		c->broken = 1;
		*cause = xasprintf("server at %s: %s", c->where, why);
		free(why);
		pgwire_qstate_release(&q);
		return -1;
	}
	if (q.error) {
		*cause = q.error;
		q.error = NULL;
		pgwire_qstate_release(&q);
		return -1;
	}
	*r = q.r;
	return 0;
}

void pgwire_close(struct pgwire *c)
{
	static const unsigned char terminate[5] = { 'X', 0, 0, 0, 4 };
	char *why = NULL;

	if (!c)
		return;
	if (!c->broken && c->fd >= 0)	/* best effort, briefly */
		io_write(c, terminate, sizeof(terminate), clock_ms() + 100,
			 &why);
	free(why);
	if (c->ssl)
		SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	free(c->in);
	free(c->where);
	free(c);
}
