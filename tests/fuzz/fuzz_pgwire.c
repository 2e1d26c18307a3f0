/*
 * libFuzzer target for pgwire's parsers (pgwire_msg.c, pgwire_auth.c):
 * what a PostgreSQL server, or whoever answers in its place, sends. The
 * first byte chooses:
 *   even: the rest is a stream of backend messages, fed to the startup
 *         exchange until ReadyForQuery, then to a query's results;
 *   odd:  the rest is a SCRAM server-first-message, a newline, a
 *         server-final-message, after the client-first of RFC 7677.
 * Never a crash, a leak or undefined behaviour; results stay within
 * their bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pgwire_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feeds in to the startup exchange, then to a query. */
static void stream(const uint8_t *in, size_t n)
{
	struct pgwire_startup st = { .user = "odoo", .password = "pw" };
	struct pgwire_qstate q = { 0 };
	struct buf out;
	size_t off = 0;
	int phase = 0, rc = 0;
	char *cause = NULL;

	buf_init(&out, 1 << 20);
	while (rc >= 0) {
		struct pgwire_msg m;
		size_t used;

		rc = pgwire_msg_next(in + off, n - off, &m, &used, &cause);
		if (rc <= 0)
			break;
		if (used > n - off || m.len + 5 != used)
			abort();
		off += used;
		rc = phase ? pgwire_query_feed(&q, &m, &cause) :
			     pgwire_startup_feed(&st, &m, &out, &cause);
		if (rc == 1 && ++phase == 2)
			break;
	}
	if (q.r.rows * q.r.cols > PGWIRE_VALUES_MAX ||
	    q.bytes > PGWIRE_RESULT_MAX)
		abort();
	free(cause);
	pgwire_qstate_release(&q);
	pgwire_startup_release(&st);
	buf_release(&out);
}

/* The iteration count is the server's cost knob (libpq accepts any):
 * past RFC 7677's 4096 it would only slow the fuzzer down. */
static int cheap(const char *first)
{
	const char *i = strstr(first, ",i=");

	return !i || strtol(i + 3, NULL, 10) <= 4096;
}

static void scram(const uint8_t *in, size_t n)
{
	struct pgwire_scram s = { 0 };
	const uint8_t *nl = memchr(in, '\n', n);
	size_t flen = nl ? (size_t)(nl - in) : n;
	char *final, *cause = NULL;
	char *copy = xstrndup((const char *)in, flen);

	free(pgwire_scram_first(&s, "user", "rOprNGfwEbeRWgbNEkqO"));
	if (cheap(copy)) {
		final = pgwire_scram_final(&s, "pencil", in, flen, &cause);
		if (final && nl)
			pgwire_scram_verify(&s, nl + 1, n - flen - 1, &cause);
		free(final);
	}
	free(cause);
	pgwire_version_num(copy);
	free(copy);
	pgwire_scram_release(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *e;

	if (!size)
		return 0;
	if (data[0] & 1)
		scram(data + 1, size - 1);
	else
		stream(data + 1, size - 1);
	e = pgwire_error_text(data, size);
	free(e);
	return 0;
}
