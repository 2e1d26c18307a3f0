#include "net/http.h"
#include "net/httpc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int http_do(const struct http_request *req, struct http_response *resp,
	    char **cause)
{
	const char *headers[3] = { NULL };
	char *content_type = NULL;
	struct httpc_request r = {
		.method = req->method, .url = req->url, .headers = headers,
		.body = req->body,
		.body_len = req->body ? strlen(req->body) : 0,
		.timeout_ms = req->timeout_ms, .body_max = HTTP_BODY_MAX,
	};
	struct httpc_response got;
	long long start = clock_ms();
	size_t n = 0;
	int rc;

	if (req->content_type) {
		content_type = xasprintf("Content-Type: %s", req->content_type);
		headers[n++] = content_type;
	}
	if (req->header)
		headers[n++] = req->header;
	rc = httpc_do(&r, &got, cause);
	resp->elapsed_ms = clock_ms() - start;
	resp->status = got.status;
	resp->body = got.body;
	free(content_type);
	return rc;
}

void http_response_release(struct http_response *resp)
{
	buf_release(&resp->body);
}

char *http_excerpt(const struct buf *body, size_t n)
{
	char *s = xstrndup(body->data ? body->data : "", n), *t;

	for (char *p = s; *p; p++)
		if (!isprint((unsigned char)*p))
			*p = ' ';
	t = strtrim(s);
	memmove(s, t, strlen(t) + 1);
	return s;
}
