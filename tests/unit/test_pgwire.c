/* lib/pgwire*.c: PostgreSQL's protocol v3, its passwords and its framing;
 * a canned server for what a real one cannot be made to do. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "pg/pgwire.h"
#include "pg/pgwire_priv.h"
#include "core/util.h"

/* A backend message appended to b. */
static void msg(struct buf *b, char type, const void *body, size_t len)
{
	unsigned char head[5] = { (unsigned char)type };
	uint32_t n = (uint32_t)len + 4;

	for (int i = 0; i < 4; i++)
		head[1 + i] = (unsigned char)(n >> (24 - 8 * i));
	buf_append(b, head, 5);
	buf_append(b, body, len);
}

#define MSG(b, type, lit) msg((b), (type), (lit), sizeof(lit) - 1)

/* RowDescription of "a", "b" (text), DataRow ('1', NULL), ('xy', ''),
 * CommandComplete, ReadyForQuery. */
static void canned_rows(struct buf *b)
{
	MSG(b, 'T', "\0\2a\0\0\0\0\0\0\0\0\0\0\x19\xff\xff\xff\xff\xff\xff"
		    "\0\0b\0\0\0\0\0\0\0\0\0\0\x19\xff\xff\xff\xff\xff\xff\0\0");
	MSG(b, 'D', "\0\2\0\0\0\0011\xff\xff\xff\xff");
	MSG(b, 'N', "SNOTICE\0Mhello\0\0");
	MSG(b, 'D', "\0\2\0\0\0\2xy\0\0\0\0");
	MSG(b, 'C', "SELECT 2\0");
	MSG(b, 'Z', "I");
}

/* Feeds in[0..n) to a query state, step bytes at a time: 1, 0 or -1. */
static int feed(const unsigned char *in, size_t n, size_t step,
		struct pgwire_qstate *q, char **cause)
{
	size_t have = 0, off = 0;

	for (;;) {
		struct pgwire_msg m;
		size_t used;
		int rc = pgwire_msg_next(in + off, have - off, &m, &used,
					 cause);

		if (rc < 0)
			return -1;
		if (rc == 0) {
			if (have == n)
				return 0;
			have = have + step > n ? n : have + step;
			continue;
		}
		off += used;
		rc = pgwire_query_feed(q, &m, cause);
		if (rc)
			return rc;
	}
}

static void test_query_rows(void **state)
{
	struct buf b;
	size_t steps[] = { 100000, 1, 3 };

	(void)state;
	buf_init(&b, 1 << 20);
	canned_rows(&b);
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
		struct pgwire_qstate q = { 0 };
		char *cause = NULL;

		assert_int_equal(feed((unsigned char *)b.data, b.len, steps[i],
				      &q, &cause), 1);
		assert_null(q.error);
		assert_int_equal(q.r.rows, 2);
		assert_int_equal(q.r.cols, 2);
		assert_string_equal(q.r.values[0], "1");
		assert_null(q.r.values[1]);
		assert_string_equal(q.r.values[2], "xy");
		assert_string_equal(q.r.values[3], "");
		pgwire_qstate_release(&q);
	}
	buf_release(&b);
}

static void test_query_error(void **state)
{
	struct buf b;
	struct pgwire_qstate q = { 0 };
	char *cause = NULL;

	(void)state;
	buf_init(&b, 1 << 20);
	MSG(&b, 'E', "SERROR\0VERROR\0C42P01\0Mrelation \"nope\"\n\tdoes "
		     "not exist\0P15\0\0");
	MSG(&b, 'Z', "I");
	assert_int_equal(feed((unsigned char *)b.data, b.len, 1, &q, &cause),
			 1);
	assert_string_equal(q.error, "relation \"nope\"  does not exist");
	pgwire_qstate_release(&q);
	buf_release(&b);
}

static void test_query_last_statement(void **state)
{
	struct buf b;
	struct pgwire_qstate q = { 0 };
	char *cause = NULL;

	(void)state;
	buf_init(&b, 1 << 20);
	canned_rows(&b);
	b.len -= 6;		/* no ReadyForQuery yet */
	MSG(&b, 'C', "SET\0");
	MSG(&b, 'Z', "I");
	assert_int_equal(feed((unsigned char *)b.data, b.len, 7, &q, &cause),
			 1);
	assert_int_equal(q.r.rows, 0);
	assert_int_equal(q.r.cols, 0);
	pgwire_qstate_release(&q);
	buf_release(&b);
}

static void test_truncated_and_bad(void **state)
{
	struct buf b;
	struct pgwire_qstate q = { 0 };
	char *cause = NULL;
	static const unsigned char huge[] = { 'D', 0x7f, 0xff, 0xff, 0xff };
	static const unsigned char tiny[] = { 'Z', 0, 0, 0, 3, 'I' };

	(void)state;
	buf_init(&b, 1 << 20);
	canned_rows(&b);
	for (size_t n = 0; n < b.len; n++) {	/* every truncation */
		int rc = feed((unsigned char *)b.data, n, 1, &q, &cause);

		assert_int_equal(rc, 0);
		pgwire_qstate_release(&q);
	}
	assert_int_equal(feed(huge, sizeof(huge), 1, &q, &cause), -1);
	assert_non_null(strstr(cause, "announces 2147483647 bytes"));
	free(cause);
	cause = NULL;
	assert_int_equal(feed(tiny, sizeof(tiny), 1, &q, &cause), -1);
	free(cause);
	cause = NULL;
	buf_reset(&b);
	MSG(&b, 'D', "\0\1\0\0\0\0011");	/* no RowDescription */
	assert_int_equal(feed((unsigned char *)b.data, b.len, 1, &q, &cause),
			 -1);
	free(cause);
	cause = NULL;
	buf_reset(&b);
	MSG(&b, 'T', "\0\1a\0\0\0\0\0\0\0\0\0\0\x19\xff\xff\xff\xff\xff\xff"
		     "\0\0");
	MSG(&b, 'D', "\0\1\0\0\0\x09" "1");	/* value past the message */
	assert_int_equal(feed((unsigned char *)b.data, b.len, 1, &q, &cause),
			 -1);
	free(cause);
	pgwire_qstate_release(&q);
	buf_release(&b);
}

static void test_server_version(void **state)
{
	(void)state;
	assert_int_equal(pgwire_version_num("15.4 (Debian 15.4-1.pgdg120+1)"),
			 150004);
	assert_int_equal(pgwire_version_num("9.6.3"), 90603);
	assert_int_equal(pgwire_version_num("17.0"), 170000);
	assert_int_equal(pgwire_version_num("16devel"), 160000);
	assert_int_equal(pgwire_version_num("9.6devel"), 90600);
	assert_int_equal(pgwire_version_num("devel"), 0);
	assert_int_equal(pgwire_version_num(""), 0);
}

/* Expected: python3 -c "import hashlib; i = hashlib.md5(b'secretodoo')
 * .hexdigest(); print('md5' + hashlib.md5(i.encode() + bytes([1, 2, 3,
 * 4])).hexdigest())" */
static void test_md5(void **state)
{
	static const unsigned char salt[4] = { 1, 2, 3, 4 };
	char out[36];

	(void)state;
	pgwire_md5_password("odoo", "secret", salt, out);
	assert_string_equal(out, "md5483cab8f2fce1f7c0e0dfb6850779918");
}

#define RFC_NONCE "rOprNGfwEbeRWgbNEkqO"
#define RFC_SERVER_NONCE RFC_NONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define RFC_SERVER_FIRST "r=" RFC_SERVER_NONCE \
	",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"

static char *scram_final(struct pgwire_scram *s, const char *server_first,
			 char **cause)
{
	char *first = pgwire_scram_first(s, "user", RFC_NONCE);

	assert_string_equal(first, "n,,n=user,r=" RFC_NONCE);
	free(first);
	return pgwire_scram_final(s, "pencil",
				  (const unsigned char *)server_first,
				  strlen(server_first), cause);
}

/* RFC 7677, section 3. */
static void test_scram_rfc7677(void **state)
{
	static const char good[] = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
	static const char bad[] = "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
	struct pgwire_scram s = { 0 };
	char *cause = NULL, *final = scram_final(&s, RFC_SERVER_FIRST, &cause);

	(void)state;
	assert_non_null(final);
	assert_string_equal(final, "c=biws,r=" RFC_SERVER_NONCE ",p=dHzbZapW"
			    "Ik4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
	free(final);
	assert_int_equal(pgwire_scram_verify(&s, (const unsigned char *)bad,
					     strlen(bad), &cause), -1);
	assert_string_equal(cause, "incorrect server signature");
	free(cause);
	assert_int_equal(pgwire_scram_verify(&s, (const unsigned char *)good,
					     strlen(good), &cause), 0);
	pgwire_scram_release(&s);
}

static void test_scram_refusals(void **state)
{
	static const char *const firsts[] = {
		"r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
		"r=" RFC_NONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
		"r=" RFC_SERVER_NONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0",
		"r=" RFC_SERVER_NONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=12x",
		"r=" RFC_SERVER_NONCE ",s=not base64!,i=4096",
		"r=" RFC_SERVER_NONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1,x=y",
		/* a probe must end within its timeout: PBKDF2 cannot be cut */
		"r=" RFC_SERVER_NONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1000001",
		"s=W22ZaJ0SNY7soEsUEjb6gQ==,r=" RFC_SERVER_NONCE ",i=4096",
		"",
	};
	static const char e[] = "e=invalid-proof";

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(firsts); i++) {
		struct pgwire_scram s = { 0 };
		char *cause = NULL;

		assert_null(scram_final(&s, firsts[i], &cause));
		assert_non_null(strstr(cause, "SCRAM"));
		free(cause);
		pgwire_scram_release(&s);
	}
	{
		struct pgwire_scram s = { 0 };
		char *cause = NULL;

		free(scram_final(&s, RFC_SERVER_FIRST, &cause));
		assert_int_equal(pgwire_scram_verify(
				 &s, (const unsigned char *)e, strlen(e),
				 &cause), -1);
		assert_string_equal(cause, "error received from server in "
				    "SCRAM exchange: invalid-proof");
		free(cause);
		pgwire_scram_release(&s);
	}
}

/* The startup exchange, fed message by message: what it answers. */
static int startup_run(const struct buf *in, const char *password,
		       struct buf *out, long *version, char **cause)
{
	struct pgwire_startup st = { .user = "odoo", .password = password };
	size_t off = 0;
	int rc = 0;

	while (rc == 0) {
		struct pgwire_msg m;
		size_t used;

		rc = pgwire_msg_next((unsigned char *)in->data + off,
				     in->len - off, &m, &used, cause);
		if (rc <= 0) {
			rc = rc ? rc : 2;	/* 2: ran out */
			break;
		}
		off += used;
		rc = pgwire_startup_feed(&st, &m, out, cause);
	}
	*version = st.server_version;
	pgwire_startup_release(&st);
	return rc;
}

static void test_startup(void **state)
{
	struct buf in, out;
	char *cause = NULL;
	long v;

	(void)state;
	buf_init(&in, 1 << 20);
	buf_init(&out, 1 << 20);
	MSG(&in, 'R', "\0\0\0\5\1\2\3\4");
	MSG(&in, 'R', "\0\0\0\0");
	MSG(&in, 'S', "server_version\00015.4 (Debian)\0");
	MSG(&in, 'K', "\0\0\0\1\0\0\0\2");
	MSG(&in, 'Z', "I");
	assert_int_equal(startup_run(&in, "secret", &out, &v, &cause), 1);
	assert_int_equal(v, 150004);
	assert_int_equal(out.len, 41);
	assert_memory_equal(out.data, "p\0\0\0\x28md5483cab8f2fce1f7c0e0dfb6"
			    "850779918", 41);

	buf_reset(&in);
	buf_reset(&out);
	MSG(&in, 'R', "\0\0\0\3");
	assert_int_equal(startup_run(&in, NULL, &out, &v, &cause), -1);
	assert_string_equal(cause, "the server asks for a password and none "
			    "is configured");
	free(cause);

	buf_reset(&in);
	MSG(&in, 'R', "\0\0\0\7");
	assert_int_equal(startup_run(&in, "x", &out, &v, &cause), -1);
	assert_non_null(strstr(cause, "GSSAPI"));
	free(cause);

	buf_reset(&in);	/* SASL started, then Ok without the final */
	buf_reset(&out);
	MSG(&in, 'R', "\0\0\0\x0aSCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0");
	MSG(&in, 'R', "\0\0\0\0");
	assert_int_equal(startup_run(&in, "x", &out, &v, &cause), -1);
	assert_non_null(strstr(cause, "before proving"));
	free(cause);
	/* SASLInitialResponse: 'p', its length, the mechanism, the length
	 * of the client-first-message "n,,n=,r=" and 24 bytes of nonce */
	assert_int_equal(out.len, 1 + 4 + 14 + 4 + 32);
	assert_memory_equal(out.data, "p\0\0\0\x36SCRAM-SHA-256\0\0\0\0\x20"
			    "n,,n=,r=", 31);

	buf_reset(&in);
	MSG(&in, 'R', "\0\0\0\x0aSCRAM-SHA-256-PLUS\0\0");
	assert_int_equal(startup_run(&in, "x", &out, &v, &cause), -1);
	assert_non_null(strstr(cause, "no SASL mechanism"));
	free(cause);

	buf_reset(&in);
	MSG(&in, 'Z', "I");
	assert_int_equal(startup_run(&in, "x", &out, &v, &cause), -1);
	free(cause);

	buf_reset(&in);
	MSG(&in, 'E', "SFATAL\0C28P01\0Mpassword authentication failed for "
		      "user \"odoo\"\0\0");
	assert_int_equal(startup_run(&in, "x", &out, &v, &cause), -1);
	assert_string_equal(cause, "password authentication failed for user "
			    "\"odoo\"");
	free(cause);
	buf_release(&in);
	buf_release(&out);
}

/* ---- a canned server on a unix socket -------------------------------- */

struct step {
	struct buf reply;
	int close;		/* close instead of reading on */
};

struct pgserver {
	char dir[64];
	int fd;
	pthread_t thread;
	struct step steps[4];
	size_t n;
	struct buf got;		/* what the client sent */
};

static int read_full(int fd, void *p, size_t n)
{
	for (size_t off = 0; off < n;) {
		ssize_t k = read(fd, (char *)p + off, n - off);

		if (k <= 0)
			return -1;
		off += (size_t)k;
	}
	return 0;
}

/* One frontend message: the first has no type byte. */
static int read_msg(struct pgserver *s, int c, int first)
{
	unsigned char head[5], *body;
	size_t hl = first ? 4 : 5;
	uint32_t len;
	int rc;

	if (read_full(c, head, hl) < 0)
		return -1;
	len = (uint32_t)head[hl - 4] << 24 | (uint32_t)head[hl - 3] << 16 |
	      (uint32_t)head[hl - 2] << 8 | head[hl - 1];
	if (len < 4 || len > 1 << 20)
		return -1;
	body = xmalloc(len);
	rc = read_full(c, body, len - 4);
	buf_append(&s->got, head, hl);
	buf_append(&s->got, body, len - 4);
	free(body);
	return rc;
}

static void *pgserver_run(void *arg)
{
	struct pgserver *s = arg;
	int c = accept(s->fd, NULL, NULL);
	char drain[256];

	if (c < 0)
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		if (read_msg(s, c, i == 0) < 0)
			break;
		if (send(c, s->steps[i].reply.data, s->steps[i].reply.len,
			 MSG_NOSIGNAL) < 0 || s->steps[i].close)
			goto out;
	}
	while (read(c, drain, sizeof(drain)) > 0)	/* until the client */
		;					/* goes */
out:
	close(c);
	return NULL;
}

static struct pgserver *pgserver_new(void)
{
	struct pgserver *s = xcalloc(1, sizeof(*s));

	strcpy(s->dir, "/tmp/odooctl-test-pgwire-XXXXXX");
	if (!mkdtemp(s->dir))
		abort();
	buf_init(&s->got, 1 << 20);
	for (size_t i = 0; i < ARRAY_SIZE(s->steps); i++)
		buf_init(&s->steps[i].reply, 1 << 20);
	return s;
}

static void pgserver_start(struct pgserver *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/.s.PGSQL.5432",
		 s->dir);
	s->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(s->fd, 4) ||
	    pthread_create(&s->thread, NULL, pgserver_run, s))
		abort();
}

static void pgserver_free(struct pgserver *s)
{
	char path[128];

	pthread_join(s->thread, NULL);
	close(s->fd);
	snprintf(path, sizeof(path), "%s/.s.PGSQL.5432", s->dir);
	unlink(path);
	rmdir(s->dir);
	for (size_t i = 0; i < ARRAY_SIZE(s->steps); i++)
		buf_release(&s->steps[i].reply);
	buf_release(&s->got);
	free(s);
}

static struct pgwire *pg_open(struct pgserver *s, long timeout_ms,
			      char **cause)
{
	struct pgwire_params p = { .host = s->dir, .port = 5432,
				   .user = "odoo", .password = "secret",
				   .dbname = "central",
				   .application_name = "test",
				   .timeout_ms = timeout_ms };

	return pgwire_connect(&p, cause);
}

static void trust_reply(struct buf *b)
{
	MSG(b, 'R', "\0\0\0\0");
	MSG(b, 'S', "server_version\0009.6.3\0");
	MSG(b, 'Z', "I");
}

static void test_canned_query(void **state)
{
	struct pgserver *s = pgserver_new();
	struct pgwire_result r;
	struct pgwire *c;
	char *cause = NULL;

	(void)state;
	MSG(&s->steps[0].reply, 'R', "\0\0\0\3");	/* cleartext */
	trust_reply(&s->steps[1].reply);
	canned_rows(&s->steps[2].reply);
	s->n = 3;
	pgserver_start(s);
	c = pg_open(s, 5000, &cause);
	assert_non_null(c);
	assert_int_equal(pgwire_server_version(c), 90603);
	assert_int_equal(pgwire_query(c, "SELECT 1", 5000, &r, &cause), 0);
	assert_int_equal(r.rows, 2);
	assert_string_equal(r.values[2], "xy");
	pgwire_result_release(&r);
	pgwire_close(c);
	pgserver_free(s);
}

static void test_canned_absurd_length(void **state)
{
	static const unsigned char huge[] = { 'R', 0x40, 0, 0, 0, 0, 0, 0, 0 };
	struct pgserver *s = pgserver_new();
	char *cause = NULL;

	(void)state;
	buf_append(&s->steps[0].reply, huge, sizeof(huge));
	s->n = 1;
	pgserver_start(s);
	assert_null(pg_open(s, 5000, &cause));
	assert_non_null(strstr(cause, "cannot connect to PostgreSQL database "
			       "'central' at /tmp/odooctl-test-pgwire-"));
	assert_non_null(strstr(cause, "announces 1073741824 bytes"));
	free(cause);
	pgserver_free(s);
}

static void test_canned_silent(void **state)
{
	struct pgserver *s = pgserver_new();
	char *cause = NULL;
	long long t0 = clock_ms();

	(void)state;
	s->n = 0;		/* reads nothing, answers nothing */
	pgserver_start(s);
	assert_null(pg_open(s, 300, &cause));
	assert_true(clock_ms() - t0 < 1500);
	assert_non_null(strstr(cause, "timeout expired"));
	free(cause);
	pgserver_free(s);
}

static void test_canned_query_timeout(void **state)
{
	struct pgserver *s = pgserver_new();
	struct pgwire_result r;
	struct pgwire *c;
	char *cause = NULL;
	long long t0;

	(void)state;
	trust_reply(&s->steps[0].reply);
	s->n = 1;
	pgserver_start(s);
	c = pg_open(s, 5000, &cause);
	assert_non_null(c);
	t0 = clock_ms();
	assert_int_equal(pgwire_query(c, "SELECT pg_sleep(60)", 300, &r,
				      &cause), -1);
	assert_true(clock_ms() - t0 < 1500);
	assert_non_null(strstr(cause, "timeout expired"));
	free(cause);
	assert_int_equal(pgwire_query(c, "SELECT 1", 300, &r, &cause), -1);
	assert_non_null(strstr(cause, "broken"));
	free(cause);
	pgwire_close(c);
	pgserver_free(s);
}

static void test_canned_closed(void **state)
{
	struct pgserver *s = pgserver_new();
	char *cause = NULL;

	(void)state;
	MSG(&s->steps[0].reply, 'R', "\0\0\0\5\1\2\3\4");
	s->steps[0].close = 1;
	s->n = 1;
	pgserver_start(s);
	assert_null(pg_open(s, 5000, &cause));
	assert_non_null(strstr(cause, "the server closed the connection"));
	assert_null(strstr(cause, "secret"));
	free(cause);
	pgserver_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_rows),
		cmocka_unit_test(test_query_error),
		cmocka_unit_test(test_query_last_statement),
		cmocka_unit_test(test_truncated_and_bad),
		cmocka_unit_test(test_server_version),
		cmocka_unit_test(test_md5),
		cmocka_unit_test(test_scram_rfc7677),
		cmocka_unit_test(test_scram_refusals),
		cmocka_unit_test(test_startup),
		cmocka_unit_test(test_canned_query),
		cmocka_unit_test(test_canned_absurd_length),
		cmocka_unit_test(test_canned_silent),
		cmocka_unit_test(test_canned_query_timeout),
		cmocka_unit_test(test_canned_closed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
