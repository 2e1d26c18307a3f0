/*
 * A canned Engine API: a thread of the test answers each connection on a
 * unix socket with raw bytes, after reading one request (headers and a
 * Content-Length or chunked body); it records every request. For the
 * error paths no real daemon can be made to take.
 */
#ifndef ODOOCTL_TEST_CANNED_SERVER_H
#define ODOOCTL_TEST_CANNED_SERVER_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/util.h"

struct canned {
	const char *data;
	size_t len;		/* 0: strlen(data) */
	int slow;		/* one byte at a time, to split every read */
};

struct server {
	char *dir;
	char *sock;
	int fd;
	const struct canned *replies;
	size_t n;
	pthread_t thread;
	struct buf requests;
};

static int request_complete(const struct buf *b)
{
	char *end = b->data ? strstr(b->data, "\r\n\r\n") : NULL;
	char *cl;

	if (!end)
		return 0;
	cl = strcasestr(b->data, "Content-Length:");
	if (cl && cl < end)
		return b->len >= (size_t)(end - b->data) + 4 +
				  strtoul(cl + 15, NULL, 10);
	if (strcasestr(b->data, "Transfer-Encoding: chunked"))
		return strstr(end, "\r\n0\r\n\r\n") != NULL;
	return 1;
}

static void canned_read_request(struct server *s, int c)
{
	struct buf b;
	char chunk[4096];
	ssize_t n;

	buf_init(&b, 16 << 20);
	while (!request_complete(&b) &&
	       (n = read(c, chunk, sizeof(chunk))) > 0)
		buf_append(&b, chunk, (size_t)n);
	buf_append(&s->requests, b.data ? b.data : "", b.len);
	buf_append(&s->requests, "\n", 1);
	buf_release(&b);
}

static void canned_write_reply(int c, const struct canned *r)
{
	size_t len = r->len ? r->len : strlen(r->data);
	size_t step = r->slow ? 1 : len;

	for (size_t off = 0; off < len; off += step) {
		if (send(c, r->data + off, step, MSG_NOSIGNAL) < 0)
			break;
		if (r->slow)
			usleep(500);
	}
}

static void *canned_serve(void *arg)
{
	struct server *s = arg;

	for (size_t i = 0; i < s->n; i++) {
		int c = accept(s->fd, NULL, NULL);

		if (c < 0)
			break;
		canned_read_request(s, c);
		canned_write_reply(c, &s->replies[i]);
		close(c);
	}
	return NULL;
}

static struct server *server_start(const struct canned *replies, size_t n)
{
	struct server *s = xcalloc(1, sizeof(*s));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	s->dir = xstrdup("/tmp/odooctl-test-canned-XXXXXX");
	if (!mkdtemp(s->dir))
		abort();
	s->sock = xasprintf("%s/docker.sock", s->dir);
	s->replies = replies;
	s->n = n;
	buf_init(&s->requests, 16 << 20);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->sock);
	s->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(s->fd, 8) || pthread_create(&s->thread, NULL, canned_serve,
					       s))
		abort();
	return s;
}

/* Waits until every reply was served; returns the requests (caller frees). */
static char *server_stop(struct server *s)
{
	char *requests;

	pthread_join(s->thread, NULL);
	close(s->fd);
	unlink(s->sock);
	rmdir(s->dir);
	requests = buf_detach(&s->requests, NULL);
	free(s->sock);
	free(s->dir);
	free(s);
	return requests;
}

static char *http_reply(const char *status, const char *body)
{
	return xasprintf("HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\n\r\n%s", status, strlen(body),
			 body);
}

#endif
