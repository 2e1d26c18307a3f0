/*
 * When a deploy fails: the last good release serves again (revived or
 * restarted), the candidate goes, and the outcome is recorded.
 */
#include "release/deploy_priv.h"
#include "core/log.h"
#include "stack/proxy.h"
#include "stack/stack.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ENGINE_WAIT_S 90

/*
 * The kept container of the last good release did not come back (a stop
 * of it still in flight from a killed odooctl, a broken port mapping):
 * it goes, and a new container of the same release takes its place.
 */
static int revive_fresh(struct deploy *dp, const struct release *lg,
			char **target, char **cause)
{
	char *why = NULL;
	int rc;

	log_warn("the kept container %s did not come back (%s): starting a "
		 "new one of the same release", *target, *cause);
	free(*cause);
	*cause = NULL;
	dp_show_logs(dp->d, *target);
	if (stack_stop(dp->d, dp->env, *target, 1, &why) < 0) {
		log_warn("%s", why);
		free(why);
	}
	free(*target);
	*target = stack_release_name(dp->env, lg);
	rc = dp_journal(dp, "revive", *target, cause);
	if (rc == 0)
		rc = stack_start_release(dp->d, dp->env, lg, *target, cause);
	if (rc == 0)
		rc = dp_wait_healthy(dp, *target, cause);
	return rc;
}

/* Starts (or reuses) the container of the last good release. */
static int revive_last_good(struct deploy *dp, char **target, char **cause)
{
	struct release lg;
	int reused, rc;

	if (!dp->last_good) {
		*cause = xstrdup("there is no last good release");
		return -1;
	}
	if (release_parse(&lg, dp->last_good, dp->env->image_repository,
			  cause) < 0)
		return -1;
	log_info("bringing back the last good release %s", lg.digest);
	dp->kind = DEPLOY_ROLLBACK;	/* reuse its kept container */
	rc = dp_start_candidate(dp, &lg, "revive", target, &reused, cause);
	if (rc == 0)
		rc = dp_wait_healthy(dp, *target, cause);
	if (rc < 0 && reused && !deploy_interrupted)
		rc = revive_fresh(dp, &lg, target, cause);
	release_release(&lg);
	return rc;
}

void dp_discard_candidate(struct deploy *dp, const char *keep)
{
	char *why = NULL;

	if (!dp->candidate || (keep && !strcmp(dp->candidate, keep)))
		return;
	dp_show_logs(dp->d, dp->candidate);
	if (stack_stop(dp->d, dp->env, dp->candidate, !dp->candidate_reused,
		       &why) < 0) {
		log_warn("%s", why);
		free(why);
	}
}

/*
 * Before undoing anything: the Docker engine may be restarting (a crash, an
 * upgrade of the package). Waits up to ENGINE_WAIT_S for it to answer
 * again; its containers come back by their restart policy meanwhile.
 */
void dp_wait_engine(struct deploy *dp)
{
	long long deadline = clock_ms() + ENGINE_WAIT_S * 1000LL;
	char *why = NULL;
	int said = 0;

	docker_set_cancel(dp->d, NULL);	/* undoing is not cut short */
	while (docker_ping(dp->d, &why) < 0 && clock_ms() < deadline) {
		if (!said++)
			log_warn("the Docker engine does not answer (%s): "
				 "waiting up to %d s for it", why,
				 ENGINE_WAIT_S);
		free(why);
		why = NULL;
		sleep_ms(500);
	}
	free(why);
	if (said)
		log_info("the Docker engine answers again");
	docker_set_cancel(dp->d, &deploy_interrupted);
}

/*
 * Brings the last good release back: the one that still serves, or its
 * kept container. Returns 0 when it answers through the proxy again; the
 * caller records the outcome, then ends the journal.
 */
int dp_roll_back(struct deploy *dp, const char *reason, char **cause)
{
	char *target = NULL;
	int rc = -1;

	log_phase("rollback: %s", reason);
	deploy_interrupted = 0;
	dp_wait_engine(dp);
	if (dp->prev_running && dp_running(dp->d, dp->prev.container) == 1) {
		int thawed = 0;

		/* frozen by the database-changing path: it goes on */
		if (dp_thaw(dp, dp->prev.container, &thawed, cause) == 0 &&
		    (!thawed || dp_wait_healthy(dp, dp->prev.container,
						cause) == 0)) {
			target = xstrdup(dp->prev.container);
		} else {
			log_warn("%s: %s", dp->prev.container, *cause);
			free(*cause);
			*cause = NULL;
		}
	}
	if (!target && revive_last_good(dp, &target, cause) < 0)
		goto out;
	if ((dp->switched || !dp->prev_running ||
	     strcmp(target, dp->prev.container)) &&
	    proxy_switch(dp->d, dp->env, dp->proxy_id, target, 0, cause) < 0)
		goto out;
	/* the candidate goes once no nginx worker sends it requests */
	rc = dp_verify_proxy(dp, cause);
	dp_discard_candidate(dp, target);
	if (rc < 0)
		goto out;
	dp_kill_frozen(dp, target);	/* any other it froze: stopped */
	rc = -1;
	if (!dp->prev_running || !dp->prev.container ||
	    strcmp(target, dp->prev.container)) {
		struct current cur = { .digest = dp->last_good,
				       .container = target,
				       .since = (long)time(NULL) };

		if (state_write_current(dp->env->state_dir, &cur, cause) < 0)
			goto out;
	}
	log_info("%s serves again", target);
	rc = 0;
out:
	free(target);
	return rc;
}

/* The restore failed: the maintenance page stays; a person takes over. */
void dp_keep_maintenance(struct deploy *dp)
{
	char *why = NULL;

	if (dp->proxy_id && proxy_switch(dp->d, dp->env, dp->proxy_id,
					 dp->prev.container, 1, &why) < 0) {
		log_error("%s", why);
		free(why);
	}
}

/* A first release failed: nothing to go back to but the maintenance page. */
static void fail_first(struct deploy *dp)
{
	char *why = NULL;

	dp_discard_candidate(dp, NULL);
	if (dp->switched && dp->proxy_id &&
	    proxy_switch(dp->d, dp->env, dp->proxy_id, NULL, 1, &why) < 0) {
		log_error("%s", why);
		free(why);
	}
}

enum odooctl_exit dp_fail(struct deploy *dp, char *reason, char **cause)
{
	char *why = NULL;
	int upgraded = dp->upgrading;	/* dp_restore_db resets it */

	log_progress_done();
	if (dp->upgrading && dp_restore_db(dp, dp->rel->digest, &why) < 0) {
		dp_keep_maintenance(dp);
		dp_record(dp, dp->rel->digest, "failed");
		if (dp->pointed)
			*cause = xasprintf("%s; swapping back the rollback point "
					   "failed too: %s. The maintenance page "
					   "stays up. Run 'odooctl recover %s' "
					   "once PostgreSQL answers", reason, why,
					   dp->env->name);
		else
			*cause = xasprintf("%s; restoring the pre-deploy backup "
					   "failed too: %s. The maintenance page "
					   "stays up. Put the backup back with "
					   "'odooctl restore %s %s --force', then "
					   "run 'odooctl recover %s'", reason,
					   why, dp->backup ? dp->backup : "?",
					   dp->env->name, dp->env->name);
		free(why);
	} else if (!dp->last_good && !dp->prev_running) {
		fail_first(dp);
		dp_record(dp, dp->rel->digest, "failed");
		dp_end_journal(dp);
		*cause = xasprintf("%s (no earlier release to roll back to)",
				   reason);
	} else if (dp_roll_back(dp, reason, &why) == 0) {
		dp_record(dp, dp->rel->digest, "rolled_back");
		dp_end_journal(dp);
		dp_log_window(dp);
		if (dp->point)
			dp_drop_point(dp, 1, "rollback point dropped");
		*cause = xasprintf("%s; rolled back%s", reason,
				   !upgraded ? "" : dp->pointed ?
				   " (database and filestore swapped back to "
				   "the rollback point)" : dp->backup ?
				   " (database and filestore restored from "
				   "the pre-deploy backup)" : "");
	} else {
		dp_record(dp, dp->rel->digest, "failed");
		*cause = xasprintf("%s; rollback failed too: %s (run 'odooctl "
				   "recover %s')", reason, why, dp->env->name);
		free(why);
	}
	free(reason);
	return EXIT_FAILED;
}
