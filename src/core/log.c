#include "core/log.h"
#include "core/util.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REDACTED "[redacted]"

static enum log_level level = LOG_NORMAL;
static int journal;
static int progress_open;
static long long progress_last;
static char **redact_values;
static size_t redact_n;
static pthread_mutex_t redact_lock = PTHREAD_MUTEX_INITIALIZER;

void log_set_level(enum log_level l)
{
	level = l;
}

enum log_level log_get_level(void)
{
	return level;
}

void log_set_journal(int on)
{
	journal = on;
}

void log_redact_add(const char *value)
{
	if (!value || strlen(value) < LOG_REDACT_MIN)
		return;
	pthread_mutex_lock(&redact_lock);
	for (size_t i = 0; i < redact_n; i++)
		if (!strcmp(redact_values[i], value))
			goto out;
	redact_values = xrealloc(redact_values,
				 (redact_n + 1) * sizeof(*redact_values));
	redact_values[redact_n++] = xstrdup(value);
out:
	pthread_mutex_unlock(&redact_lock);
}

void log_redact_clear(void)
{
	pthread_mutex_lock(&redact_lock);
	for (size_t i = 0; i < redact_n; i++)
		secret_free(redact_values[i]);
	free(redact_values);
	redact_values = NULL;
	redact_n = 0;
	pthread_mutex_unlock(&redact_lock);
}

/* The longest added value that starts at s, or NULL. */
static const char *redact_match(const char *s, size_t *len)
{
	const char *best = NULL;

	*len = 0;
	for (size_t i = 0; i < redact_n; i++) {
		size_t n = strlen(redact_values[i]);

		if (n > *len && !strncmp(s, redact_values[i], n)) {
			best = redact_values[i];
			*len = n;
		}
	}
	return best;
}

char *log_redact(const char *s)
{
	struct buf b;
	const char *p;
	size_t n;
	int hit = 0;

	pthread_mutex_lock(&redact_lock);
	buf_init(&b, (size_t)-1 / 2);
	for (p = s; redact_n && *p;) {
		if (redact_match(p, &n)) {
			buf_append(&b, REDACTED, strlen(REDACTED));
			p += n;
			hit = 1;
		} else {
			buf_append(&b, p++, 1);
		}
	}
	pthread_mutex_unlock(&redact_lock);
	if (!hit) {
		if (b.data)
			explicit_bzero(b.data, b.len);
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/* Where the tail of s[0..n) that may begin an added value starts. */
static size_t redact_hold(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < redact_n; k++) {
			size_t len = strlen(redact_values[k]);

			if (n - i < len &&
			    !memcmp(s + i, redact_values[k], n - i))
				return i;
		}
	return n;
}

struct redact_out {
	struct buf held;
};

static int write_fd1(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(STDOUT_FILENO, p, n);

		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Emits held text redacted, up to upto or the end of a value that starts
 * before it (a value is never cut), and keeps the rest held.
 */
static int redact_emit(struct redact_out *o, size_t upto)
{
	struct buf out;
	size_t p = 0, n;
	int rc;

	buf_init(&out, (size_t)-1 / 2);
	pthread_mutex_lock(&redact_lock);
	while (p < upto) {
		if (redact_match(o->held.data + p, &n)) {
			buf_append(&out, REDACTED, strlen(REDACTED));
			p += n;
		} else {
			buf_append(&out, o->held.data + p++, 1);
		}
	}
	pthread_mutex_unlock(&redact_lock);
	rc = out.len ? write_fd1(out.data, out.len) : 0;
	memmove(o->held.data, o->held.data + p, o->held.len - p);
	o->held.len -= p;
	o->held.data[o->held.len] = '\0';
	if (out.data)
		explicit_bzero(out.data, out.len);
	buf_release(&out);
	return rc;
}

static ssize_t redact_write(void *cookie, const char *p, size_t n)
{
	struct redact_out *o = cookie;
	size_t upto;

	/* A NUL would cut the text redaction works on: binary goes as is. */
	if (memchr(p, '\0', n)) {
		if (o->held.len && redact_emit(o, o->held.len) < 0)
			return -1;
		return write_fd1(p, n) < 0 ? -1 : (ssize_t)n;
	}
	buf_append(&o->held, p, n);
	pthread_mutex_lock(&redact_lock);
	upto = redact_hold(o->held.data, o->held.len);
	pthread_mutex_unlock(&redact_lock);
	if (upto && redact_emit(o, upto) < 0)
		return -1;
	return (ssize_t)n;
}

static int redact_close(void *cookie)
{
	struct redact_out *o = cookie;
	int rc = o->held.len ? redact_emit(o, o->held.len) : 0;

	buf_release(&o->held);
	return rc;
}

/* exit() flushes stdout but never closes it: what is held goes now. */
static struct redact_out stdout_redact;

static void redact_at_exit(void)
{
	fflush(stdout);
	if (stdout_redact.held.len)
		redact_emit(&stdout_redact, stdout_redact.held.len);
}

void log_redact_stdout(void)
{
	struct redact_out *o = &stdout_redact;
	static int done;
	cookie_io_functions_t io = { .write = redact_write,
				     .close = redact_close };
	FILE *f;

	if (done)
		return;
	fflush(stdout);
	buf_init(&o->held, (size_t)-1 / 2);
	f = fopencookie(o, "w", io);
	if (!f)
		return;
	atexit(redact_at_exit);
	setvbuf(f, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, BUFSIZ);
	stdout = f;
	done = 1;
}

/* prefix: "<N>text", the priority shown in journal mode, the text else.
 * The lock keeps a daemon's threads from mixing their lines. */
static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	char *text = xvasprintf(fmt, ap), *red = log_redact(text);

	flockfile(stderr);
	log_progress_done();
	if (journal)
		fprintf(stderr, "%.3s", prefix);
	else
		fputs(prefix + 3, stderr);
	fputs(red ? red : text, stderr);
	fputc('\n', stderr);
	funlockfile(stderr);
	secret_free(red);
	secret_free(text);
}

/* log_NAME(fmt, ...): one line after prefix, unless the level is below
 * least (so errors and warnings are never silenced). */
#define LOG_FUNCTION(name, least, prefix)				\
	void name(const char *fmt, ...)					\
	{								\
		va_list ap;						\
									\
		if (level < (least))					\
			return;						\
		va_start(ap, fmt);					\
		vlog(prefix, fmt, ap);					\
		va_end(ap);						\
	}

LOG_FUNCTION(log_error, LOG_QUIET, "<3>error: ")
LOG_FUNCTION(log_warn, LOG_QUIET, "<4>warning: ")
LOG_FUNCTION(log_notice, LOG_NORMAL, "<5>")
LOG_FUNCTION(log_phase, LOG_NORMAL, "<6>==> ")
LOG_FUNCTION(log_info, LOG_NORMAL, "<6>    ")
LOG_FUNCTION(log_debug, LOG_VERBOSE, "<7>    debug: ")

void log_progress_bytes(const char *what, long long done, long long total,
			void *arg)
{
	char d[32], t[32];

	(void)arg;
	fmt_bytes(done, d);
	fmt_bytes(total, t);
	if (total > 0)
		log_progress("%s: %s / %s", what, d, t);
	else
		log_progress("%s", what);
}

void log_progress(const char *fmt, ...)
{
	va_list ap;
	int tty = isatty(STDERR_FILENO);
	long long now = clock_ms();
	char *text, *red;

	if (level == LOG_QUIET)
		return;
	if (!tty && progress_last && now - progress_last < 5000)
		return;
	progress_last = now;
	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	red = log_redact(text);
	fputs(tty ? "\r\033[K    " : "    ", stderr);
	fputs(red ? red : text, stderr);
	secret_free(red);
	secret_free(text);
	if (tty) {
		progress_open = 1;
	} else {
		fputc('\n', stderr);
	}
	fflush(stderr);
}

void log_progress_done(void)
{
	if (progress_open) {
		fputc('\n', stderr);
		progress_open = 0;
	}
	progress_last = 0;
}

int log_append_redacted(const char *path, const char *line, char **cause)
{
	char *red = log_redact(line);
	int rc = file_append_sync(path, red ? red : line, cause);

	secret_free(red);
	return rc;
}
