/*
 * HTTP over libcurl for everything odooctl asks of a web server in one
 * exchange: health probes, smoke tests, webhooks, the Engine API's plain
 * GETs of the checks (over its unix socket). One bounded body, one
 * deadline over the whole exchange, a cancel flag looked at every 100 ms.
 * The streaming Engine API calls (pulls, builds, logs) are docker.c's.
 */
#ifndef ODOOCTL_HTTP_H
#define ODOOCTL_HTTP_H

#include "core/util.h"

#include <signal.h>

#define HTTP_BODY_MAX (1 << 20)

struct http_request {
	const char *method;	/* GET, POST, HEAD, PUT, DELETE */
	/* http:// or https://; with unix_socket, the host only goes in
	 * the Host header */
	const char *url;
	const char *unix_socket;	/* NULL: TCP to the url's host */
	const char *body;	/* NULL: none */
	const char *content_type;
	const char *header;	/* one extra "Name: value", or NULL */
	long timeout_ms;	/* the whole exchange, name lookup included;
				 * <= 0: no limit */
	size_t body_max;	/* 0: HTTP_BODY_MAX; a longer body fails */
	/* 1: *cause is the reason alone, without method and url (a url
	 * that holds a token, or a caller that names the call better) */
	int reason_only;
	/* set (by another thread or a signal handler) to abandon the
	 * exchange; NULL: never */
	const volatile sig_atomic_t *cancel;
};

struct http_response {
	long status;
	struct buf body;	/* bounded by body_max */
	long long elapsed_ms;
};

/*
 * 0 when an HTTP answer came back (any status); -1 with *cause, one line
 * "METHOD url: reason" (user:password@ shown as ***@, never a header's
 * value), when none did: refused, timed out, cancelled, TLS, too long.
 *
 * TLS is verified against the system's store, or SSL_CERT_FILE and
 * SSL_CERT_DIR when set. A url's user:password@ is sent as Basic
 * authentication. Proxies are libcurl's reading of the environment
 * (http_proxy, https_proxy, HTTPS_PROXY, all_proxy, no_proxy; http or
 * https proxies, their user:password@), except that a loopback host and
 * a unix socket are always reached directly. resp is initialised in every
 * case and released by http_response_release.
 */
int http_do(const struct http_request *req, struct http_response *resp,
	    char **cause);
void http_response_release(struct http_response *resp);
/* The first n printable bytes of a body, for error messages. */
char *http_excerpt(const struct buf *body, size_t n);

#endif
