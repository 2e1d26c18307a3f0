/*
 * A release, end to end: gate, pull, start beside the running one, health,
 * smoke, switch, drain, commit; any failure after the gate rolls back to
 * the last good release, which serves again before the deploy returns.
 * Each phase is journaled first, so a killed deploy can be recovered.
 */
#ifndef ODOOCTL_DEPLOY_H
#define ODOOCTL_DEPLOY_H

#include <signal.h>

#include "core/config.h"
#include "core/release.h"

/* The exit statuses of DESIGN.md; part of the interface. */
enum odooctl_exit {
	EXIT_OK = 0,
	EXIT_FAILED = 1,	/* failed, and rolled back where it had started */
	EXIT_USAGE = 2,		/* usage or configuration error */
	EXIT_REFUSED = 3,	/* refused by a gate or the lock */
};

enum deploy_kind { DEPLOY_RELEASE, DEPLOY_ROLLBACK };

/* Set by the commands' SIGTERM/SIGINT handler: roll back, do not abandon. */
extern volatile sig_atomic_t deploy_interrupted;

/* Returns an exit status; *cause says why when it is not EXIT_OK. */
enum odooctl_exit deploy_run(const struct config_env *env,
			     const struct release *rel, const char *operator,
			     enum deploy_kind kind, char **cause);
/*
 * deploy_run, with hardening checks allowed to fail (comma-separated,
 * besides the env's gate_allow); each allowed failure is recorded in
 * history as allowed:CHECK. A rollback skips the hardening checks.
 */
enum odooctl_exit deploy_run_allow(const struct config_env *env,
				   const struct release *rel,
				   const char *operator, enum deploy_kind kind,
				   const char *allow, char **cause);
/*
 * deploy_run of a release up to the switch, for a caller that commits it
 * itself (migrate): it serves through the proxy and the deploy's journal
 * is ended, but last_good, current and the success line are the caller's
 * to write. *container names it (caller frees). A failure is handled as
 * deploy_run's.
 */
enum odooctl_exit deploy_run_held(const struct config_env *env,
				  const struct release *rel,
				  const char *operator, char **container,
				  char **cause);
/*
 * Finishes what a killed deploy left: rolls forward one that had committed,
 * else brings the last good release back. *nothing = 1 when there was no
 * unfinished deploy.
 */
enum odooctl_exit deploy_recover(const struct config_env *env,
				 const char *operator, int *nothing,
				 char **cause);
/* The release a manual rollback goes to: the last good one before current. */
int deploy_rollback_target(const struct config_env *env, char **digest,
			   char **cause);

#endif
