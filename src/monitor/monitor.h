/*
 * odooctl monitor: every check of `odooctl health` on a timer, a state
 * machine per check (lib/checkstate.c), alerts on state changes through a
 * webhook and a command hook (lib/alertq.c), and /metrics (lib/metrics.c).
 * SIGHUP reloads the configuration, SIGTERM and SIGINT stop it.
 */
#ifndef ODOOCTL_MONITOR_H
#define ODOOCTL_MONITOR_H

#include <signal.h>

enum monitor_status {
	MONITOR_STOPPED = 0,	/* by a signal, cleanly */
	MONITOR_FAILED = 1,	/* could not start (e.g. /metrics port taken) */
	MONITOR_CONFIG = 2,	/* the configuration is wrong */
};

/*
 * Runs until one of signals other than SIGHUP arrives. The caller has
 * blocked signals in every thread (the monitor waits for them between
 * passes). Returns a status; *cause says why when it is not STOPPED.
 */
int monitor_run(const char *config_path, const char *env_name,
		const sigset_t *signals, char **cause);

#endif
