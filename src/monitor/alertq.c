#include "monitor/alertq.h"
#include "net/http.h"
#include "core/log.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BACKOFF_MAX_MS 60000

extern char **environ;

struct alertq {
	enum alert_channel kind;
	pthread_mutex_t lock;
	pthread_cond_t cond;	/* work queued, or stopping */
	pthread_t thread;
	int started;
	struct alert *items;	/* items[0] is the one being delivered */
	size_t n, max;
	int busy;		/* items[0] is in flight */
	char *target;
	int slack;
	long timeout_s, retries;
	int stopping;
	long long deadline_ms;	/* when stopping: give up after this */
	volatile int abort_now;	/* read by the transfer in flight */
	struct alertq_stats stats;
};

const char *alertq_name(const struct alertq *q)
{
	return q->kind == ALERT_WEBHOOK ? "webhook" : "command";
}

/* ---- one delivery ----------------------------------------------------- */

int alertq_post(const char *url, const char *body, long timeout_s,
		const volatile int *abort_flag, char **cause)
{
	struct http_request req = {
		.method = "POST", .url = url, .body = body,
		.content_type = "application/json",
		.timeout_ms = timeout_s * 1000, .body_max = 64 * 1024,
		.cancel = abort_flag,
		/* the url may hold the webhook's token: the reason alone */
		.reason_only = 1,
	};
	struct http_response resp;
	char *why = NULL;

	if (http_do(&req, &resp, &why) < 0) {
		*cause = *abort_flag ? xstrdup("stopped") : xstrdup(why);
		free(why);
		return -1;
	}
	http_response_release(&resp);
	if (resp.status < 200 || resp.status > 299) {
		*cause = xasprintf("answered HTTP %ld", resp.status);
		return -1;
	}
	return 0;
}

static char **alert_environ(const struct alert *a)
{
	size_t n = 0;
	char **env;

	while (environ[n])
		n++;
	env = xcalloc(n + 4, sizeof(*env));
	for (size_t i = 0; i < n; i++)
		env[i] = environ[i];
	env[n] = xasprintf("ODOOCTL_ALERT_EVENT=%s", a->event);
	env[n + 1] = xasprintf("ODOOCTL_ALERT_CHECK=%s", a->check);
	env[n + 2] = xasprintf("ODOOCTL_ALERT_ENV=%s", a->env);
	return env;
}

/*
 * Starts argv in its own process group (a timeout kills it and its
 * children), with default signals; *in its stdin. With err, *err reads its
 * stderr; without, its stdout and stderr go to ours (the log).
 */
static pid_t spawn(const char *const argv[], char **env, int *in, int *err,
		   char **cause)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	int p[2], e[2] = { -1, -1 }, rc;
	pid_t pid = -1;

	if (pipe2(p, O_CLOEXEC) < 0 || (err && pipe2(e, O_CLOEXEC) < 0)) {
		*cause = xasprintf("pipe: %s", strerror(errno));
		return -1;	/* (only a descriptor shortage: not reclaimed) */
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[0], 0);
	if (err)
		posix_spawn_file_actions_adddup2(&fa, e[1], 2);
	else
		posix_spawn_file_actions_adddup2(&fa, 2, 1);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGHUP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	rc = posix_spawn(&pid, argv[0], &fa, &at, (char *const *)argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(p[0]);
	if (err)
		close(e[1]);
	if (rc) {
		*cause = xasprintf("cannot run %s: %s", argv[0], strerror(rc));
		close(p[1]);
		if (err)
			close(e[0]);
		return -1;
	}
	*in = p[1];
	if (err)
		*err = e[0];
	return pid;
}

/* Writes text to a child's stdin and closes it. An alert is far smaller
 * than a pipe's buffer: this cannot block. */
static void feed(int in, const char *text)
{
	size_t len = strlen(text), off = 0;

	while (off < len) {
		ssize_t w = write(in, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;	/* it did not read its stdin: its business */
		off += (size_t)w;
	}
	close(in);
}

/* Waits for pid until timeout_s or the abort flag; 0 when it exited 0. */
static int reap(pid_t pid, long timeout_s, const volatile int *abort_flag,
		char **cause)
{
	long long end = clock_ms() + timeout_s * 1000;
	int status;

	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (clock_ms() >= end || *abort_flag) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			*cause = xasprintf(*abort_flag ? "stopped" :
					   "killed after %ld s", timeout_s);
			return -1;
		}
		sleep_ms(20);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	*cause = WIFEXITED(status) ?
		xasprintf("exited with %d", WEXITSTATUS(status)) :
		xasprintf("killed by signal %d", WTERMSIG(status));
	return -1;
}

int alertq_run(const char *command, const char *body, const struct alert *a,
	       long timeout_s, const volatile int *abort_flag, char **cause)
{
	const char *argv[] = { "/bin/sh", "-c", command, NULL };
	char **env = alert_environ(a);
	size_t n = 0;
	int in, rc = -1;
	pid_t pid = spawn(argv, env, &in, NULL, cause);

	while (environ[n])
		n++;
	for (size_t i = n; env[i]; i++)
		free(env[i]);
	free(env);
	if (pid < 0)
		return -1;
	feed(in, body);
	rc = reap(pid, timeout_s, abort_flag, cause);
	return rc;
}

/* ---- webhooks over https from a child ------------------------------------ */

static char *poster;	/* set once, before any queue starts */

void alertq_set_poster(const char *exe)
{
	free(poster);
	poster = exe ? xstrdup(exe) : NULL;
}

int alertq_post_child(const char *exe, const char *url, const char *body,
		      long timeout_s, const volatile int *abort_flag,
		      char **cause)
{
	char secs[24], said[512], *text;
	const char *argv[] = { exe, "--post-webhook", secs, NULL };
	ssize_t got = 0;
	int in, err, rc;
	pid_t pid;

	snprintf(secs, sizeof(secs), "%ld", timeout_s);
	pid = spawn(argv, environ, &in, &err, cause);
	if (pid < 0)
		return -1;
	log_debug("webhook over https: posted by %s --post-webhook (pid %d)",
		  exe, (int)pid);
	/* the url (it may hold a token) on stdin, never in argv */
	text = xasprintf("%s\n%s", url, body);
	feed(in, text);
	secret_free(text);
	/* a few seconds over its own timeout, for its start and its exit */
	rc = reap(pid, timeout_s + 5, abort_flag, cause);
	for (ssize_t r; got < (ssize_t)sizeof(said) - 1 &&
	     (r = read(err, said + got, sizeof(said) - 1 - (size_t)got)) > 0;)
		got += r;
	close(err);
	said[got] = '\0';
	said[strcspn(said, "\n")] = '\0';
	if (rc < 0 && *said && strncmp(*cause, "killed", 6) &&
	    strcmp(*cause, "stopped")) {
		free(*cause);
		*cause = xstrdup(said);
	}
	return rc;
}

int alertq_post_main(const char *timeout_arg)
{
	struct buf in;
	char chunk[4096], *nl, *cause = NULL, *end;
	long timeout_s = strtol(timeout_arg, &end, 10);
	ssize_t n;
	static const volatile int never;
	int rc;

	if (*end || timeout_s <= 0) {
		fprintf(stderr, "--post-webhook: '%s' is not a number of "
			"seconds\n", timeout_arg);
		return 2;
	}
	buf_init(&in, 1 << 20);
	while ((n = read(0, chunk, sizeof(chunk))) > 0 ||
	       (n < 0 && errno == EINTR))
		if (n > 0 && buf_append(&in, chunk, (size_t)n) < 0)
			break;
	nl = in.data ? strchr(in.data, '\n') : NULL;
	if (!nl) {
		fprintf(stderr, "--post-webhook: no url line on stdin\n");
		buf_release(&in);
		return 2;
	}
	*nl = '\0';
	rc = alertq_post(in.data, nl + 1, timeout_s, &never, &cause);
	if (rc < 0)
		fprintf(stderr, "%s\n", cause);
	free(cause);
	explicit_bzero(in.data, in.len);
	buf_release(&in);
	return rc < 0 ? 1 : 0;
}

/* ---- the worker --------------------------------------------------------- */

static void shift(struct alertq *q, size_t i)
{
	alert_release(&q->items[i]);
	memmove(&q->items[i], &q->items[i + 1],
		(q->n - i - 1) * sizeof(*q->items));
	q->n--;
}

static int deliver(struct alertq *q, const struct alert *a, const char *target,
		   int slack, long timeout_s, char **cause)
{
	char *body = q->kind == ALERT_WEBHOOK && slack ? alert_slack(a) :
		alert_json(a);
	int rc;

	if (q->kind != ALERT_WEBHOOK)
		rc = alertq_run(target, body, a, timeout_s, &q->abort_now,
				cause);
	else if (poster && !strncmp(target, "https://", 8))
		rc = alertq_post_child(poster, target, body, timeout_s,
				       &q->abort_now, cause);
	else
		rc = alertq_post(target, body, timeout_s, &q->abort_now,
				 cause);

	free(body);
	return rc;
}

/* Waits until ms have passed or the queue stops; q->lock held. */
static void backoff(struct alertq *q, long long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (!q->stopping &&
	       pthread_cond_timedwait(&q->cond, &q->lock, &ts) != ETIMEDOUT)
		;
}

/* One alert, every attempt; q->lock held, released while it works. */
static void deliver_head(struct alertq *q)
{
	struct alert a;
	long attempt = 0;

	alert_copy(&a, &q->items[0]);
	q->busy = 1;
	for (;;) {
		char *target = q->target ? xstrdup(q->target) : NULL;
		int slack = q->slack, rc;
		long timeout_s = q->timeout_s, retries = q->retries;
		char *why = NULL;

		if (!target)
			break;	/* the channel was turned off */
		if (q->stopping && clock_ms() >= q->deadline_ms) {
			/* left queued: the worker counts it as lost */
			q->abort_now = 1;
			free(target);
			alert_release(&a);
			q->busy = 0;
			return;
		}
		pthread_mutex_unlock(&q->lock);
		rc = deliver(q, &a, target, slack, timeout_s, &why);
		free(target);
		pthread_mutex_lock(&q->lock);
		if (rc == 0) {
			q->stats.sent++;
			log_info("alert %s %s: %s delivered", a.event,
				 a.check, alertq_name(q));
			break;
		}
		if (attempt >= retries || q->stopping) {
			log_error("alert %s %s: %s failed after %ld "
				  "attempt%s: %s", a.event, a.check,
				  alertq_name(q), attempt + 1,
				  attempt ? "s" : "", why);
			q->stats.failed++;
			free(why);
			break;
		}
		long long wait = 1000LL << (attempt < 16 ? attempt : 16);

		if (wait > BACKOFF_MAX_MS)
			wait = BACKOFF_MAX_MS;
		log_warn("alert %s %s: %s attempt %ld failed: %s; retry in "
			 "%lld s", a.event, a.check, alertq_name(q),
			 attempt + 1, why, wait / 1000);
		free(why);
		attempt++;
		q->stats.retried++;
		backoff(q, wait);
	}
	alert_release(&a);
	q->busy = 0;
	shift(q, 0);
}

static void *worker(void *arg)
{
	struct alertq *q = arg;
	size_t lost;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (!q->n && !q->stopping)
			pthread_cond_wait(&q->cond, &q->lock);
		if (!q->n || q->abort_now)
			break;
		deliver_head(q);
	}
	lost = q->n;
	if (lost) {
		log_error("%s: %zu alert%s not delivered: stopping",
			  alertq_name(q), lost, lost == 1 ? "" : "s");
		q->stats.failed += lost;
	}
	while (q->n)
		shift(q, 0);
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

/* ---- the queue ---------------------------------------------------------- */

struct alertq *alertq_new(enum alert_channel kind, size_t max)
{
	struct alertq *q = xcalloc(1, sizeof(*q));
	pthread_condattr_t ca;

	q->kind = kind;
	q->max = max ? max : 1;
	q->items = xcalloc(q->max, sizeof(*q->items));
	pthread_mutex_init(&q->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cond, &ca);
	pthread_condattr_destroy(&ca);
	return q;
}

void alertq_configure(struct alertq *q, const char *target, int slack,
		      long timeout_s, long retries)
{
	pthread_mutex_lock(&q->lock);
	free(q->target);
	q->target = target ? xstrdup(target) : NULL;
	q->slack = slack;
	q->timeout_s = timeout_s;
	q->retries = retries;
	if (q->target && !q->started) {
		if (pthread_create(&q->thread, NULL, worker, q) == 0)
			q->started = 1;
		else
			log_error("%s: cannot start a thread", alertq_name(q));
	}
	pthread_mutex_unlock(&q->lock);
}

void alertq_push(struct alertq *q, const struct alert *a)
{
	pthread_mutex_lock(&q->lock);
	if (!q->target || !q->started) {
		pthread_mutex_unlock(&q->lock);
		return;
	}
	if (q->n == q->max) {
		/* the oldest that is not in flight */
		size_t i = q->busy && q->n > 1 ? 1 : 0;

		if (!(q->busy && q->n == 1)) {
			log_warn("%s: alert queue full (%zu): dropped the "
				 "oldest, %s %s", alertq_name(q), q->max,
				 q->items[i].event, q->items[i].check);
			q->stats.dropped++;
			shift(q, i);
		}
	}
	if (q->n < q->max) {
		alert_copy(&q->items[q->n++], a);
		pthread_cond_signal(&q->cond);
	}
	pthread_mutex_unlock(&q->lock);
}

void alertq_get_stats(struct alertq *q, struct alertq_stats *s)
{
	pthread_mutex_lock(&q->lock);
	*s = q->stats;
	s->queued = q->n;
	pthread_mutex_unlock(&q->lock);
}

void alertq_free(struct alertq *q, long grace_ms)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->stopping = 1;
	q->deadline_ms = clock_ms() + grace_ms;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	if (q->started) {
		/* the transfer in flight stops at the deadline */
		while (pthread_tryjoin_np(q->thread, NULL) == EBUSY) {
			if (clock_ms() >= q->deadline_ms)
				q->abort_now = 1;
			sleep_ms(10);
		}
	}
	while (q->n)
		shift(q, 0);
	free(q->items);
	free(q->target);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	free(q);
}
