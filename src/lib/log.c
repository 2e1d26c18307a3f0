#include "log.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static enum log_level level = LOG_NORMAL;
static int journal;
static int progress_open;
static long long progress_last;

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

/* prefix: "<N>text", the priority shown in journal mode, the text else.
 * The lock keeps a daemon's threads from mixing their lines. */
static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	flockfile(stderr);
	log_progress_done();
	if (journal)
		fprintf(stderr, "%.3s", prefix);
	else
		fputs(prefix + 3, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("<3>error: ", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("<4>warning: ", fmt, ap);
	va_end(ap);
}

void log_notice(const char *fmt, ...)
{
	va_list ap;

	if (level == LOG_QUIET)
		return;
	va_start(ap, fmt);
	vlog("<5>", fmt, ap);
	va_end(ap);
}

void log_phase(const char *fmt, ...)
{
	va_list ap;

	if (level == LOG_QUIET)
		return;
	va_start(ap, fmt);
	vlog("<6>==> ", fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (level == LOG_QUIET)
		return;
	va_start(ap, fmt);
	vlog("<6>    ", fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (level != LOG_VERBOSE)
		return;
	va_start(ap, fmt);
	vlog("<7>    debug: ", fmt, ap);
	va_end(ap);
}

void log_progress(const char *fmt, ...)
{
	va_list ap;
	int tty = isatty(STDERR_FILENO);
	long long now = clock_ms();

	if (level == LOG_QUIET)
		return;
	if (!tty && progress_last && now - progress_last < 5000)
		return;
	progress_last = now;
	va_start(ap, fmt);
	fputs(tty ? "\r\033[K    " : "    ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
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
