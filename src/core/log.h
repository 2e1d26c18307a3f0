/*
 * Messages for people, on stderr. lib/ reports failures through a
 * char **cause; the commands decide what to print. Progress lines are the
 * one thing lib/ prints itself, so long work is never silent.
 */
#ifndef ODOOCTL_LOG_H
#define ODOOCTL_LOG_H

enum log_level { LOG_QUIET, LOG_NORMAL, LOG_VERBOSE };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/*
 * For daemons: each line starts with its syslog priority, "<3>" error,
 * "<4>" warning, "<5>" notice, "<6>" info, "<7>" debug, which journald
 * (and systemd's stderr capture) turn into the entry's priority.
 */
void log_set_journal(int on);
/* "error: ..." on stderr. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A state change worth reading (a daemon's "down -> up"). */
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A phase of long work: "==> gate: config valid". */
void log_phase(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Detail under a phase, shown always unless quiet: "    ...". */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Only with --verbose. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * A line that rewrites itself on a terminal (pull progress); on a pipe it
 * is printed at most every few seconds so logs stay short.
 */
void log_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_progress_done(void);
/*
 * log_progress() of "WHAT: DONE / TOTAL" in bytes ("WHAT" alone when the
 * total is unknown): the progress callback of a pull or push (arg unused).
 */
void log_progress_bytes(const char *what, long long done, long long total,
			void *arg);

/*
 * Redaction: every value added here is replaced by "[redacted]" in each
 * line log_* prints, and in what log_redact() hands back (history lines,
 * alerts). The secrets module feeds it; values shorter than
 * LOG_REDACT_MIN are ignored (they would redact ordinary words).
 */
#define LOG_REDACT_MIN 4
void log_redact_add(const char *value);
/* Forgets (and wipes) every value added. */
void log_redact_clear(void);
/* s with every added value replaced, or NULL when none occurs in it. */
char *log_redact(const char *s);
/*
 * file_append_sync of line with every configured secret redacted: history
 * and journal lines never carry one.
 */
int log_append_redacted(const char *path, const char *line, char **cause);
/*
 * Puts the redaction between stdout and fd 1, so what a command prints
 * (a history line, JSON) is redacted too. A partial line that could be
 * the start of a value is held until the rest of it comes. Idempotent.
 */
void log_redact_stdout(void);

#endif
