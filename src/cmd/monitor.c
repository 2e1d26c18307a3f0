/* odooctl monitor [ENV]: the checks of `health` on a timer, with alerts. */
#include <signal.h>
#include <stdlib.h>
#include <pthread.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/log.h"
#include "monitor/monitor.h"
#include "core/util.h"

static int on_opt(int opt, const char *arg, void *ctx)
{
	(void)opt, (void)arg, (void)ctx;
	return -1;
}

static int exec_monitor(int argc, char **argv, struct global *g)
{
	static const struct option opts[] = { { NULL, 0, NULL, 0 } };
	struct config cfg;
	const struct config_env *env;
	sigset_t sigs;
	char *why = NULL, *name;
	int done, rc;

	if (cmd_getopt(&cmd_monitor, argc, argv, opts, &done, on_opt,
		       NULL) < 0)
		return EXIT_USAGE;
	if (done)
		return EXIT_OK;
	if (argc - optind > 1) {
		cmd_usage_error(&cmd_monitor);
		return EXIT_USAGE;
	}
	/* which environment, as every command picks it; the monitor loads
	 * the file again itself, and again on SIGHUP */
	env = cmd_open_env(g, optind < argc ? argv[optind] : NULL, &cfg);
	if (!env)
		return EXIT_USAGE;
	name = xstrdup(env->name);
	config_release(&cfg);
	if (!isatty(STDERR_FILENO))
		log_set_journal(1);
	/* blocked here, before any thread starts, so every thread inherits
	 * the mask and the monitor takes them with sigtimedwait */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = monitor_run(g->config_path, name, &sigs, &why);
	if (rc != MONITOR_STOPPED)
		log_error("%s", why);
	free(why);
	free(name);
	return rc == MONITOR_CONFIG ? EXIT_USAGE :
	       rc == MONITOR_FAILED ? EXIT_FAILED : EXIT_OK;
}

const struct command cmd_monitor = {
	.name = "monitor",
	.usage = "[ENV]",
	.summary = "Run the health checks every monitor_interval; alert on "
		   "changes.",
	.help =
	"A daemon: every check of 'odooctl health' each monitor_interval\n"
	"seconds (monitor_timeout each). A failing check is declared down\n"
	"after monitor_retries failed passes in a row, and up again on the\n"
	"first good one; only those changes raise an alert (and a reminder\n"
	"every monitor_reminder seconds while it stays down).\n\n"
	"Alerts go to alert_webhook_url (alert_webhook_format json or slack)\n"
	"and to alert_command (the alert as JSON on stdin; ODOOCTL_ALERT_EVENT,\n"
	"ODOOCTL_ALERT_CHECK, ODOOCTL_ALERT_ENV in its environment), each\n"
	"from its own bounded queue, retried alert_retries times with\n"
	"doubling backoff: a slow receiver never delays the checks.\n\n"
	"GET /metrics on metrics_listen (default 127.0.0.1:9469): every\n"
	"check's result, state, failures and latency, the serving release's\n"
	"digest, alert counters (Prometheus text format).\n\n"
	"Logs to stderr, one line per event, with journald's <N> priority\n"
	"prefixes unless stderr is a terminal. SIGHUP reloads the config\n"
	"file (a broken one is refused and the running one kept); SIGTERM\n"
	"or SIGINT stop it (queued alerts get 5 s). With NOTIFY_SOCKET set\n"
	"it speaks systemd's Type=notify protocol.\n\n"
	"Exit status: 0 stopped by a signal, 1 could not start (e.g. the\n"
	"metrics port is taken), 2 usage or configuration error.\n",
	.exec = exec_monitor,
};
