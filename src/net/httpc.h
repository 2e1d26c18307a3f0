/*
 * httpc: a small HTTP/1.1 client of our own, for the probes and alerts of
 * a long-running process (`odooctl monitor`): plain TCP, a unix socket
 * (the Docker Engine API) or TLS through OpenSSL's libssl, one request per
 * connection, every step bounded by one deadline.
 *
 * Not libcurl on purpose: linking libcurl maps some thirty libraries
 * (about 6 MB resident) into the process before it does anything; the
 * monitor's footprint target is under 8 MB. Everything that streams
 * (image pulls, builds, logs, exec) stays on libcurl (docker.c).
 */
#ifndef ODOOCTL_HTTPC_H
#define ODOOCTL_HTTPC_H

#include "core/util.h"

#include <signal.h>
#include <stddef.h>

struct httpc_request {
	const char *method;		/* GET, POST, HEAD, PUT, DELETE */
	/* http://host[:port]/path, https://..., or, with unix_socket set,
	 * http://anything/path (the host only goes in the Host header) */
	const char *url;
	const char *unix_socket;	/* NULL: TCP to the url's host */
	const char *const *headers;	/* "Name: value", NULL-terminated */
	const char *body;		/* NULL: none */
	size_t body_len;
	long timeout_ms;		/* connect, send and receive, in all;
					 * <= 0: no limit (name resolution
					 * is never bounded: getaddrinfo) */
	size_t body_max;		/* a longer body is an error */
	/* 1: *cause is the reason alone, without method and url (a url
	 * that holds a token, or a call the caller names better) */
	int reason_only;
	/* set (by another thread or a signal) to abandon the exchange;
	 * looked at at least every 100 ms; NULL: never */
	const volatile sig_atomic_t *cancel;
};

struct httpc_response {
	long status;
	struct buf body;		/* the decoded body (chunks joined) */
};

/*
 * 0 when an HTTP answer came back (any status); -1 with *cause, one line
 * naming method and url (user:password@ shown as ***@; never a header's
 * value, which may hold a token), when none did: refused, timeout, TLS
 * failure, malformed or too long.
 *
 * A url's user:password@ is sent as Basic authentication. Proxies come
 * from the environment as curl reads it (https_proxy or HTTPS_PROXY for
 * https, through a CONNECT tunnel; http_proxy for http; no_proxy), except
 * for loopback hosts and unix sockets, which are always reached directly.
 * Only http:// proxies.
 * resp is initialised in every case and released by httpc_response_release.
 */
int httpc_do(const struct httpc_request *req, struct httpc_response *resp,
	     char **cause);
void httpc_response_release(struct httpc_response *resp);

/* ---- the response parser, pure (fuzz_httpc feeds it any bytes) ---------- */

enum httpc_state { HP_STATUS, HP_HEADERS, HP_BODY, HP_CHUNK_SIZE,
		   HP_CHUNK_DATA, HP_CHUNK_CRLF, HP_TRAILERS, HP_DONE,
		   HP_ERROR };

struct httpc_parser {
	enum httpc_state state;
	long status;
	int head;			/* a reply to HEAD: no body */
	int chunked;
	long long length;		/* Content-Length, -1: until close */
	long long left;			/* of the body or of the chunk */
	struct buf line;		/* a status, header or chunk-size line */
	int fields;			/* header and trailer lines so far */
	size_t field_bytes;		/* and their bytes */
	int interim;			/* 1xx replies before the answer */
	struct buf *body;
	const char *error;		/* static text when state is HP_ERROR */
};

void httpc_parser_init(struct httpc_parser *p, struct buf *body, int head);
/* Feeds n bytes; returns how many were consumed (less than n only once
 * the response is complete or in error). */
size_t httpc_parser_feed(struct httpc_parser *p, const char *data, size_t n);
/* The peer closed: completes a body delimited by the close; else error. */
void httpc_parser_eof(struct httpc_parser *p);
void httpc_parser_release(struct httpc_parser *p);

#endif
