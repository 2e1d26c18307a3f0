/* pgwire's pure parts: framing, startup, query results (pgwire_priv.h). */
#include "pg/pgwire_priv.h"

#include <openssl/crypto.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

int pgwire_msg_next(const unsigned char *in, size_t n, struct pgwire_msg *m,
		    size_t *used, char **cause)
{
	uint32_t len;

	if (n < 5)
		return 0;
	len = get_u32(in + 1);
	if (len < 4 || len > PGWIRE_MSG_MAX) {
		*cause = xasprintf("protocol error: a message of type 0x%02x "
				   "announces %u bytes", in[0], len);
		return -1;
	}
	if (n - 1 < len)
		return 0;
	m->type = (char)in[0];
	m->body = in + 5;
	m->len = len - 4;
	*used = 1 + (size_t)len;
	return 1;
}

/* A NUL-terminated string at body[*off]; NULL when it runs past len. */
static const char *take_str(const unsigned char *body, size_t len,
			    size_t *off)
{
	const unsigned char *s = body + *off;
	const unsigned char *nul;

	if (*off >= len)
		return NULL;
	nul = memchr(s, '\0', len - *off);
	if (!nul)
		return NULL;
	*off += (size_t)(nul - s) + 1;
	return (const char *)s;
}

char *pgwire_error_text(const unsigned char *body, size_t len)
{
	size_t off = 0;

	while (off < len && body[off]) {
		char field = (char)body[off++];
		const char *v = take_str(body, len, &off);

		if (!v)
			break;
		if (field == 'M')
			return str_one_line(xstrndup(v, 500));
	}
	return xstrdup("the server sent an error without a message");
}

/* A non-negative decimal, clamped (PQserverVersion's sscanf, without the
 * undefined behaviour of an overflowing %d); -1 when there is no digit. */
static long version_part(const char **p)
{
	long v = 0;

	if (**p < '0' || **p > '9')
		return -1;
	while (**p >= '0' && **p <= '9') {
		if (v < 100000000)
			v = v * 10 + (**p - '0');
		(*p)++;
	}
	return v;
}

long pgwire_version_num(const char *s)
{
	long vmaj, vmin = -1, vrev = -1;

	while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
		s++;
	vmaj = version_part(&s);
	if (vmaj < 0)
		return 0;
	if (*s == '.' && (s++, (vmin = version_part(&s)) >= 0) && *s == '.') {
		s++;
		vrev = version_part(&s);
	}
	if (vrev >= 0)			/* 9.6.3 */
		return (100 * vmaj + vmin) * 100 + vrev;
	if (vmin >= 0)			/* 15.4, or 9.6devel */
		return vmaj >= 10 ? 10000 * vmaj + vmin :
				    (100 * vmaj + vmin) * 100;
	return 10000 * vmaj;		/* 16devel */
}

void pgwire_startup_message(struct buf *out, const char *user,
			    const char *dbname, const char *application_name)
{
	const char *kv[] = { "user", user, "database", dbname,
			     "application_name", application_name,
			     "client_encoding", "UTF8" };
	size_t start = out->len;
	unsigned char head[8];

	put_u32(head, 0);
	put_u32(head + 4, 196608);	/* 3.0 */
	buf_append(out, head, 8);
	for (size_t i = 0; i < ARRAY_SIZE(kv); i += 2) {
		if (!kv[i + 1] || !*kv[i + 1])
			continue;
		buf_append(out, kv[i], strlen(kv[i]) + 1);
		buf_append(out, kv[i + 1], strlen(kv[i + 1]) + 1);
	}
	buf_append(out, "", 1);
	put_u32((unsigned char *)out->data + start, (uint32_t)(out->len - start));
}

static uint16_t get_u16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* A frontend message: type, length, then a and b. */
static void put_msg(struct buf *out, char type, const void *a, size_t alen,
		    const void *b, size_t blen)
{
	unsigned char head[5];

	head[0] = (unsigned char)type;
	put_u32(head + 1, (uint32_t)(4 + alen + blen));
	buf_append(out, head, 5);
	buf_append(out, a, alen);
	if (blen)
		buf_append(out, b, blen);
}

static int need_password(const struct pgwire_startup *s, char **cause)
{
	if (s->password && *s->password)
		return 0;
	*cause = xstrdup("the server asks for a password and none is "
			 "configured");
	return -1;
}

/* Cleartext (as libpq, also on a link without TLS) or MD5. */
static int auth_password(struct pgwire_startup *s, uint32_t code,
			 const struct pgwire_msg *m, struct buf *out,
			 char **cause)
{
	char md5[36];

	if (need_password(s, cause) < 0)
		return -1;
	if (code == 3) {
		put_msg(out, 'p', s->password, strlen(s->password) + 1,
			NULL, 0);
		return 0;
	}
	if (m->len < 8) {
		*cause = xstrdup("protocol error: an MD5 password request "
				 "without its salt");
		return -1;
	}
	pgwire_md5_password(s->user, s->password, m->body + 4, md5);
	put_msg(out, 'p', md5, sizeof(md5), NULL, 0);
	OPENSSL_cleanse(md5, sizeof(md5));
	return 0;
}

/* AuthenticationSASL: the mechanisms the server offers, one of them
 * SCRAM-SHA-256 (the -PLUS variant needs channel binding: not ours). */
static int sasl_begin(struct pgwire_startup *s, const struct pgwire_msg *m,
		      struct buf *out, char **cause)
{
	static const char mech[] = "SCRAM-SHA-256";
	size_t off = 4;
	const char *name;
	unsigned char *body;
	char *first;
	int found = 0;

	while ((name = take_str(m->body, m->len, &off)) && *name)
		found |= !strcmp(name, mech);
	if (!found) {
		*cause = xstrdup("the server offers no SASL mechanism that "
				 "odooctl supports (SCRAM-SHA-256)");
		return -1;
	}
	if (s->sasl) {
		*cause = xstrdup("protocol error: a second SASL exchange");
		return -1;
	}
	if (need_password(s, cause) < 0)
		return -1;
	s->sasl = 1;
	/* as libpq: the user name is the StartupMessage's, n= stays empty */
	first = pgwire_scram_first(&s->scram, "", NULL);
	body = xmalloc(sizeof(mech) + 4 + strlen(first));
	memcpy(body, mech, sizeof(mech));
	put_u32(body + sizeof(mech), (uint32_t)strlen(first));
	memcpy(body + sizeof(mech) + 4, first, strlen(first));
	put_msg(out, 'p', body, sizeof(mech) + 4 + strlen(first), NULL, 0);
	free(body);
	free(first);
	return 0;
}

static int sasl_continue(struct pgwire_startup *s, const struct pgwire_msg *m,
			 struct buf *out, char **cause)
{
	char *final;

	if (!s->sasl || s->scram.state != 1) {
		*cause = xstrdup("protocol error: an unexpected SASL message");
		return -1;
	}
	final = pgwire_scram_final(&s->scram, s->password, m->body + 4,
				   m->len - 4, cause);
	if (!final)
		return -1;
	put_msg(out, 'p', final, strlen(final), NULL, 0);
	secret_free(final);
	return 0;
}

static int sasl_final(struct pgwire_startup *s, const struct pgwire_msg *m,
		      char **cause)
{
	if (!s->sasl || s->scram.state != 2) {
		*cause = xstrdup("protocol error: an unexpected SASL final "
				 "message");
		return -1;
	}
	return pgwire_scram_verify(&s->scram, m->body + 4, m->len - 4, cause);
}

static int auth_ok(struct pgwire_startup *s, char **cause)
{
	/* stricter than libpq: a SCRAM exchange must have been finished,
	 * else the server never proved that it knows the password */
	if (s->sasl && s->scram.state != 3) {
		*cause = xstrdup("the server ended SCRAM authentication "
				 "before proving it knows the password");
		return -1;
	}
	s->authenticated = 1;
	return 0;
}

static int startup_auth(struct pgwire_startup *s, const struct pgwire_msg *m,
			struct buf *out, char **cause)
{
	uint32_t code;

	if (m->len < 4 || s->authenticated) {
		*cause = xstrdup("protocol error: an unexpected "
				 "authentication message");
		return -1;
	}
	code = get_u32(m->body);
	switch (code) {
	case 0:
		return auth_ok(s, cause);
	case 3:
	case 5:
		return auth_password(s, code, m, out, cause);
	case 10:
		return sasl_begin(s, m, out, cause);
	case 11:
		return sasl_continue(s, m, out, cause);
	case 12:
		return sasl_final(s, m, cause);
	case 2:
		*cause = xstrdup("the server asks for Kerberos V5 "
				 "authentication, which odooctl does not "
				 "support");
		return -1;
	case 7:
	case 8:
	case 9:
		*cause = xstrdup("the server asks for GSSAPI or SSPI "
				 "authentication, which odooctl does not "
				 "support");
		return -1;
	}
	*cause = xasprintf("the server asks for an unknown authentication "
			   "method (%u)", code);
	return -1;
}

static void parameter_status(struct pgwire_startup *s,
			     const struct pgwire_msg *m)
{
	size_t off = 0;
	const char *name = take_str(m->body, m->len, &off);
	const char *value = take_str(m->body, m->len, &off);

	if (name && value && !strcmp(name, "server_version"))
		s->server_version = pgwire_version_num(value);
}

int pgwire_startup_feed(struct pgwire_startup *s, const struct pgwire_msg *m,
			struct buf *out, char **cause)
{
	switch (m->type) {
	case 'R':
		return startup_auth(s, m, out, cause) < 0 ? -1 : 0;
	case 'E':
		s->server_error = 1;
		*cause = pgwire_error_text(m->body, m->len);
		return -1;
	case 'S':
		parameter_status(s, m);
		return 0;
	case 'K':	/* BackendKeyData: no cancel requests from a probe */
	case 'N':	/* NoticeResponse */
	case 'v':	/* NegotiateProtocolVersion: we asked for plain 3.0 */
		return 0;
	case 'Z':
		if (s->authenticated)
			return 1;
		break;
	}
	*cause = xasprintf("protocol error: an unexpected message (type "
			   "0x%02x) during startup", (unsigned char)m->type);
	return -1;
}

void pgwire_startup_release(struct pgwire_startup *s)
{
	pgwire_scram_release(&s->scram);
}

static void qstate_reset(struct pgwire_qstate *q)
{
	pgwire_result_release(&q->r);
	q->cap = 0;
	q->bytes = 0;
}

static int row_description(struct pgwire_qstate *q,
			   const struct pgwire_msg *m, char **cause)
{
	size_t n, off = 2;

	if (m->len < 2)
		goto bad;
	n = get_u16(m->body);
	for (size_t i = 0; i < n; i++) {
		if (!take_str(m->body, m->len, &off) || m->len - off < 18)
			goto bad;
		off += 18;
	}
	qstate_reset(q);
	q->r.cols = n;
	q->open = 1;
	return 0;
bad:
	*cause = xstrdup("protocol error: a malformed RowDescription");
	return -1;
}

/* One value of a DataRow at body[*off] into v (NULL for SQL NULL). */
static int data_value(struct pgwire_qstate *q, const struct pgwire_msg *m,
		      size_t *off, char **v)
{
	uint32_t len;

	if (m->len - *off < 4)
		return -1;
	len = get_u32(m->body + *off);
	*off += 4;
	*v = NULL;
	if (len == UINT32_MAX)
		return 0;
	if (len > m->len - *off || len + 1 > PGWIRE_RESULT_MAX - q->bytes)
		return -1;
	*v = xmalloc((size_t)len + 1);
	memcpy(*v, m->body + *off, len);
	(*v)[len] = '\0';
	*off += len;
	q->bytes += (size_t)len + 1;
	return 0;
}

static int data_row(struct pgwire_qstate *q, const struct pgwire_msg *m,
		    char **cause)
{
	struct pgwire_result *r = &q->r;
	size_t off = 2, at = r->rows * r->cols;

	if (!q->open || m->len < 2 || get_u16(m->body) != r->cols) {
		*cause = xstrdup("protocol error: a DataRow that matches no "
				 "RowDescription");
		return -1;
	}
	if (r->rows >= PGWIRE_VALUES_MAX || at + r->cols > PGWIRE_VALUES_MAX) {
		*cause = xasprintf("the result has more than %u values",
				   PGWIRE_VALUES_MAX);
		return -1;
	}
	if (at + r->cols > q->cap) {
		q->cap = q->cap ? 2 * q->cap + r->cols : 8 * r->cols + 8;
		r->values = xrealloc(r->values, q->cap * sizeof(char *));
	}
	for (size_t i = 0; i < r->cols; i++) {
		if (data_value(q, m, &off, &r->values[at + i]) < 0) {
			while (i--)
				free(r->values[at + i]);
			*cause = xstrdup("protocol error: a malformed DataRow, "
					 "or one past the result's bound");
			return -1;
		}
	}
	r->rows++;
	return 0;
}

int pgwire_query_feed(struct pgwire_qstate *q, const struct pgwire_msg *m,
		      char **cause)
{
	switch (m->type) {
	case 'T':
		return row_description(q, m, cause);
	case 'D':
		return data_row(q, m, cause);
	case 'C':	/* CommandComplete */
	case 'I':	/* EmptyQueryResponse */
		if (!q->open)	/* a statement without rows is the last */
			qstate_reset(q);
		q->open = 0;
		return 0;
	case 'E':
		if (!q->error)
			q->error = pgwire_error_text(m->body, m->len);
		q->open = 0;
		return 0;
	case 'N':	/* NoticeResponse */
	case 'S':	/* ParameterStatus */
	case 'A':	/* NotificationResponse */
		return 0;
	case 'Z':
		return 1;
	}
	*cause = xasprintf("protocol error: an unexpected message (type "
			   "0x%02x) in a query's answer", (unsigned char)m->type);
	return -1;
}

void pgwire_qstate_release(struct pgwire_qstate *q)
{
	qstate_reset(q);
	free(q->error);
	q->error = NULL;
}

void pgwire_result_release(struct pgwire_result *r)
{
	for (size_t i = 0; r->values && i < r->rows * r->cols; i++)
		free(r->values[i]);
	free(r->values);
	r->values = NULL;
	r->rows = 0;
	r->cols = 0;
}
