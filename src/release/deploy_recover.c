/*
 * After a killed deploy: roll forward one that had committed, else bring
 * the last good release back; repair current and the proxy from what
 * serves. Also the target of a manual rollback.
 */
#include "release/deploy_priv.h"
#include "backup/backup.h"
#include "release/journal.h"
#include "core/log.h"
#include "stack/proxy.h"
#include "stack/stack.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* 1 when history has the outcome line of the deploy j describes. */
static int outcome_recorded(struct deploy *dp, const struct journal *j,
			    char **cause)
{
	struct history h;
	size_t skipped;
	int recorded = 0;

	if (history_load(dp->env->state_dir, &h, &skipped, cause) < 0)
		return -1;
	for (size_t i = 0; i < h.n; i++)
		if (h.e[i].time >= j->started &&
		    !strcmp(h.e[i].version, j->digest) &&
		    !strcmp(h.e[i].env, dp->env->name) &&
		    (!strcmp(h.e[i].status, "success") ||
		     !strcmp(h.e[i].status, "rollback")))
			recorded = 1;
	history_release(&h);
	return recorded;
}

/*
 * A killed deploy that had committed: its outcome line (in the name of
 * whoever deployed), last_good_sha and current, as dp_commit() would have.
 */
static int roll_forward(struct deploy *dp, const struct journal *j,
			char **cause)
{
	struct current cur = { .digest = j->digest, .container = j->candidate,
			       .since = (long)time(NULL) };
	const char *op = dp->operator;
	int recorded = outcome_recorded(dp, j, cause);

	if (recorded < 0)
		return -1;
	if (!recorded) {
		dp->operator = j->operator;
		dp_record(dp, j->digest, dp_status_word(dp));
		dp->operator = op;
	}
	dp_kill_frozen(dp, j->candidate);
	return state_write_last_good(dp->env->state_dir, j->digest, cause) < 0 ||
	       state_write_current(dp->env->state_dir, &cur, cause) < 0 ? -1 : 0;
}

/* Records the recovery, then (and only then) ends the journal. */
static enum odooctl_exit recovered(struct deploy *dp, const char *digest,
				   char **cause)
{
	if (digest)
		dp_record(dp, digest, "recovered");
	return journal_end(dp->env->state_dir, cause) < 0 ? EXIT_FAILED :
							     EXIT_OK;
}

/* A first release was killed: nothing good to return to but maintenance. */
static enum odooctl_exit recover_first(struct deploy *dp, struct journal *j,
				       char **cause)
{
	log_phase("recover: the first release %s never served; removing it",
		  j->digest ? j->digest : "(unknown)");
	dp_discard_candidate(dp, NULL);
	if (proxy_switch(dp->d, dp->env, dp->proxy_id, NULL, 1, cause) < 0)
		return EXIT_FAILED;
	return recovered(dp, j->digest, cause);
}

static enum odooctl_exit recover(struct deploy *dp, struct journal *j,
				 char **cause)
{
	char *why = NULL;
	int cand = 0;

	dp->kind = j->kind && !strcmp(j->kind, "rollback") ?
		DEPLOY_ROLLBACK : DEPLOY_RELEASE;
	if (!j->corrupted && j->committed && j->candidate &&
	    (cand = dp_running(dp->d, j->candidate)) < 0) {
		*cause = xasprintf("cannot tell whether %s runs; try again",
				   j->candidate);
		return EXIT_FAILED;
	}
	if (cand == 1) {
		log_phase("recover: the %s of %s had committed; finishing it",
			  j->kind, j->digest);
		if (roll_forward(dp, j, cause) < 0)
			return EXIT_FAILED;
		if (j->point)
			dp_drop_point(dp, 1, "rollback point dropped: the release "
				      "had committed");
		return recovered(dp, j->digest, cause);
	}
	dp->candidate = j->candidate ? xstrdup(j->candidate) : NULL;
	dp->candidate_reused = j->candidate_reused;
	dp->switched = 1;	/* whatever the proxy says, point it right */
	if (j->upgrading && !j->restored) {
		log_phase("recover: the upgrade of %s may have changed the "
			  "database", j->digest);
		dp->backup = j->backup ? xstrdup(j->backup) : NULL;
		dp->pointed = j->pointed;
		if (dp_restore_db(dp, j->digest, &why) < 0) {
			*cause = xasprintf("recover failed: %s (the maintenance "
					   "page stays up)", why);
			free(why);
			dp_keep_maintenance(dp);
			return EXIT_FAILED;
		}
	}
	if (!dp->last_good)
		return recover_first(dp, j, cause);
	/* (the writers phase froze it: the roll back below thaws it) */
	if (j->last_phase && dp->prev.container &&
	    !strcmp(j->last_phase, "drain")) {
		/* the killed deploy may have left a stop of it in flight */
		log_info("finishing the stop of %s the deploy began",
			 dp->prev.container);
		if (dp_stop_whole(dp, dp->prev.container, &why) < 0) {
			log_warn("%s", why);
			free(why);
			why = NULL;
		}
	}
	dp->prev_running = dp_running(dp->d, dp->prev.container) == 1 &&
			   dp->prev.digest &&
			   !strcmp(dp->prev.digest, dp->last_good);
	log_phase("recover: an unfinished %s of %s (phase %s)",
		  j->kind ? j->kind : "deploy",
		  j->digest ? j->digest : "an unknown release",
		  j->last_phase ? j->last_phase : "begin");
	if (dp_roll_back(dp, "the deploy was interrupted", &why) < 0) {
		*cause = xasprintf("recover failed: %s", why);
		free(why);
		return EXIT_FAILED;
	}
	if (j->point)
		dp_drop_point(dp, 1, "rollback point of the interrupted deploy "
			      "dropped");
	return recovered(dp, j->digest ? j->digest : dp->last_good, cause);
}

/*
 * The digest that history says was last good in env: the newest success,
 * rollback or recovered line; NULL when there is none.
 */
static char *history_last_good(const struct config_env *env, char **cause)
{
	struct history h;
	size_t skipped;
	char *digest = NULL;

	if (history_load(env->state_dir, &h, &skipped, cause) < 0)
		return NULL;
	for (size_t i = h.n; i-- > 0 && !digest;)
		if (!strcmp(h.e[i].env, env->name) &&
		    (!strcmp(h.e[i].status, "success") ||
		     !strcmp(h.e[i].status, "rollback") ||
		     !strcmp(h.e[i].status, "recovered")))
			digest = xstrdup(h.e[i].version);
	history_release(&h);
	return digest;
}

/* What serves, from the proxy's upstream and the container's labels. */
static int serving_now(struct deploy *dp, struct current *cur, char **cause)
{
	char *target = proxy_target(dp->env);
	struct container_state st;
	int found = 0;

	memset(cur, 0, sizeof(*cur));
	if (!target) {
		*cause = xstrdup("the proxy points at no release");
		return -1;
	}
	if (stack_inspect(dp->d, target, &st, &found, cause) < 0) {
		free(target);
		return -1;
	}
	if (!found || !st.running || !st.digest) {
		*cause = xasprintf("the proxy points at '%s', which %s", target,
				   !found ? "does not exist" : !st.running ?
				   "is not running" : "has no odooctl.release "
				   "label");
		if (found)
			container_state_release(&st);
		free(target);
		return -1;
	}
	cur->digest = xstrdup(st.digest);
	cur->container = target;
	cur->since = (long)time(NULL);
	container_state_release(&st);
	return 0;
}

/*
 * No dp_journal, but a state file that cannot be read (truncated, edited by
 * hand): rebuilt from what Docker, the proxy and the history say, so that
 * deploys can go on. *repaired = 0 when both files were fine.
 */
static int repair_state(struct deploy *dp, int *repaired, char **cause)
{
	const struct config_env *env = dp->env;
	struct current cur;
	char *why = NULL, *lg = NULL;
	int rc = 0;

	*repaired = 0;
	if (state_read_current(env->state_dir, &cur, &why) < 0) {
		log_warn("%s: rebuilding it", why);
		free(why);
		why = NULL;
		if (serving_now(dp, &cur, &why) < 0) {
			*cause = xasprintf("'%s/current' is corrupted and "
					   "cannot be rebuilt: %s",
					   env->state_dir, why);
			free(why);
			return -1;
		}
		rc = state_write_current(env->state_dir, &cur, cause);
		if (rc == 0)
			log_info("current: %s in %s (what the proxy serves)",
				 cur.digest, cur.container);
		*repaired = 1;
	}
	if (rc == 0 && state_read_last_good(env->state_dir, &lg, &why) < 0) {
		log_warn("%s: rebuilding it", why);
		free(why);
		why = NULL;
		lg = history_last_good(env, &why);
		if (!lg && cur.digest)
			lg = xstrdup(cur.digest);
		if (!lg) {
			*cause = xasprintf("'%s/last_good_sha' is corrupted and "
					   "neither the history nor current "
					   "names a good release%s%s",
					   env->state_dir, why ? ": " : "",
					   why ? why : "");
			rc = -1;
		} else {
			rc = state_write_last_good(env->state_dir, lg, cause);
			if (rc == 0)
				log_info("last_good_sha: %s", lg);
		}
		free(why);
		*repaired = 1;
	}
	if (rc == 0 && *repaired)
		dp_record(dp, cur.digest ? cur.digest : lg, "recovered");
	free(lg);
	current_release(&cur);
	return rc;
}

/*
 * No dp_journal, but the switch nginx rejects its configuration (upstream.conf
 * edited by hand): upstream.conf, odooctl's own file, is written again from
 * current and the nginx reloaded. nginx keeps serving with its last good
 * configuration meanwhile, so nothing the users see changes.
 */
static int repair_proxy(struct deploy *dp, int *repaired, char **cause)
{
	struct current cur;
	char *why = NULL;
	int rc;

	if (!dp->proxy_id || proxy_test(dp->d, dp->proxy_id, &why) == 0) {
		free(why);
		return 0;
	}
	log_warn("the proxy's nginx rejects its configuration: %s", why);
	free(why);
	why = NULL;
	if (state_read_current(dp->env->state_dir, &cur, cause) < 0)
		return -1;
	log_info("writing upstream.conf again for %s", cur.container ?
		 cur.container : "no release (maintenance)");
	rc = proxy_switch(dp->d, dp->env, dp->proxy_id, cur.container,
			  !cur.container, &why);
	if (rc < 0) {
		*cause = xasprintf("the proxy's nginx configuration is invalid, "
				   "and not because of upstream.conf (fix it "
				   "by hand): %s", why);
		free(why);
	} else {
		*repaired = 1;
		dp_record(dp, cur.digest ? cur.digest : dp->last_good,
			  "recovered");
	}
	current_release(&cur);
	return rc;
}

enum odooctl_exit deploy_recover(const struct config_env *env,
				 const char *operator, int *nothing,
				 char **cause)
{
	struct deploy dp = { .env = env, .operator = operator };
	struct journal j;
	enum odooctl_exit rc = EXIT_FAILED;
	int lock, exists = 0, resumed = 0;

	*nothing = 0;
	if (state_init(env->state_dir, cause) < 0)
		return EXIT_FAILED;
	lock = state_lock(env->state_dir, cause);
	if (lock < 0)
		return EXIT_REFUSED;
	dp.d = docker_new(env->docker_socket);
	{
		char *why = NULL;

		if (backup_resume_paused(dp.d, env, &resumed, &why) < 0) {
			log_warn("%s", why);
			free(why);
			why = NULL;
		}
		if (resumed) {
			struct current cur;

			if (state_read_current(env->state_dir, &cur, &why) == 0 &&
			    cur.digest)
				dp_record(&dp, cur.digest, "recovered");
			free(why);
			current_release(&cur);
		}
	}
	if (journal_load(env->state_dir, &j, &exists, cause) < 0)
		goto out;
	if (!exists) {
		int repaired = 0, fixed = 0;

		rc = EXIT_FAILED;
		if (repair_state(&dp, &repaired, cause) < 0 ||
		    proxy_container(dp.d, env, &dp.proxy_id, cause) < 0 ||
		    state_read_last_good(env->state_dir, &dp.last_good,
					 cause) < 0 ||
		    repair_proxy(&dp, &fixed, cause) < 0)
			goto out;
		rc = EXIT_OK;
		if (dp.proxy_id && dp.last_good)
			dp_drop_point(&dp, 0, "dropped the rollback point a killed "
				      "run left");
		*nothing = !repaired && !fixed && !resumed;
		goto out;
	}
	if (state_read_last_good(env->state_dir, &dp.last_good, cause) < 0 ||
	    proxy_container(dp.d, env, &dp.proxy_id, cause) < 0)
		goto out;
	if (state_read_current(env->state_dir, &dp.prev, cause) < 0) {
		log_warn("%s: ignored", *cause);
		free(*cause);
		*cause = NULL;
	}
	if (!dp.proxy_id) {
		*cause = xasprintf("no running '%s' container in project '%s'",
				   env->switch_service, env->compose_project);
		goto out;
	}
	rc = recover(&dp, &j, cause);
out:
	if (exists)
		journal_release(&j);
	dp_deploy_release(&dp);
	state_unlock(lock);
	return rc;
}

int deploy_rollback_target(const struct config_env *env, char **digest,
			   char **cause)
{
	struct current cur;
	struct history h;
	size_t skipped;
	char *lg = NULL;

	*digest = NULL;
	if (state_read_current(env->state_dir, &cur, cause) < 0)
		return -1;
	if (state_read_last_good(env->state_dir, &lg, cause) < 0) {
		current_release(&cur);
		return -1;
	}
	if (lg && (!cur.digest || strcmp(lg, cur.digest))) {
		*digest = lg;
		current_release(&cur);
		return 0;
	}
	free(lg);
	if (history_load(env->state_dir, &h, &skipped, cause) < 0) {
		current_release(&cur);
		return -1;
	}
	for (size_t i = h.n; i-- > 0 && !*digest;) {
		struct history_entry *e = &h.e[i];

		if (!strcmp(e->env, env->name) &&
		    (!strcmp(e->status, "success") ||
		     !strcmp(e->status, "rollback")) &&
		    (!cur.digest || strcmp(e->version, cur.digest)))
			*digest = xstrdup(e->version);
	}
	history_release(&h);
	current_release(&cur);
	if (!*digest)
		*cause = xasprintf("no earlier good release of '%s' in the "
				   "history", env->name);
	return *digest ? 0 : -1;
}
