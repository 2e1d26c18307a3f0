/* Allocation that aborts on out-of-memory, bounded buffers, file helpers. */
#ifndef ODOOCTL_UTIL_H
#define ODOOCTL_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));

/*
 * A growable buffer with a mandatory maximum size: every body read from
 * outside goes through one, so a peer cannot make us allocate without bound.
 * data is always NUL-terminated.
 */
struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

void buf_init(struct buf *b, size_t max);
/* Returns -1 (appending nothing) when the result would exceed max. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
void buf_release(struct buf *b);
/* Hands the data to the caller, who frees it; b is left empty. */
char *buf_detach(struct buf *b, size_t *len);

/*
 * Writes path so that a crash leaves either the old or the new content:
 * a temporary file in the same directory, fsync, rename, fsync of the
 * directory. Returns 0, or -1 with *cause set.
 */
int file_write_atomic(const char *path, const char *data, size_t len,
		      int mode, char **cause);
/* Appends a line and fsyncs. The line must end with '\n'. */
int file_append_sync(const char *path, const char *line, char **cause);
/* Reads a whole file of at most max bytes; NULL with *cause on error. */
char *file_read(const char *path, size_t max, size_t *len, char **cause);
int mkdir_p(const char *path, int mode, char **cause);
int fsync_dir_of(const char *path);

/* "512 B", "12.3 kB", "45.6 MB", "1.2 GB" into out. */
void fmt_bytes(long long n, char out[32]);
/* Strips leading and trailing whitespace in place. */
char *strtrim(char *s);
/*
 * A message from outside on one line: newlines and tabs become spaces,
 * trimmed in place; returns s (still freeable).
 */
char *str_one_line(char *s);
int str_starts_with(const char *s, const char *prefix);
/* The index of s in names[0..n), or -1: an enum's value from its name. */
int str_index(const char *const names[], size_t n, const char *s);
/*
 * A host on this machine: none (NULL or ""), a unix socket directory (a
 * path, as libpq reads a host), localhost, 127.x.y.z or ::1 (with or
 * without brackets, as in a URL).
 */
int host_is_local(const char *h);
/* s percent-encoded for a URL's path segment or query value: every byte
 * but ALPHA, DIGIT and "-._~" (as curl_easy_escape). Caller frees. */
char *url_escape(const char *s);
/* FNV-1a of s, for hash tables. */
uint64_t str_hash(const char *s);
/* Overwrites a secret before it is freed. */
void secret_free(char *s);

/* UTC timestamp in the history.log format: 2026-11-26T21:22:14Z. */
void time_iso8601(long t, char out[21]);
/* Parses that format back; -1 when malformed. */
long time_parse_iso8601(const char *s);
/* Monotonic clock in milliseconds, for timeouts and durations. */
long long clock_ms(void);
/* Sleeps ms milliseconds; returns early (and -1) when interrupted. */
int sleep_ms(long ms);

#endif
