/*
 * GET /metrics for Prometheus: one thread, poll(2) over the listening
 * socket, a wake-up pipe and up to METRICS_CONNS connections. Each
 * connection sends one request head, gets one answer, and is closed.
 */
#include "monitor/metrics.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the request head, pure ------------------------------------------- */

static const char *head_end(const char *data, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (data[i] != '\n')
			continue;
		if (data[i + 1] == '\n')
			return data + i + 2;
		if (i + 2 < n && data[i + 1] == '\r' && data[i + 2] == '\n')
			return data + i + 3;
	}
	return NULL;
}

/* Copies [p, p+len) into out[outlen]; 0, or -1 when it does not fit. */
static int copy_word(const char *p, size_t len, char *out, size_t outlen)
{
	if (len + 1 > outlen)
		return -1;
	memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}

enum metrics_head metrics_parse_head(const char *data, size_t n,
				     char *method, size_t mlen, char *path,
				     size_t plen)
{
	const char *end = head_end(data, n), *sp1, *sp2, *eol, *q;
	size_t vlen;

	if (!end)
		return n > METRICS_HEAD_MAX ? MH_TOO_LONG : MH_INCOMPLETE;
	if ((size_t)(end - data) > METRICS_HEAD_MAX)
		return MH_TOO_LONG;
	eol = memchr(data, '\n', (size_t)(end - data));
	if (eol > data && eol[-1] == '\r')
		eol--;
	sp1 = memchr(data, ' ', (size_t)(eol - data));
	if (!sp1 || sp1 == data)
		return MH_BAD;
	for (const char *c = data; c < sp1; c++)
		if (*c < 'A' || *c > 'Z')
			return MH_BAD;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (!sp2 || sp2 == sp1 + 1 || sp1[1] != '/')
		return MH_BAD;
	vlen = (size_t)(eol - sp2 - 1);
	if (vlen != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) ||
	    (sp2[8] != '0' && sp2[8] != '1'))
		return MH_BAD;
	for (const char *c = sp1 + 1; c < sp2; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return MH_BAD;
	q = memchr(sp1 + 1, '?', (size_t)(sp2 - sp1 - 1));
	if (!q)
		q = sp2;
	if (copy_word(data, (size_t)(sp1 - data), method, mlen) < 0 ||
	    copy_word(sp1 + 1, (size_t)(q - sp1 - 1), path, plen) < 0)
		return MH_BAD;
	return MH_OK;
}

char *metrics_answer(enum metrics_head h, const char *method,
		     const char *path, const char *text, size_t *len)
{
	const char *status = "200 OK", *type = METRICS_CONTENT_TYPE;
	const char *body = text ? text : "";
	const char *extra = "";
	int head_only = 0;
	struct buf b;

	if (h != MH_OK) {
		status = h == MH_TOO_LONG ?
				 "431 Request Header Fields Too Large" :
				 "400 Bad Request";
		type = "text/plain";
		body = "bad request\n";
	} else if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		status = "405 Method Not Allowed";
		type = "text/plain";
		body = "method not allowed\n";
		extra = "Allow: GET, HEAD\r\n";
	} else {
		head_only = !strcmp(method, "HEAD");
		if (!strcmp(path, "/")) {
			type = "text/plain";
			body = "odooctl monitor: see /metrics\n";
		} else if (strcmp(path, "/metrics")) {
			status = "404 Not Found";
			type = "text/plain";
			body = "not found\n";
		}
	}
	buf_init(&b, SIZE_MAX);
	buf_printf(&b, "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
		   "Content-Length: %zu\r\n%sConnection: close\r\n\r\n",
		   status, type, strlen(body), extra);
	if (!head_only)
		buf_append(&b, body, strlen(body));
	return buf_detach(&b, len);
}

/* ---- serving ------------------------------------------------------------ */

struct conn {
	int fd;			/* -1: a free slot */
	long long deadline;	/* clock_ms */
	struct buf in;
	char *out;		/* the answer, once the head is in */
	size_t out_len, out_off;
};

struct metrics_server {
	int lfd;
	int wake[2];		/* written by metrics_server_stop */
	pthread_t tid;
	pthread_mutex_t lock;
	char *text;
	long long pause_until;	/* out of descriptors: accept later */
	struct conn c[METRICS_CONNS];
};

static void conn_close(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
	buf_release(&c->in);
	free(c->out);
	c->out = NULL;
}

static void conn_accept(struct metrics_server *s)
{
	int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		/* out of descriptors or memory: the connection stays queued
		 * and the socket readable; polling it again at once would
		 * spin, so leave it alone for a second */
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM)
			s->pause_until = clock_ms() + 1000;
		return;		/* or it was gone already */
	}
	for (size_t i = 0; i < METRICS_CONNS; i++) {
		if (s->c[i].fd >= 0)
			continue;
		s->c[i].fd = fd;
		s->c[i].deadline = clock_ms() + METRICS_IDLE_MS;
		buf_init(&s->c[i].in, METRICS_HEAD_MAX + 1);
		s->c[i].out = NULL;
		s->c[i].out_len = s->c[i].out_off = 0;
		return;
	}
	close(fd);		/* not reached: accept only with a free slot */
}

static void conn_read(struct metrics_server *s, struct conn *c)
{
	char chunk[1024], method[16], path[256];
	size_t room = c->in.max - c->in.len;
	ssize_t got = recv(c->fd, chunk, room < sizeof(chunk) ? room :
			   sizeof(chunk), 0);
	enum metrics_head h;

	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (got <= 0) {		/* closed (or reset) before its head */
		conn_close(c);
		return;
	}
	buf_append(&c->in, chunk, (size_t)got);
	h = metrics_parse_head(c->in.data, c->in.len, method, sizeof(method),
			       path, sizeof(path));
	if (h == MH_INCOMPLETE && c->in.len < c->in.max)
		return;
	if (h == MH_INCOMPLETE)
		h = MH_TOO_LONG;
	pthread_mutex_lock(&s->lock);
	c->out = metrics_answer(h, method, path, s->text, &c->out_len);
	pthread_mutex_unlock(&s->lock);
	shutdown(c->fd, SHUT_RD);
}

static void conn_write(struct conn *c)
{
	ssize_t put = send(c->fd, c->out + c->out_off,
			   c->out_len - c->out_off, MSG_NOSIGNAL);

	if (put < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (put < 0) {
		conn_close(c);
		return;
	}
	c->out_off += (size_t)put;
	if (c->out_off == c->out_len)
		conn_close(c);
}

static void *serve(void *arg)
{
	struct metrics_server *s = arg;
	struct pollfd pfd[2 + METRICS_CONNS];
	size_t slot[METRICS_CONNS];

	for (;;) {
		long long now = clock_ms(), next = now + METRICS_IDLE_MS;
		size_t n = 1, used = 0;
		int listening;

		pfd[0] = (struct pollfd){ .fd = s->wake[0], .events = POLLIN };
		for (size_t i = 0; i < METRICS_CONNS; i++) {
			struct conn *c = &s->c[i];

			if (c->fd < 0)
				continue;
			if (c->deadline <= now) {
				conn_close(c);
				continue;
			}
			if (c->deadline < next)
				next = c->deadline;
			slot[used++] = i;
			pfd[n++] = (struct pollfd){
				.fd = c->fd,
				.events = c->out ? POLLOUT : POLLIN };
		}
		listening = used < METRICS_CONNS && now >= s->pause_until;
		if (listening)
			pfd[n++] = (struct pollfd){ .fd = s->lfd,
						    .events = POLLIN };
		else if (s->pause_until > now && s->pause_until < next)
			next = s->pause_until;
		if (poll(pfd, n, (int)(next - now)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents)
			break;
		for (size_t k = 0; k < used; k++) {
			struct conn *c = &s->c[slot[k]];

			if (!pfd[1 + k].revents)
				continue;
			if (c->out)
				conn_write(c);
			else
				conn_read(s, c);
		}
		if (listening && pfd[n - 1].revents)
			conn_accept(s);
	}
	for (size_t i = 0; i < METRICS_CONNS; i++)
		if (s->c[i].fd >= 0)
			conn_close(&s->c[i]);
	return NULL;
}

static int listen_socket(const char *listen_at, char **cause)
{
	const char *colon = strrchr(listen_at, ':');
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char host[INET_ADDRSTRLEN];
	int fd, one = 1;

	if (!colon || (size_t)(colon - listen_at) >= sizeof(host)) {
		*cause = xasprintf("'%s' is not IPV4ADDR:PORT", listen_at);
		return -1;
	}
	memcpy(host, listen_at, (size_t)(colon - listen_at));
	host[colon - listen_at] = '\0';
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		*cause = xasprintf("'%s' is not IPV4ADDR:PORT", listen_at);
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 16) < 0) {
		*cause = xasprintf("cannot listen on %s: %s", listen_at,
				   strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

struct metrics_server *metrics_server_start(const char *listen_at,
					    char **cause)
{
	struct metrics_server *s;
	int fd = listen_socket(listen_at, cause), err;

	if (fd < 0)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->lfd = fd;
	for (size_t i = 0; i < METRICS_CONNS; i++)
		s->c[i].fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	if (pipe2(s->wake, O_CLOEXEC) < 0) {
		err = errno;
	} else {
		err = pthread_create(&s->tid, NULL, serve, s);
		if (err) {
			close(s->wake[0]);
			close(s->wake[1]);
		}
	}
	if (err) {
		*cause = xasprintf("cannot serve /metrics on %s: %s",
				   listen_at, strerror(err));
		close(fd);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return NULL;
	}
	return s;
}

void metrics_server_publish(struct metrics_server *s, char *text)
{
	char *old;

	pthread_mutex_lock(&s->lock);
	old = s->text;
	s->text = text;
	pthread_mutex_unlock(&s->lock);
	free(old);
}

void metrics_server_stop(struct metrics_server *s)
{
	if (!s)
		return;
	while (write(s->wake[1], "x", 1) < 0 && errno == EINTR)
		;
	pthread_join(s->tid, NULL);
	close(s->wake[0]);
	close(s->wake[1]);
	close(s->lfd);
	pthread_mutex_destroy(&s->lock);
	free(s->text);
	free(s);
}
