#include "monitor/monitor.h"
#include "monitor/checks.h"
#include "monitor/checkstate.h"
#include "core/config.h"
#include "core/log.h"
#include "monitor/metrics.h"
#include "pg/pg.h"
#include "secrets/secrets.h"
#include "core/state.h"
#include "core/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_MAX 64		/* alerts waiting per channel */
#define STOP_GRACE_MS 5000	/* for alerts still queued at SIGTERM */

struct tracked {
	char *name;
	struct check_track t;
	int ok;
	long long ms;
	char *value, *detail;
	int seen;
};

struct monitor {
	const char *config_path, *env_name;
	struct config cfg;
	const struct config_env *env;
	struct checks_ctx ctx;
	struct tracked *v;
	size_t n;
	struct alertq *q[2];	/* webhook, command */
	struct metrics_server *srv;
	char *listen;		/* where srv listens, or NULL */
	char host[256];
	char *release, *container;
	unsigned long passes;
	double pass_s;
	long started, last_pass;
	long long pass_start_ms;
};

/* ---- systemd's readiness protocol (Type=notify), when asked for ---- */

static void sd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, strlen(path));
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
			  strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		   (struct sockaddr *)&sa, len) < 0)
		log_debug("sd_notify: %s", strerror(errno));
	close(fd);
}

static void publish(struct monitor *m);

/* ---- configuration ------------------------------------------------------ */

static int load(struct monitor *m, struct config *cfg,
		const struct config_env **env, char **cause)
{
	if (config_load(cfg, m->config_path, cause) < 0)
		return -1;
	*env = config_env(cfg, m->env_name, cause);
	if (!*env) {
		config_release(cfg);
		return -1;
	}
	/* A reload may bring a new password: redact it too. */
	secrets_register_env(*env);
	return 0;
}

static void configure_alerts(struct monitor *m)
{
	const struct config_env *e = m->env;

	alertq_configure(m->q[0], e->alert_webhook_url,
			 !strcmp(e->alert_webhook_format, "slack"),
			 e->alert_timeout, e->alert_retries);
	alertq_configure(m->q[1], e->alert_command, 0, e->alert_timeout,
			 e->alert_retries);
}

/* Starts, moves or stops /metrics to match the configuration. */
static int configure_metrics(struct monitor *m, char **cause)
{
	const char *want = m->env->metrics_listen;
	struct metrics_server *s = NULL;

	if (!strcmp(want, "off"))
		want = NULL;
	if (want && m->listen && !strcmp(want, m->listen))
		return 0;
	if (want) {
		s = metrics_server_start(want, cause);
		if (!s)
			return -1;
	}
	metrics_server_stop(m->srv);
	free(m->listen);
	m->srv = s;
	m->listen = want ? xstrdup(want) : NULL;
	return 0;
}

static void describe(const struct monitor *m)
{
	const struct config_env *e = m->env;

	log_info("[%s] every %ld s (timeout %ld s), down after %ld failed "
		 "pass%s, reminder %s%ld s; webhook %s%s%s, command %s; "
		 "metrics %s", e->name, e->monitor_interval, e->monitor_timeout,
		 e->monitor_retries, e->monitor_retries == 1 ? "" : "es",
		 e->monitor_reminder ? "every " : "off ",
		 e->monitor_reminder, e->alert_webhook_url ? "on (" : "off",
		 e->alert_webhook_url ? e->alert_webhook_format : "",
		 e->alert_webhook_url ? ")" : "",
		 e->alert_command ? "on" : "off",
		 m->listen ? m->listen : "off");
}

static void reload(struct monitor *m)
{
	struct config cfg;
	const struct config_env *env, *old_env = m->env;
	char *why = NULL;

	sd_notify("RELOADING=1");
	if (load(m, &cfg, &env, &why) < 0) {
		log_error("reload: %s; still running the previous "
			  "configuration", why);
		free(why);
		sd_notify("READY=1");
		return;
	}
	m->env = env;
	if (configure_metrics(m, &why) < 0) {
		log_error("reload: %s; still running the previous "
			  "configuration", why);
		free(why);
		m->env = old_env;
		config_release(&cfg);
		sd_notify("READY=1");
		return;
	}
	config_release(&m->cfg);
	m->cfg = cfg;	/* env points into cfg.envs, which moves along */
	m->ctx.timeout_ms = m->env->monitor_timeout * 1000;
	/* the database, its user or password may have changed */
	pg_keep_free(m->ctx.pg);
	m->ctx.pg = pg_keep_new();
	configure_alerts(m);
	log_notice("reloaded %s", m->config_path);
	describe(m);
	publish(m);
	sd_notify("READY=1");
}

/* ---- one pass ------------------------------------------------------------ */

static struct tracked *track(struct monitor *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].name, name))
			return &m->v[i];
	m->v = xrealloc(m->v, (m->n + 1) * sizeof(*m->v));
	memset(&m->v[m->n], 0, sizeof(*m->v));
	m->v[m->n].name = xstrdup(name);
	return &m->v[m->n++];
}

static void forget_unseen(struct monitor *m)
{
	for (size_t i = 0; i < m->n;) {
		struct tracked *t = &m->v[i];

		if (t->seen) {
			i++;
			continue;
		}
		if (t->t.state == CHECK_DOWN)
			log_notice("%s: no longer checked (it was down)",
				   t->name);
		free(t->name);
		free(t->value);
		free(t->detail);
		memmove(t, t + 1, (m->n - i - 1) * sizeof(*t));
		m->n--;
	}
}

/* Unix time of a monotonic instant in the past. */
static long wall(long long mono_ms)
{
	return (long)time(NULL) - (long)((clock_ms() - mono_ms) / 1000);
}

/* "VALUE: DETAIL" for a log line, or the detail alone. Caller frees. */
static char *said(const struct tracked *t)
{
	if (!t->value || !strcmp(t->value, "-"))
		return xstrdup(t->detail);
	return xasprintf("%s: %s", t->value, t->detail);
}

/* before: the check's track before this result. */
static void raise_alert(struct monitor *m, const struct tracked *t,
			enum check_event ev, const struct check_track *before)
{
	int recovered = ev == EVENT_RECOVERED;
	struct alert a = {
		.event = (char *)checkstate_event_name(ev),
		.env = m->env->name, .check = t->name, .value = t->value,
		.detail = t->detail, .host = m->host, .release = m->release,
		.failures = recovered ? before->fails : t->t.fails,
		.since = wall(recovered ? before->since_ms : t->t.since_ms),
		.time = (long)time(NULL),
	};
	char took[32], *why = said(t);

	alert_duration(a.time - a.since, took);
	if (ev == EVENT_DOWN)
		log_notice("%s: %s -> down (%ld failed in a row): %s",
			   t->name, checkstate_name(before->state),
			   t->t.fails, why);
	else if (recovered)
		log_notice("%s: down -> up after %s: %s", t->name, took, why);
	else
		log_notice("%s: still down, for %s: %s", t->name, took, why);
	free(why);
	for (size_t i = 0; i < 2; i++)
		alertq_push(m->q[i], &a);
}

static void note(const struct result *res, void *arg)
{
	struct monitor *m = arg;
	struct check_policy p = {
		.retries = m->env->monitor_retries,
		.reminder_ms = m->env->monitor_reminder * 1000LL,
	};
	struct tracked *t = track(m, res->name);
	struct check_track before = t->t;
	enum check_event ev;

	t->seen = 1;
	t->ok = res->ok;
	t->ms = res->ms;
	free(t->value);
	free(t->detail);
	t->value = xstrdup(res->value);
	t->detail = xstrdup(res->detail);
	ev = checkstate_update(&t->t, res->ok, clock_ms(), &p);
	if (ev != EVENT_NONE)
		raise_alert(m, t, ev, &before);
	else if (!res->ok && t->t.state != CHECK_DOWN) {
		char *why = said(t);

		log_info("%s: failed (%ld of %ld before down): %s", t->name,
			 t->t.fails, p.retries, why);
		free(why);
	}
}

static void read_release(struct monitor *m)
{
	struct current cur = { 0 };
	char *why = NULL;

	free(m->release);
	free(m->container);
	m->release = m->container = NULL;
	if (state_read_current(m->env->state_dir, &cur, &why) < 0) {
		free(why);	/* the container.odoo check says it too */
		return;
	}
	m->release = cur.digest;
	m->container = cur.container;
	cur.digest = cur.container = NULL;
	current_release(&cur);
}

static void publish(struct monitor *m)
{
	struct metrics_check *c = xcalloc(m->n + 1, sizeof(*c));
	struct metrics_channel ch[2];
	struct metrics_view v = {
		.env = m->env->name, .release = m->release,
		.container = m->container, .checks = c, .nchecks = m->n,
		.channels = ch, .nchannels = 2, .passes = m->passes,
		.pass_s = m->pass_s, .interval_s = m->env->monitor_interval,
		.last_pass = m->last_pass, .started = m->started,
	};

	if (!m->srv) {
		free(c);
		return;
	}
	for (size_t i = 0; i < m->n; i++) {
		c[i].name = m->v[i].name;
		c[i].ok = m->v[i].ok;
		c[i].state = m->v[i].t.state;
		c[i].fails = m->v[i].t.fails;
		c[i].latency_s = (double)m->v[i].ms / 1000;
		c[i].since = m->v[i].t.state == CHECK_UNKNOWN ? 0 :
			wall(m->v[i].t.since_ms);
	}
	for (size_t i = 0; i < 2; i++) {
		ch[i].name = alertq_name(m->q[i]);
		alertq_get_stats(m->q[i], &ch[i].st);
	}
	metrics_server_publish(m->srv, metrics_render(&v));
	free(c);
}

static void pass(struct monitor *m)
{
	struct results r = { .on_result = note, .on_result_arg = m };
	size_t failing = 0;

	m->pass_start_ms = clock_ms();
	/* the release first: an alert raised during the pass names it */
	read_release(m);
	for (size_t i = 0; i < m->n; i++)
		m->v[i].seen = 0;
	checks_run_ctx(m->env, &m->ctx, &r);
	for (size_t i = 0; i < r.n; i++)
		failing += !r.v[i].ok;
	forget_unseen(m);
	m->passes++;
	m->pass_s = (double)(clock_ms() - m->pass_start_ms) / 1000;
	m->last_pass = (long)time(NULL);
	if (m->passes == 1)
		log_info("first pass: %zu checks, %zu failing, %.1f s",
			 r.n, failing, m->pass_s);
	results_release(&r);
	publish(m);
}

/* ---- the loop ----------------------------------------------------------- */

/* The next signal of set before until_ms, or 0 when the time came. */
static int wait_until(const sigset_t *set, long long until_ms)
{
	for (;;) {
		long long left = until_ms - clock_ms();
		struct timespec ts;
		int sig;

		/* late or not, a pending signal is taken */
		if (left < 0)
			left = 0;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000L;
		sig = sigtimedwait(set, NULL, &ts);
		if (sig > 0)
			return sig;
		if (errno == EAGAIN)
			return 0;
	}
}

static void loop(struct monitor *m, const sigset_t *signals)
{
	for (;;) {
		long long next;
		int sig;

		pass(m);
		if (m->passes == 1)
			sd_notify("READY=1");
		for (;;) {
			next = m->pass_start_ms +
				m->env->monitor_interval * 1000LL;
			/* the first pass samples the CPU for a second */
			if (clock_ms() > next && m->passes > 1)
				log_warn("a pass took %.1f s, longer than the "
					 "%ld s interval", m->pass_s,
					 m->env->monitor_interval);
			sig = wait_until(signals, next);
			if (sig == SIGHUP) {
				reload(m);
				continue;
			}
			if (sig) {
				log_notice("%s: stopping", strsignal(sig));
				return;
			}
			break;
		}
	}
}

static void monitor_release(struct monitor *m)
{
	sd_notify("STOPPING=1");
	for (size_t i = 0; i < 2; i++)
		alertq_free(m->q[i], STOP_GRACE_MS);
	metrics_server_stop(m->srv);
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].name);
		free(m->v[i].value);
		free(m->v[i].detail);
	}
	free(m->v);
	free(m->listen);
	free(m->release);
	free(m->container);
	pg_keep_free(m->ctx.pg);
	config_release(&m->cfg);
}

int monitor_run(const char *config_path, const char *env_name,
		const sigset_t *signals, char **cause)
{
	struct monitor m = { .config_path = config_path,
			     .env_name = env_name };

	if (load(&m, &m.cfg, &m.env, cause) < 0)
		return MONITOR_CONFIG;
	if (gethostname(m.host, sizeof(m.host) - 1) < 0)
		strcpy(m.host, "localhost");
	m.started = (long)time(NULL);
	m.ctx.timeout_ms = m.env->monitor_timeout * 1000;
	m.ctx.pg = pg_keep_new();
	m.q[0] = alertq_new(ALERT_WEBHOOK, QUEUE_MAX);
	m.q[1] = alertq_new(ALERT_COMMAND, QUEUE_MAX);
	if (configure_metrics(&m, cause) < 0) {
		monitor_release(&m);
		return MONITOR_FAILED;
	}
	configure_alerts(&m);
	log_notice("odooctl monitor started (pid %ld)", (long)getpid());
	describe(&m);
	loop(&m, signals);
	monitor_release(&m);
	log_notice("stopped");
	return MONITOR_STOPPED;
}
