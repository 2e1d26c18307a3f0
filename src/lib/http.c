#include "http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

void http_global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (buf_append(b, p, size * n) < 0)
		return 0;
	return size * n;
}

int http_do(const struct http_request *req, struct http_response *resp,
	    char **cause)
{
	CURL *c = curl_easy_init();
	struct curl_slist *headers = NULL;
	long long start = clock_ms();
	CURLcode rc;

	resp->status = 0;
	buf_init(&resp->body, HTTP_BODY_MAX);
	if (!c) {
		*cause = xstrdup("cannot initialize libcurl");
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp->body);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "odooctl");
	if (!strcmp(req->method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (strcmp(req->method, "GET"))
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	if (req->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE,
				 (long)strlen(req->body));
	}
	if (req->content_type) {
		char *h = xasprintf("Content-Type: %s", req->content_type);

		headers = curl_slist_append(headers, h);
		free(h);
	}
	if (req->header)
		headers = curl_slist_append(headers, req->header);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	rc = curl_easy_perform(c);
	resp->elapsed_ms = clock_ms() - start;
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	else
		*cause = xasprintf("%s %s: %s", req->method, req->url,
				   rc == CURLE_WRITE_ERROR ?
				   "reply body too large" :
				   curl_easy_strerror(rc));
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	return rc == CURLE_OK ? 0 : -1;
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
