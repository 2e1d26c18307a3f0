/*
 * The response parser of httpc.h: bytes in, any split, no I/O. Strict
 * where a lenient reading could take a wrong body for the right one
 * (Content-Length, chunk sizes), bounded everywhere else.
 */
#include "net/httpc.h"

#include <limits.h>
#include <string.h>
#include <strings.h>

#define LINE_MAX_BYTES 8192
#define FIELDS_MAX 100
#define INTERIM_MAX 8	/* 100 Continue, 102 Processing, 103 Early Hints */
#define FIELD_BYTES_MAX (64 * 1024)

void httpc_parser_init(struct httpc_parser *p, struct buf *body, int head)
{
	memset(p, 0, sizeof(*p));
	p->state = HP_STATUS;
	p->head = head;
	p->length = -1;
	buf_init(&p->line, LINE_MAX_BYTES);
	p->body = body;
}

void httpc_parser_release(struct httpc_parser *p)
{
	buf_release(&p->line);
}

static int fail(struct httpc_parser *p, const char *error)
{
	p->state = HP_ERROR;
	p->error = error;
	return -1;
}

/* HTTP/1.0 or HTTP/1.1, a space, three digits, then a space or the end. */
static int parse_status(struct httpc_parser *p, const char *s, size_t n)
{
	if (n < 12 || (memcmp(s, "HTTP/1.1 ", 9) && memcmp(s, "HTTP/1.0 ", 9)))
		return fail(p, "bad status line");
	for (int i = 9; i < 12; i++)
		if (s[i] < '0' || s[i] > '9')
			return fail(p, "bad status line");
	if (n > 12 && s[12] != ' ')
		return fail(p, "bad status line");
	if (s[9] == '0')
		return fail(p, "bad status line");
	p->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	p->length = -1;
	p->chunked = 0;
	p->state = HP_HEADERS;
	return 0;
}

static const char *trim(const char *s, size_t *n)
{
	while (*n && (*s == ' ' || *s == '\t'))
		s++, (*n)--;
	while (*n && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
		(*n)--;
	return s;
}

static int content_length(struct httpc_parser *p, const char *v, size_t n)
{
	long long len = 0;

	if (!n || n > 18)
		return fail(p, "bad Content-Length");
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return fail(p, "bad Content-Length");
		len = len * 10 + (v[i] - '0');
	}
	if (p->length >= 0 && p->length != len)
		return fail(p, "conflicting Content-Length");
	p->length = len;
	return 0;
}

static int transfer_encoding(struct httpc_parser *p, const char *v, size_t n)
{
	if (n != 7 || strncasecmp(v, "chunked", 7))
		return fail(p, "unsupported Transfer-Encoding");
	p->chunked = 1;
	return 0;
}

/* A header or trailer line: counted, bounded, checked; headers read. */
static int parse_field(struct httpc_parser *p, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n), *v;
	size_t name_len, v_len;

	if (++p->fields > FIELDS_MAX)
		return fail(p, "too many header lines");
	p->field_bytes += n;
	if (p->field_bytes > FIELD_BYTES_MAX)
		return fail(p, "headers too large");
	if (!colon || colon == s)
		return fail(p, "bad header line");
	name_len = (size_t)(colon - s);
	for (size_t i = 0; i < name_len; i++)
		if (s[i] <= ' ' || s[i] == 0x7f)
			return fail(p, "bad header line");
	if (p->state == HP_TRAILERS)
		return 0;
	v_len = n - name_len - 1;
	v = trim(colon + 1, &v_len);
	if (name_len == 14 && !strncasecmp(s, "Content-Length", 14))
		return content_length(p, v, v_len);
	if (name_len == 17 && !strncasecmp(s, "Transfer-Encoding", 17))
		return transfer_encoding(p, v, v_len);
	return 0;
}

static int body_fits(struct httpc_parser *p, long long n)
{
	if ((unsigned long long)n > p->body->max - p->body->len)
		return fail(p, "reply body too large");
	return 0;
}

static int end_headers(struct httpc_parser *p)
{
	if (p->status < 200) {	/* interim: the real answer follows */
		if (++p->interim > INTERIM_MAX)
			return fail(p, "too many interim (1xx) replies");
		p->state = HP_STATUS;
	} else if (p->head || p->status == 204 || p->status == 304) {
		p->state = HP_DONE;
	} else if (p->chunked) {
		p->state = HP_CHUNK_SIZE;
	} else if (p->length >= 0) {
		p->left = p->length;
		if (body_fits(p, p->length) < 0)
			return -1;
		p->state = p->length ? HP_BODY : HP_DONE;
	} else {
		p->left = -1;
		p->state = HP_BODY;
	}
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex digits, then optional blanks and ";extensions", which are ignored. */
static int parse_chunk_size(struct httpc_parser *p, const char *s, size_t n)
{
	long long size = 0;
	size_t i = 0;
	int d;

	for (; i < n && (d = hex_digit(s[i])) >= 0; i++) {
		if (size > (LLONG_MAX - d) / 16)
			return fail(p, "chunk size too large");
		size = size * 16 + d;
	}
	if (!i)
		return fail(p, "bad chunk size");
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < n && s[i] != ';')
		return fail(p, "bad chunk size");
	if (!size) {
		p->state = HP_TRAILERS;
		return 0;
	}
	p->left = size;
	if (body_fits(p, size) < 0)
		return -1;
	p->state = HP_CHUNK_DATA;
	return 0;
}

static int on_line(struct httpc_parser *p, const char *s, size_t n)
{
	if (memchr(s, '\0', n))
		return fail(p, "NUL byte in the reply's head");
	switch (p->state) {
	case HP_STATUS:
		return parse_status(p, s, n);
	case HP_HEADERS:
		if (!n)
			return end_headers(p);
		return parse_field(p, s, n);
	case HP_CHUNK_SIZE:
		return parse_chunk_size(p, s, n);
	case HP_CHUNK_CRLF:
		if (n)
			return fail(p, "bad chunk end");
		p->state = HP_CHUNK_SIZE;
		return 0;
	case HP_TRAILERS:
		if (!n) {
			p->state = HP_DONE;
			return 0;
		}
		return parse_field(p, s, n);
	default:
		return 0;
	}
}

/* Up to and including a '\n'; a line is handed on without its CR LF. */
static size_t feed_line(struct httpc_parser *p, const char *data, size_t n)
{
	const char *nl = memchr(data, '\n', n);
	size_t take = nl ? (size_t)(nl - data) + 1 : n;
	size_t len;

	if (buf_append(&p->line, data, take) < 0) {
		fail(p, p->state == HP_STATUS ? "status line too long" :
		     p->state == HP_CHUNK_SIZE ? "chunk size line too long" :
		     "header line too long");
		return take;
	}
	if (!nl)
		return take;
	len = p->line.len - 1;
	if (len && p->line.data[len - 1] == '\r')
		len--;
	on_line(p, p->line.data, len);
	buf_reset(&p->line);
	return take;
}

static size_t feed_body(struct httpc_parser *p, const char *data, size_t n)
{
	size_t take = n;

	if (p->left >= 0 && (unsigned long long)p->left < n)
		take = (size_t)p->left;
	if (buf_append(p->body, data, take) < 0) {
		fail(p, "reply body too large");
		return take;
	}
	if (p->left < 0)
		return take;
	p->left -= (long long)take;
	if (!p->left)
		p->state = p->state == HP_CHUNK_DATA ? HP_CHUNK_CRLF : HP_DONE;
	return take;
}

size_t httpc_parser_feed(struct httpc_parser *p, const char *data, size_t n)
{
	size_t used = 0;

	while (used < n && p->state != HP_DONE && p->state != HP_ERROR) {
		if (p->state == HP_BODY || p->state == HP_CHUNK_DATA)
			used += feed_body(p, data + used, n - used);
		else
			used += feed_line(p, data + used, n - used);
	}
	return used;
}

void httpc_parser_eof(struct httpc_parser *p)
{
	if (p->state == HP_DONE || p->state == HP_ERROR)
		return;
	if (p->state == HP_BODY && p->left < 0)
		p->state = HP_DONE;
	else if (p->state == HP_STATUS && !p->status && !p->line.len &&
		 !p->fields)
		fail(p, "empty reply");
	else
		fail(p, "connection closed before the end of the reply");
}
