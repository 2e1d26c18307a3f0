/*
 * Alert delivery that never blocks the check loop: one bounded queue and
 * one worker thread per channel (a webhook, a command hook), retries with
 * doubling backoff up to a bound, and drop-oldest (with a log line) when
 * the queue is full. The webhook URL may hold a token: it is never logged.
 */
#ifndef ODOOCTL_ALERTQ_H
#define ODOOCTL_ALERTQ_H

#include <stddef.h>

#include "monitor/alert.h"

enum alert_channel { ALERT_WEBHOOK, ALERT_COMMAND };

struct alertq_stats {
	unsigned long sent;	/* delivered */
	unsigned long failed;	/* given up after every attempt */
	unsigned long dropped;	/* pushed out of a full queue */
	unsigned long retried;	/* attempts after a first one */
	size_t queued;
};

struct alertq;

/* A stopped channel; it delivers once configured with a target. */
struct alertq *alertq_new(enum alert_channel kind, size_t max);
/*
 * target: the webhook URL or the shell command; NULL turns the channel
 * off (queued alerts are dropped). slack: the webhook's body format.
 * Each attempt may take timeout_s; retries more follow a failure, 1 s,
 * 2 s, 4 s ... (at most 60 s) apart. Starts the worker the first time.
 */
void alertq_configure(struct alertq *q, const char *target, int slack,
		      long timeout_s, long retries);
/* Queues a copy of a; returns at once. */
void alertq_push(struct alertq *q, const struct alert *a);
void alertq_get_stats(struct alertq *q, struct alertq_stats *s);
/* "webhook" or "command". */
const char *alertq_name(const struct alertq *q);
/*
 * Stops the worker: what is queued gets one more attempt each until
 * grace_ms have passed, then the rest is given up (and logged).
 */
void alertq_free(struct alertq *q, long grace_ms);

/* One delivery, for the worker and the tests: 0, or -1 with *cause. */
int alertq_post(const char *url, const char *body, long timeout_s,
		const volatile int *abort_flag, char **cause);
int alertq_run(const char *command, const char *body, const struct alert *a,
	       long timeout_s, const volatile int *abort_flag, char **cause);

/*
 * Webhooks to https URLs posted by a child, `EXE --post-webhook TIMEOUT`
 * (odooctl-monitor sets its own path): the CA bundle libcurl loads for
 * it (a few MB of heap once touched) then never stays in the daemon.
 * Plain http is posted in-process. Set before any queue starts.
 */
void alertq_set_poster(const char *exe);
/* One delivery through such a child: its stdin gets the url (never its
 * argv: the url may hold a token), a newline and the body; its stderr's
 * first line is the cause. */
int alertq_post_child(const char *exe, const char *url, const char *body,
		      long timeout_s, const volatile int *abort_flag,
		      char **cause);
/* The child's side: reads stdin as alertq_post_child writes it, posts, and
 * returns the exit status (0 delivered, 1 failed with the cause on stderr,
 * 2 bad input). */
int alertq_post_main(const char *timeout_arg);

#endif
