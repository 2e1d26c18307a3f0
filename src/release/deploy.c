#include "release/deploy_priv.h"
#include "backup/backup.h"
#include "pg/dbrole.h"
#include "pg/pg.h"
#include "gate/gate.h"
#include "gate/harden.h"
#include "release/journal.h"
#include "core/log.h"
#include "stack/proxy.h"
#include "release/rbpoint.h"
#include "stack/stack.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

volatile sig_atomic_t deploy_interrupted;

static enum odooctl_exit prepare(struct deploy *dp, char **cause)
{
	struct journal j;
	int exists = 0;
	char *why = NULL;

	if (journal_load(dp->env->state_dir, &j, &exists, cause) < 0)
		return EXIT_REFUSED;
	if (exists) {
		*cause = xasprintf("an unfinished %s of %s is in '%s/journal' "
				   "(phase %s): run 'odooctl recover %s'",
				   j.kind ? j.kind : "deploy",
				   j.digest ? j.digest : "an unknown release",
				   dp->env->state_dir,
				   j.last_phase ? j.last_phase : "begin",
				   dp->env->name);
		journal_release(&j);
		return EXIT_REFUSED;
	}
	if (state_read_current(dp->env->state_dir, &dp->prev, &why) < 0 ||
	    state_read_last_good(dp->env->state_dir, &dp->last_good,
				 &why) < 0) {
		*cause = xasprintf("%s (run 'odooctl recover %s' to rebuild it "
				   "from what serves)", why, dp->env->name);
		free(why);
		return EXIT_REFUSED;
	}
	dp->prev_running = dp_running(dp->d, dp->prev.container) == 1;
	if (proxy_container(dp->d, dp->env, &dp->proxy_id, &why) < 0) {
		*cause = xasprintf("gate 'docker' failed: %s", why);
		free(why);
		return EXIT_REFUSED;
	}
	return EXIT_OK;
}

static enum odooctl_exit gate(struct deploy *dp, char **cause)
{
	struct gate_input in = { .env = dp->env, .d = dp->d, .rel = dp->rel,
				 .first_release = !dp->prev.digest,
				 .proxy_id = dp->proxy_id, .keep = &dp->pg };
	json_t *img = NULL;
	int found = 0;
	char *why = NULL;

	log_phase("gate checks");
	if (dp->kind == DEPLOY_ROLLBACK &&
	    docker_image_inspect(dp->d, dp->rel->ref, &img, &found, &why) == 0)
		in.local_ok = found;
	free(why);
	json_decref(img);
	if (gate_run(&in, cause) < 0)
		return EXIT_REFUSED;
	return EXIT_OK;
}

static int begin(struct deploy *dp, char **cause)
{
	struct journal j = { .kind = dp->kind == DEPLOY_ROLLBACK ?
				     "rollback" : "deploy",
			     .digest = dp->rel->digest, .ref = dp->rel->ref,
			     .previous = dp->prev_running ? dp->prev.digest :
							    NULL,
			     .previous_container = dp->prev_running ?
						   dp->prev.container : NULL,
			     .operator = (char *)dp->operator,
			     .started = (long)time(NULL) };

	if (journal_begin(dp->env->state_dir, &j, cause) < 0)
		return -1;
	dp_record(dp, dp->rel->digest, "started");
	return 0;
}

/*
 * The gate of a database-changing release, which needs the pulled image's
 * labels: room for the pre-deploy backup, and for the clone that is the
 * rollback point (without it, the point is a backup). Nothing has changed
 * yet.
 */
static int gate_backup(struct deploy *dp, char **cause)
{
	char *why = NULL, *note = NULL;
	int rc = backup_check_space(dp->d, dp->env, &why);

	log_progress_done();
	dp->clone = !strcmp(dp->env->rollback_point, "clone");
	if (rc == 0 && dp->clone &&
	    rbpoint_room(dp->d, dp->env, &note, &why) < 0) {
		log_warn("gate rollback_point: %s: the rollback point will be "
			 "a verified backup taken under the maintenance page",
			 why);
		free(why);
		why = NULL;
		dp->clone = 0;
	} else if (rc == 0 && dp->clone) {
		log_info("gate %-9s ok (a clone%s%s)", "point",
			 note ? "; " : "", note ? note : "");
	}
	free(note);
	if (rc == 0) {
		log_info("gate %-9s ok", "backup");
		return 0;
	}
	*cause = xasprintf("gate 'backup' failed: %s", why);
	free(why);
	return -1;
}

/*
 * The hardening checks, on the pulled image (harden.h); an allowed
 * failure is recorded as allowed:CHECK. Rollbacks go back to a release
 * that passed (or was allowed) when it was deployed: not checked again.
 */
static int gate_harden(struct deploy *dp, char **cause)
{
	char *allowed = NULL, *save = NULL, *role = NULL, *why = NULL;

	if (dp->kind == DEPLOY_ROLLBACK)
		return 0;
	/* A cluster made before the stack's init script created it. */
	if (dbrole_ensure_on(dp->pg, dp->env, 0, &role, &why) < 0) {
		*cause = xasprintf("gate 'db_role' failed: %s", why);
		free(why);
		return -1;
	}
	free(role);
	if (harden_gate_on(dp->d, dp->env, dp->pg, dp->rel->ref, dp->proxy_id,
			   dp->allow, &allowed, cause) < 0)
		return -1;
	for (char *c = allowed ? strtok_r(allowed, ",", &save) : NULL; c;
	     c = strtok_r(NULL, ",", &save)) {
		char *status = xasprintf("allowed:%s", c);

		dp_record(dp, dp->rel->digest, status);
		free(status);
	}
	free(allowed);
	return 0;
}

/* Refused after begin, before anything changed: recorded, then ended. */
static enum odooctl_exit refuse_late(struct deploy *dp, char *reason,
				     char **cause)
{
	dp_record(dp, dp->rel->digest, "refused");
	dp_end_journal(dp);
	*cause = reason;
	return EXIT_REFUSED;
}

/*
 * The release serves, but its commit is the caller's: the journal ends
 * (a recover after this point is the caller's), nothing else is written.
 */
static enum odooctl_exit hold(struct deploy *dp, char **cause)
{
	char *why = NULL;

	if (journal_end(dp->env->state_dir, &why) < 0)
		return dp_fail(dp, why, cause);
	*dp->held = xstrdup(dp->candidate);
	log_phase("%s serves %s; committing it is left to the caller",
		  dp->candidate, dp->rel->digest);
	return EXIT_OK;
}

static enum odooctl_exit pipeline(struct deploy *dp, char **cause)
{
	char *why = NULL;

	if (dp_phase_pull(dp, &why) < 0 || dp_interrupted(&why))
		return dp_fail(dp, why, cause);
	if (!dp->proxy_id) {
		log_phase("stack: bringing up %s", dp->env->compose_project);
		if (proxy_write(dp->env, NULL, 1, &why) < 0 ||
		    stack_ensure_infra(dp->d, dp->env, dp->rel->ref, &why) < 0 ||
		    proxy_container(dp->d, dp->env, &dp->proxy_id, &why) < 0)
			return dp_fail(dp, why, cause);
		if (!dp->proxy_id)
			return dp_fail(dp, xstrdup("the proxy did not start"),
				       cause);
	}
	dp_classify(dp);
	if (dp->kind == DEPLOY_RELEASE && dp->prev.digest && !dp->db_path)
		dp_drop_point(dp, 0, "dropped the rollback point a killed run "
			      "left");
	if (gate_harden(dp, &why) < 0)
		return refuse_late(dp, why, cause);
	if (dp->db_path && gate_backup(dp, &why) < 0)
		return refuse_late(dp, why, cause);
	pg_close(dp->pg);	/* the database phase closes other sessions */
	dp->pg = NULL;
	if (dp->db_path && (dp_phase_db(dp, &why) < 0 || dp_interrupted(&why)))
		return dp_fail(dp, why, cause);
	log_phase("start %s%s", dp->rel->digest, dp->db_path ? "" :
		  " beside the running release");
	if (dp_start_candidate(dp, dp->rel, "candidate", &dp->candidate,
			       &dp->candidate_reused, &why) < 0)
		return dp_fail(dp, why, cause);
	log_info("container %s", dp->candidate);
	log_phase("health: /web/health?db_server_status=1 and database '%s'",
		  dp->env->db_name);
	dp_journal(dp, "health", NULL, NULL);
	if (dp_wait_healthy(dp, dp->candidate, &why) < 0)
		return dp_fail(dp, why, cause);
	log_phase("smoke tests");
	dp_journal(dp, "smoke", NULL, NULL);
	if (dp_phase_smoke(dp, &why) < 0 || dp_interrupted(&why))
		return dp_fail(dp, why, cause);
	if (dp_phase_switch(dp, &why) < 0 || dp_interrupted(&why))
		return dp_fail(dp, why, cause);
	if (!dp->db_path && dp_phase_drain(dp, &why) < 0)
		return dp_fail(dp, why, cause);
	if (dp->held)
		return hold(dp, cause);
	if (dp_commit(dp, dp->rel->digest, dp->candidate, dp_status_word(dp),
		      &why) < 0) {
		*cause = xasprintf("%s serves, but recording it failed: %s "
				   "(run 'odooctl recover %s')", dp->candidate,
				   why, dp->env->name);
		free(why);
		return EXIT_FAILED;
	}
	dp_write_last_deploy(dp, dp_status_word(dp));
	dp_log_window(dp);
	if (dp->point)
		dp_drop_point(dp, 1, "rollback point dropped: the release is "
			      "committed and healthy");
	log_phase("%s: %s serves %s", dp->kind == DEPLOY_ROLLBACK ?
		  "rolled back" : "deployed", dp->candidate, dp->rel->digest);
	return EXIT_OK;
}

void dp_deploy_release(struct deploy *dp)
{
	free(dp->proxy_id);
	current_release(&dp->prev);
	free(dp->last_good);
	free(dp->candidate);
	free(dp->modules);
	free(dp->backup);
	addon_diff_release(&dp->diff);
	pg_close(dp->pg);
	docker_free(dp->d);
}

enum odooctl_exit deploy_run(const struct config_env *env,
			     const struct release *rel, const char *operator,
			     enum deploy_kind kind, char **cause)
{
	return deploy_run_allow(env, rel, operator, kind, NULL, cause);
}

static enum odooctl_exit run(struct deploy *dp, char **cause)
{
	const struct config_env *env = dp->env;
	enum odooctl_exit rc;
	int lock;

	if (state_init(env->state_dir, cause) < 0)
		return EXIT_REFUSED;
	lock = state_lock(env->state_dir, cause);
	if (lock < 0)
		return EXIT_REFUSED;
	dp->d = docker_new(env->docker_socket);
	docker_set_cancel(dp->d, &deploy_interrupted);
	rc = prepare(dp, cause);
	if (rc == EXIT_OK)
		rc = gate(dp, cause);
	if (rc == EXIT_OK && deploy_interrupted) {
		*cause = xstrdup("interrupted by a signal before anything "
				 "changed");
		rc = EXIT_FAILED;
	}
	if (rc == EXIT_OK && begin(dp, cause) < 0)
		rc = EXIT_REFUSED;
	if (rc == EXIT_OK)
		rc = pipeline(dp, cause);
	dp_deploy_release(dp);
	state_unlock(lock);
	return rc;
}

enum odooctl_exit deploy_run_allow(const struct config_env *env,
				   const struct release *rel,
				   const char *operator, enum deploy_kind kind,
				   const char *allow, char **cause)
{
	struct deploy dp = { .env = env, .rel = rel, .operator = operator,
			     .kind = kind, .allow = allow };

	return run(&dp, cause);
}

enum odooctl_exit deploy_run_held(const struct config_env *env,
				  const struct release *rel,
				  const char *operator, char **container,
				  char **cause)
{
	struct deploy dp = { .env = env, .rel = rel, .operator = operator,
			     .kind = DEPLOY_RELEASE, .held = container };

	*container = NULL;
	return run(&dp, cause);
}
