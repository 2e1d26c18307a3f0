#include "core/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void oom(size_t n)
{
	fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		oom(strlen(fmt));
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	if (n > b->max || b->len > b->max - n)
		return -1;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int rc;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	rc = buf_append(b, s, strlen(s));
	free(s);
	return rc;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void buf_release(struct buf *b)
{
	free(b->data);
	buf_init(b, b->max);
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *d = b->data ? b->data : xstrdup("");

	if (len)
		*len = b->len;
	buf_init(b, b->max);
	return d;
}

int fsync_dir_of(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	int rc = -1;

	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int file_write_atomic(const char *path, const char *data, size_t len,
		      int mode, char **cause)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	int rc = -1;

	/* A leftover temporary file keeps its mode through O_TRUNC. */
	if (fd >= 0 && fchmod(fd, (mode_t)mode) < 0) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		*cause = xasprintf("cannot create '%s': %s", tmp,
				   strerror(errno));
		goto out;
	}
	if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		*cause = xasprintf("cannot write '%s': %s", tmp,
				   strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		*cause = xasprintf("cannot rename '%s' to '%s': %s", tmp, path,
				   strerror(errno));
		unlink(tmp);
		goto out;
	}
	fsync_dir_of(path);
	rc = 0;
out:
	free(tmp);
	return rc;
}

int file_append_sync(const char *path, const char *line, char **cause)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	int rc = 0;

	if (fd < 0) {
		*cause = xasprintf("cannot open '%s': %s", path,
				   strerror(errno));
		return -1;
	}
	if (write_all(fd, line, strlen(line)) < 0 || fsync(fd) < 0) {
		*cause = xasprintf("cannot append to '%s': %s", path,
				   strerror(errno));
		rc = -1;
	}
	close(fd);
	return rc;
}

char *file_read(const char *path, size_t max, size_t *len, char **cause)
{
	struct buf b;
	char chunk[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		*cause = xasprintf("cannot open '%s': %s", path,
				   strerror(errno));
		return NULL;
	}
	buf_init(&b, max);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*cause = xasprintf("cannot read '%s': %s", path,
					   strerror(errno));
			goto fail;
		}
		if (buf_append(&b, chunk, (size_t)n) < 0) {
			*cause = xasprintf("'%s' is larger than %zu bytes",
					   path, max);
			goto fail;
		}
	}
	close(fd);
	return buf_detach(&b, len);
fail:
	close(fd);
	buf_release(&b);
	return NULL;
}

int mkdir_p(const char *path, int mode, char **cause)
{
	char *p = xstrdup(path);
	char *s;
	int rc = 0;

	for (s = p + 1; rc == 0; s++) {
		int end = (*s == '\0');

		if (*s != '/' && !end)
			continue;
		*s = '\0';
		if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) {
			*cause = xasprintf("cannot create directory '%s': %s",
					   p, strerror(errno));
			rc = -1;
		}
		if (end)
			break;
		*s = '/';
	}
	free(p);
	return rc;
}

void fmt_bytes(long long n, char out[32])
{
	static const char *const units[] = { "kB", "MB", "GB", "TB" };
	double v = (double)n;
	size_t i = 0;

	if (n < 1000) {
		snprintf(out, 32, "%lld B", n);
		return;
	}
	for (v /= 1000; v >= 1000 && i + 1 < ARRAY_SIZE(units); i++)
		v /= 1000;
	snprintf(out, 32, "%.1f %s", v, units[i]);
}

char *strtrim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

char *str_one_line(char *s)
{
	char *t;

	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	t = strtrim(s);
	memmove(s, t, strlen(t) + 1);
	return s;
}

int str_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int str_index(const char *const names[], size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && !strcmp(s, names[i]))
			return (int)i;
	return -1;
}

int host_is_local(const char *h)
{
	return !h || !*h || h[0] == '/' || !strcasecmp(h, "localhost") ||
	       !strncmp(h, "127.", 4) || !strcmp(h, "::1") ||
	       !strcmp(h, "[::1]");
}

char *url_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b;

	buf_init(&b, SIZE_MAX);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
			buf_append(&b, p, 1);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };

			buf_append(&b, e, 3);
		}
	}
	return buf_detach(&b, NULL);
}

uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

void secret_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void time_iso8601(long t, char out[21])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

long time_parse_iso8601(const char *s)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);

	if (!end || *end != '\0')
		return -1;
	return (long)timegm(&tm);
}

long long clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	return nanosleep(&ts, NULL) == 0 ? 0 : -1;
}

