/*
 * http.h over libcurl's multi interface: one easy handle per exchange,
 * driven in slices of at most 100 ms so that the cancel flag is looked at
 * that often; CURLOPT_TIMEOUT_MS bounds the whole exchange, so that a
 * server that keeps sending a byte now and then cannot stretch it.
 * SIGPIPE: odooctl's commands ignore it (CURLOPT_NOSIGNAL: libcurl does
 * not touch signal dispositions from the monitor's threads).
 */
#include "net/http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SLICE_MS 100

struct xfer {
	CURL *h;
	struct buf *body;
	int too_large;
	char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;

	if (buf_append(x->body, p, size * nmemb) < 0) {
		x->too_large = 1;
		return 0;
	}
	return size * nmemb;
}

/* No header may smuggle a line of its own; never quoted: it may hold a
 * token. */
static int header_ok(const char *h)
{
	return !strpbrk(h, "\r\n") && strchr(h, ':');
}

/* An http or https url with a host: 0, and *loopback whether that host
 * is (never through a proxy); -1 for anything else. */
static int url_check(const char *url, int *loopback)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = -1;

	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
		    CURLUE_OK &&
	    (!strcmp(scheme, "http") || !strcmp(scheme, "https")) && *host &&
	    atol(port) > 0) {
		*loopback = host_is_local(host);
		rc = 0;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

static struct curl_slist *setup(struct xfer *x,
				const struct http_request *req, int loopback)
{
	struct curl_slist *h = curl_slist_append(NULL, "Expect:");
	const char *env;
	char *s;

	curl_easy_setopt(x->h, CURLOPT_URL, req->url);
	curl_easy_setopt(x->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->h, CURLOPT_USERAGENT, "odooctl");
	if (req->timeout_ms > 0) {
		curl_easy_setopt(x->h, CURLOPT_TIMEOUT_MS, req->timeout_ms);
		curl_easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT_MS,
				 req->timeout_ms);
	}
	if (req->unix_socket)
		curl_easy_setopt(x->h, CURLOPT_UNIX_SOCKET_PATH,
				 req->unix_socket);
	if (req->unix_socket || loopback)
		curl_easy_setopt(x->h, CURLOPT_PROXY, "");
	if ((env = getenv("SSL_CERT_FILE")) && *env)
		curl_easy_setopt(x->h, CURLOPT_CAINFO, env);
	if ((env = getenv("SSL_CERT_DIR")) && *env)
		curl_easy_setopt(x->h, CURLOPT_CAPATH, env);
	/* refused at once when Content-Length says more (not for HEAD) */
	if (strcmp(req->method, "HEAD"))
		curl_easy_setopt(x->h, CURLOPT_MAXFILESIZE_LARGE,
				 (curl_off_t)x->body->max);
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	if (!strcmp(req->method, "HEAD")) {
		curl_easy_setopt(x->h, CURLOPT_NOBODY, 1L);
	} else {
		if (req->body || !strcmp(req->method, "POST") ||
		    !strcmp(req->method, "PUT")) {
			curl_easy_setopt(x->h, CURLOPT_POSTFIELDS,
					 req->body ? req->body : "");
			curl_easy_setopt(x->h, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)(req->body ?
						      strlen(req->body) : 0));
		}
		curl_easy_setopt(x->h, CURLOPT_CUSTOMREQUEST, req->method);
	}
	/* none unless asked: not libcurl's form-urlencoded */
	if (req->content_type) {
		s = xasprintf("Content-Type: %s", req->content_type);
		h = curl_slist_append(h, s);
		free(s);
	} else {
		h = curl_slist_append(h, "Content-Type:");
	}
	if (req->header)
		h = curl_slist_append(h, req->header);
	curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, h);
	return h;
}

/* Runs the transfer until done, the deadline (libcurl's) or the cancel
 * flag: CURLE_ABORTED_BY_CALLBACK then. */
static CURLcode run(struct xfer *x, const volatile sig_atomic_t *cancel)
{
	CURLM *m = curl_multi_init();
	CURLcode rc = CURLE_OUT_OF_MEMORY;
	int running = 1;

	if (!m || curl_multi_add_handle(m, x->h) != CURLM_OK)
		goto out;
	while (running) {
		CURLMsg *msg;
		int left;

		if (cancel && *cancel) {
			rc = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		if (curl_multi_perform(m, &running) != CURLM_OK ||
		    (running && curl_multi_poll(m, NULL, 0, SLICE_MS, NULL) !=
				CURLM_OK))
			break;
		while ((msg = curl_multi_info_read(m, &left)))
			if (msg->msg == CURLMSG_DONE)
				rc = msg->data.result;
	}
	curl_multi_remove_handle(m, x->h);
out:
	curl_multi_cleanup(m);
	return rc;
}

static char *lowered(const char *s)
{
	char *t = xstrdup(*s ? s : "failed");

	t[0] = (char)tolower((unsigned char)t[0]);
	return t;
}

/* A connection that failed, naming where it went when that may not be
 * the url's host (a proxy): "cannot connect to H port P: reason". */
static char *refused(const struct xfer *x, const struct http_request *req,
		     int err)
{
	static const char failed[] = "Failed to connect to ";
	char *e = lowered(strerror(err)), *r;
	const char *after;

	if (req->unix_socket)
		r = xasprintf("%s: %s", req->unix_socket, e);
	else if (!strncmp(x->errbuf, failed, sizeof(failed) - 1) &&
		 (after = strstr(x->errbuf, " after ")))
		r = xasprintf("cannot connect to %.*s: %s",
			      (int)(after - x->errbuf - sizeof(failed) + 1),
			      x->errbuf + sizeof(failed) - 1, e);
	else
		return e;
	free(e);
	return r;
}

/* Why no (complete) answer came back, without method and url. */
static char *reason(struct xfer *x, const struct http_request *req,
		    CURLcode rc)
{
	const char *why = *x->errbuf ? x->errbuf : curl_easy_strerror(rc);
	long err = 0, connect_code = 0;

	curl_easy_getinfo(x->h, CURLINFO_OS_ERRNO, &err);
	curl_easy_getinfo(x->h, CURLINFO_HTTP_CONNECTCODE, &connect_code);
	if (x->too_large || rc == CURLE_FILESIZE_EXCEEDED)
		return xstrdup("reply body too large");
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return xstrdup("cancelled");
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return xasprintf("timed out after %ld ms", req->timeout_ms);
	if (connect_code && (connect_code < 200 || connect_code > 299))
		return xasprintf("proxy answered HTTP %ld to CONNECT",
				 connect_code);
	if (rc == CURLE_COULDNT_CONNECT && err)
		return refused(x, req, (int)err);
	if (rc == CURLE_GOT_NOTHING)
		return xstrdup("empty reply");
	if (rc == CURLE_PARTIAL_FILE)
		return xstrdup("connection closed before the end of the "
			       "reply");
	if (rc == CURLE_PEER_FAILED_VERIFICATION ||
	    rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_SSL_CACERT_BADFILE)
		return xasprintf("TLS: %s", why);
	return lowered(why);
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

static int fail(const struct http_request *req, char *why, char **cause)
{
	char *shown;

	if (req->reason_only) {
		*cause = str_one_line(why);
		return -1;
	}
	shown = url_shown(req->url);
	*cause = str_one_line(xasprintf("%s %s: %s", req->method, shown,
					why));
	free(shown);
	free(why);
	return -1;
}

int http_do(const struct http_request *req, struct http_response *resp,
	    char **cause)
{
	struct xfer x = { .body = &resp->body };
	struct curl_slist *hdrs = NULL;
	long long start = clock_ms();
	CURLcode rc;
	int ret = -1, loopback = 0;

	resp->status = 0;
	resp->elapsed_ms = 0;
	buf_init(&resp->body, req->body_max ? req->body_max : HTTP_BODY_MAX);
	if (url_check(req->url, &loopback) < 0)
		return fail(req, xstrdup("bad url"), cause);
	if (req->header && !header_ok(req->header))
		return fail(req, xstrdup("bad request header"), cause);
	pthread_once(&curl_once, curl_init);
	x.h = curl_easy_init();
	if (!x.h)
		return fail(req, xstrdup("cannot start libcurl"), cause);
	hdrs = setup(&x, req, loopback);
	rc = run(&x, req->cancel);
	resp->elapsed_ms = clock_ms() - start;
	if (rc == CURLE_OK) {
		curl_easy_getinfo(x.h, CURLINFO_RESPONSE_CODE, &resp->status);
		ret = 0;
	} else {
		fail(req, reason(&x, req, rc), cause);
		buf_release(&resp->body);
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(x.h);
	return ret;
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
