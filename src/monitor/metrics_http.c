/*
 * GET /metrics for Prometheus through libmicrohttpd. The listening socket
 * is ours (so that "address in use" is said as the monitor says it), the
 * rest is the library's: its own polling thread, the connection limit and
 * timeout, HEAD without a body.
 */
#include "monitor/metrics.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct metrics_server {
	struct MHD_Daemon *d;
	int lfd;
	pthread_mutex_t lock;
	char *text;
};

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status,
			      const char *type, const char *body,
			      const char *allow)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result on_request(void *arg, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **ctx)
{
	struct metrics_server *s = arg;
	enum MHD_Result rc;

	/* answered at the head: a body, if any, is not read */
	(void)version, (void)upload, (void)upload_size, (void)ctx;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			      "method not allowed\n", "GET, HEAD");
	if (!strcmp(url, "/"))
		return answer(c, MHD_HTTP_OK, "text/plain",
			      "odooctl monitor: see /metrics\n", NULL);
	if (strcmp(url, "/metrics"))
		return answer(c, MHD_HTTP_NOT_FOUND, "text/plain",
			      "not found\n", NULL);
	pthread_mutex_lock(&s->lock);
	rc = answer(c, MHD_HTTP_OK, METRICS_CONTENT_TYPE,
		    s->text ? s->text : "", NULL);
	pthread_mutex_unlock(&s->lock);
	return rc;
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
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
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
	int fd = listen_socket(listen_at, cause);

	if (fd < 0)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->lfd = fd;
	pthread_mutex_init(&s->lock, NULL);
	s->d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL,
				on_request, s,
				MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
				MHD_OPTION_CONNECTION_LIMIT,
				(unsigned)METRICS_CONNS,
				MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned)METRICS_IDLE_S, MHD_OPTION_END);
	if (!s->d) {
		*cause = xasprintf("cannot serve /metrics on %s", listen_at);
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
	MHD_stop_daemon(s->d);	/* the socket is ours: MHD leaves it */
	close(s->lfd);
	pthread_mutex_destroy(&s->lock);
	free(s->text);
	free(s);
}
