/* HTTP for health probes and smoke tests, over httpc.h. */
#ifndef ODOOCTL_HTTP_H
#define ODOOCTL_HTTP_H

#include "core/util.h"

#define HTTP_BODY_MAX (1 << 20)

struct http_request {
	const char *method;	/* GET, POST, HEAD, PUT */
	const char *url;
	const char *body;	/* NULL: none */
	const char *content_type;
	const char *header;	/* one extra "Name: value", or NULL */
	long timeout_ms;
};

struct http_response {
	long status;
	struct buf body;	/* bounded by HTTP_BODY_MAX */
	long long elapsed_ms;
};

/* -1 with *cause when no HTTP answer came back (refused, timeout, ...). */
int http_do(const struct http_request *req, struct http_response *resp,
	    char **cause);
void http_response_release(struct http_response *resp);
/* The first n printable bytes of a body, for error messages. */
char *http_excerpt(const struct buf *body, size_t n);

#endif
