#include "core/audit.h"
#include "core/log.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static const char zero_hash[AUDIT_HASH_LEN + 1] =
	"0000000000000000000000000000000000000000000000000000000000000000";

struct lines {
	const char **p;
	size_t *len;
	size_t n;
};

void audit_hash(const char *prev, const char *line, size_t len,
		char out[AUDIT_HASH_LEN + 1])
{
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (!md)
		abort();
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, prev, strlen(prev));
	EVP_DigestUpdate(md, line, len);
	EVP_DigestFinal_ex(md, sum, &n);
	EVP_MD_CTX_free(md);
	for (unsigned int i = 0; i < n && i < AUDIT_HASH_LEN / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", sum[i]);
	out[AUDIT_HASH_LEN] = '\0';
}

/* Splits data at '\n'; a last piece without one is a line too. */
static void lines_split(const char *data, size_t size, struct lines *l)
{
	const char *p = data, *end = data + size;

	memset(l, 0, sizeof(*l));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		l->p = xrealloc(l->p, (l->n + 1) * sizeof(*l->p));
		l->len = xrealloc(l->len, (l->n + 1) * sizeof(*l->len));
		l->p[l->n] = p;
		l->len[l->n++] = len;
		p += len + (nl ? 1 : 0);
	}
}

static void lines_release(struct lines *l)
{
	free(l->p);
	free(l->len);
}

/* Reads a whole file; "" when absent. */
static char *read_or_empty(const char *path, size_t *size, char **cause)
{
	char *data = file_read(path, HISTORY_MAX_BYTES, size, cause);

	if (!data && errno == ENOENT) {
		free(*cause);
		*cause = NULL;
		*size = 0;
		return xstrdup("");
	}
	return data;
}

static int fd_read_all(int fd, const char *path, struct buf *b, char **cause)
{
	char chunk[8192];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (buf_append(b, chunk, (size_t)n) < 0) {
			*cause = xasprintf("'%s' is larger than %ld bytes",
					   path, HISTORY_MAX_BYTES);
			return -1;
		}
	}
	if (n < 0) {
		*cause = xasprintf("cannot read '%s': %s", path,
				   strerror(errno));
		return -1;
	}
	return 0;
}

static int write_full(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fd_append(int fd, const char *path, const char *s, char **cause)
{
	if (lseek(fd, 0, SEEK_END) < 0 || write_full(fd, s, strlen(s)) < 0 ||
	    fsync(fd) < 0) {
		*cause = xasprintf("cannot append to '%s': %s", path,
				   strerror(errno));
		return -1;
	}
	return 0;
}

/* The chain of every line of log, written to fd (empty before). */
static int seal(int fd, const char *chain_path, const struct lines *log,
		char last[AUDIT_HASH_LEN + 1], char **cause)
{
	struct buf out;
	const char *prev = zero_hash;
	char h[AUDIT_HASH_LEN + 1];
	int rc = 0;

	buf_init(&out, HISTORY_MAX_BYTES * 2);
	strcpy(last, zero_hash);
	for (size_t i = 0; i < log->n; i++) {
		audit_hash(prev, log->p[i], log->len[i], h);
		buf_printf(&out, "%s\n", h);
		strcpy(last, h);
		prev = last;
	}
	if (out.len)
		rc = fd_append(fd, chain_path, out.data, cause);
	buf_release(&out);
	return rc;
}

/* Opens and locks the chain; -1 with *cause. */
static int chain_open(const char *path, char **cause)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		*cause = xasprintf("cannot lock '%s': %s", path,
				   strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The last entry of chain (as written, even when malformed). */
static void chain_last(const struct lines *chain, char last[AUDIT_HASH_LEN + 1])
{
	size_t n = chain->len[chain->n - 1];

	if (n > AUDIT_HASH_LEN)
		n = AUDIT_HASH_LEN;
	memcpy(last, chain->p[chain->n - 1], n);
	last[n] = '\0';
}

/* The two files of one append or verify. */
struct trail {
	char *log_path, *chain_path;
	int fd;			/* the chain, locked; -1 until trail_lock() */
	struct buf cb;		/* the chain's bytes */
	struct lines chain, log;
	char *data;		/* history.log's bytes */
};

static void trail_init(struct trail *t, const char *state_dir)
{
	memset(t, 0, sizeof(*t));
	t->log_path = xasprintf("%s/history.log", state_dir);
	t->chain_path = xasprintf("%s/history.log.chain", state_dir);
	t->fd = -1;
	buf_init(&t->cb, HISTORY_MAX_BYTES);
}

static void trail_release(struct trail *t)
{
	if (t->fd >= 0)
		close(t->fd);
	lines_release(&t->chain);
	lines_release(&t->log);
	buf_release(&t->cb);
	free(t->data);
	free(t->chain_path);
	free(t->log_path);
}

static int trail_read_log(struct trail *t, char **cause)
{
	size_t size;

	t->data = read_or_empty(t->log_path, &size, cause);
	if (!t->data)
		return -1;
	lines_split(t->data, size, &t->log);
	return 0;
}

/* Opens, locks and reads the chain. */
static int trail_lock(struct trail *t, char **cause)
{
	t->fd = chain_open(t->chain_path, cause);
	if (t->fd < 0 || fd_read_all(t->fd, t->chain_path, &t->cb, cause) < 0)
		return -1;
	lines_split(t->cb.data ? t->cb.data : "", t->cb.len, &t->chain);
	return 0;
}

int audit_append(const char *state_dir, const char *line, char **cause)
{
	char prev[AUDIT_HASH_LEN + 1], entry[AUDIT_HASH_LEN + 2], *red = NULL;
	struct trail t;
	int rc = -1;

	trail_init(&t, state_dir);
	if (trail_lock(&t, cause) < 0)
		goto out;
	if (t.chain.n)
		chain_last(&t.chain, prev);
	else if (trail_read_log(&t, cause) < 0 ||
		 seal(t.fd, t.chain_path, &t.log, prev, cause) < 0)
		goto out;
	/* The chain covers the line as written: redacted (log.h). */
	red = log_redact(line);
	if (red)
		line = red;
	if (log_append_redacted(t.log_path, line, cause) < 0)
		goto out;
	audit_hash(prev, line, strcspn(line, "\n"), entry);
	strcat(entry, "\n");
	rc = fd_append(t.fd, t.chain_path, entry, cause);
out:
	secret_free(red);
	trail_release(&t);
	return rc;
}

/* Compares log and chain; sets r->bad_line and r->reason. */
static void compare(const struct lines *log, const struct lines *chain,
		    struct audit_result *r)
{
	const char *prev = zero_hash;
	char h[AUDIT_HASH_LEN + 1];
	size_t i;

	for (i = 0; i < log->n && i < chain->n; i++) {
		audit_hash(prev, log->p[i], log->len[i], h);
		if (chain->len[i] != AUDIT_HASH_LEN ||
		    memcmp(h, chain->p[i], AUDIT_HASH_LEN)) {
			r->bad_line = i + 1;
			r->reason = xasprintf(
				"line %zu does not match its chain entry: it "
				"was edited, or lines were deleted, inserted "
				"or reordered here", i + 1);
			return;
		}
		memcpy(r->head, chain->p[i], AUDIT_HASH_LEN);
		r->head[AUDIT_HASH_LEN] = '\0';
		prev = r->head;
	}
	if (log->n > chain->n) {
		r->bad_line = i + 1;
		r->reason = xasprintf("line %zu and after are not in the "
				      "chain (%zu entries): added by hand, or "
				      "a crash between the two writes",
				      i + 1, chain->n);
	} else if (chain->n > log->n) {
		r->bad_line = i + 1;
		r->reason = xasprintf("line %zu is missing: the chain has %zu "
				      "entries, history.log %zu lines (lines "
				      "deleted at the end)", i + 1, chain->n,
				      log->n);
	}
}

int audit_verify(const char *state_dir, struct audit_result *r,
		 char **cause)
{
	struct trail t;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	trail_init(&t, state_dir);
	if (trail_read_log(&t, cause) < 0)
		goto out;
	r->lines = t.log.n;
	if (!t.log.n && access(t.chain_path, F_OK) < 0) {
		rc = 0;		/* no history at all */
		goto out;
	}
	if (trail_lock(&t, cause) < 0)
		goto out;
	if (!t.cb.len && t.log.n) {
		if (seal(t.fd, t.chain_path, &t.log, r->head, cause) < 0)
			goto out;
		r->sealed = t.log.n;
	} else {
		compare(&t.log, &t.chain, r);
	}
	rc = 0;
out:
	trail_release(&t);
	return rc;
}

void audit_result_release(struct audit_result *r)
{
	free(r->reason);
	r->reason = NULL;
}
