/*
 * pgwire's passwords: MD5 and SCRAM-SHA-256 (RFC 5802, RFC 7677) without
 * channel binding, through libcrypto. The password is used as given: for
 * ASCII, what SASLprep (which libpq applies) leaves unchanged.
 */
#include "pg/pgwire_priv.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#define SCRAM_ITERATIONS_MAX 1000000L

static void hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static void md5_hex(const void *a, size_t alen, const void *b, size_t blen,
		    char out[33])
{
	unsigned char d[16];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_md5(), NULL) ||
	    !EVP_DigestUpdate(ctx, a, alen) ||
	    !EVP_DigestUpdate(ctx, b, blen) ||
	    !EVP_DigestFinal_ex(ctx, d, NULL))
		abort();	/* no MD5 in this libcrypto (FIPS) */
	EVP_MD_CTX_free(ctx);
	hex(d, sizeof(d), out);
	OPENSSL_cleanse(d, sizeof(d));
}

void pgwire_md5_password(const char *user, const char *password,
			 const unsigned char salt[4], char out[36])
{
	char inner[33];

	md5_hex(password, strlen(password), user, strlen(user), inner);
	memcpy(out, "md5", 3);
	md5_hex(inner, 32, salt, 4, out + 3);
	OPENSSL_cleanse(inner, sizeof(inner));
}

static char *b64_encode(const unsigned char *p, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

/* Strict base64 of at most max bytes into out; the length, or -1. */
static int b64_decode(const char *s, size_t len, unsigned char *out,
		      size_t max)
{
	unsigned char *tmp;
	int n, pad = 0;

	if (len == 0 || len % 4 || len > 4096)
		return -1;
	pad = (s[len - 1] == '=') + (s[len - 2] == '=');
	tmp = xmalloc(len / 4 * 3 + 1);
	n = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)len);
	if (n >= pad && (size_t)(n - pad) <= max) {
		n -= pad;
		memcpy(out, tmp, (size_t)n);
	} else {
		n = -1;
	}
	free(tmp);
	return n;
}

char *pgwire_scram_first(struct pgwire_scram *s, const char *user,
			 const char *nonce)
{
	unsigned char raw[18];

	if (nonce) {
		s->nonce = xstrdup(nonce);
	} else {
		if (RAND_bytes(raw, sizeof(raw)) != 1)
			abort();	/* no entropy: nothing safe to do */
		s->nonce = b64_encode(raw, sizeof(raw));
	}
	s->client_first_bare = xasprintf("n=%s,r=%s", user, s->nonce);
	s->state = 1;
	return xasprintf("n,,%s", s->client_first_bare);
}

/* The value of attribute a at *p ("a=value,"), NUL-terminated in place. */
static char *attr(char **p, char a)
{
	char *v, *end;

	if ((*p)[0] != a || (*p)[1] != '=')
		return NULL;
	v = *p + 2;
	end = strchr(v, ',');
	if (end) {
		*end = '\0';
		*p = end + 1;
	} else {
		*p = v + strlen(v);
	}
	return v;
}

static void hmac(const unsigned char *key, size_t klen, const void *d,
		 size_t dlen, unsigned char out[32])
{
	unsigned int n = 32;

	if (!HMAC(EVP_sha256(), key, (int)klen, d, dlen, out, &n))
		abort();
}

/* ClientProof into proof, ServerSignature into s. */
static int scram_keys(struct pgwire_scram *s, const char *password,
		      const unsigned char *salt, int salt_len, long iter,
		      const char *auth_msg, unsigned char proof[32])
{
	unsigned char salted[32], client_key[32], stored[32], sig[32];
	unsigned char server_key[32];
	size_t alen = strlen(auth_msg);

	if (!PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt,
			       salt_len, (int)iter, EVP_sha256(), 32, salted))
		return -1;
	hmac(salted, 32, "Client Key", 10, client_key);
	SHA256(client_key, 32, stored);
	hmac(stored, 32, auth_msg, alen, sig);
	for (int i = 0; i < 32; i++)
		proof[i] = client_key[i] ^ sig[i];
	hmac(salted, 32, "Server Key", 10, server_key);
	hmac(server_key, 32, auth_msg, alen, s->server_signature);
	OPENSSL_cleanse(salted, sizeof(salted));
	OPENSSL_cleanse(client_key, sizeof(client_key));
	OPENSSL_cleanse(stored, sizeof(stored));
	OPENSSL_cleanse(server_key, sizeof(server_key));
	return 0;
}

/* Checks server-first (copied in msg); r, s, i out. */
static const char *server_first_parse(struct pgwire_scram *s, char *msg,
				      char **r, char **salt, long *iter)
{
	char *p = msg, *i, *end;

	if (!(*r = attr(&p, 'r')) || !(*salt = attr(&p, 's')) ||
	    !(i = attr(&p, 'i')))
		return "malformed SCRAM message";
	if (*p)
		return "malformed SCRAM message (garbage at end of "
		       "server-first-message)";
	if (strlen(*r) <= strlen(s->nonce) ||
	    strncmp(*r, s->nonce, strlen(s->nonce)))
		return "invalid SCRAM response (nonce mismatch)";
	*iter = strtol(i, &end, 10);
	if (*end || *iter < 1 || *iter > 0x7fffffff)	/* as libpq */
		return "malformed SCRAM message (invalid iteration count)";
	/* libpq takes any count; a probe must end within its timeout, and
	 * PBKDF2 cannot be interrupted: 10^6 rounds take about a second
	 * (PostgreSQL's default is 4096) */
	if (*iter > SCRAM_ITERATIONS_MAX)
		return "SCRAM iteration count above 1000000: refused";
	return NULL;
}

char *pgwire_scram_final(struct pgwire_scram *s, const char *password,
			 const unsigned char *server_first, size_t len,
			 char **cause)
{
	unsigned char salt[256], proof[32];
	char *msg, *copy, *r, *b64salt, *without, *auth, *p64, *out = NULL;
	const char *why;
	long iter;
	int salt_len;

	if (s->state != 1 || len > 4096 || memchr(server_first, 0, len)) {
		*cause = xstrdup("malformed SCRAM message");
		return NULL;
	}
	msg = xstrndup((const char *)server_first, len);
	copy = xstrdup(msg);
	why = server_first_parse(s, copy, &r, &b64salt, &iter);
	salt_len = why ? -1 : b64_decode(b64salt, strlen(b64salt), salt,
					 sizeof(salt));
	if (!why && salt_len < 0)
		why = "malformed SCRAM message (invalid salt)";
	if (why) {
		*cause = xstrdup(why);
		goto out;
	}
	without = xasprintf("c=biws,r=%s", r);	/* biws: "n,," */
	auth = xasprintf("%s,%s,%s", s->client_first_bare, msg, without);
	if (scram_keys(s, password, salt, salt_len, iter, auth, proof) < 0) {
		*cause = xstrdup("cannot compute the SCRAM proof");
	} else {
		p64 = b64_encode(proof, sizeof(proof));
		out = xasprintf("%s,p=%s", without, p64);
		free(p64);
		s->state = 2;
	}
	OPENSSL_cleanse(proof, sizeof(proof));
	free(without);
	free(auth);
out:
	free(msg);
	free(copy);
	return out;
}

int pgwire_scram_verify(struct pgwire_scram *s, const unsigned char *msg,
			size_t len, char **cause)
{
	unsigned char sig[32];
	char *copy, *p, *v;
	int rc = -1;

	if (s->state != 2 || len > 4096 || memchr(msg, 0, len)) {
		*cause = xstrdup("malformed SCRAM message");
		return -1;
	}
	copy = xstrndup((const char *)msg, len);
	p = copy;
	if ((v = attr(&p, 'e')))
		*cause = str_one_line(xasprintf("error received from server "
						"in SCRAM exchange: %.200s",
						v));
	else if (!(v = attr(&p, 'v')) || *p ||
		 b64_decode(v, strlen(v), sig, sizeof(sig)) != 32)
		*cause = xstrdup("malformed SCRAM message (invalid server "
				 "signature)");
	else if (CRYPTO_memcmp(sig, s->server_signature, 32))
		*cause = xstrdup("incorrect server signature");
	else
		rc = 0;
	if (rc == 0)
		s->state = 3;
	free(copy);
	return rc;
}

void pgwire_scram_release(struct pgwire_scram *s)
{
	free(s->client_first_bare);
	free(s->nonce);
	OPENSSL_cleanse(s->server_signature, sizeof(s->server_signature));
	memset(s, 0, sizeof(*s));
}
