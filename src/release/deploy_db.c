/*
 * Releases that change the database: which addons to upgrade, the
 * writers stopped under the maintenance page, the rollback point (a clone
 * or a backup), the upgrade, and putting the database back when it fails.
 */
#include "release/deploy_priv.h"
#include "backup/backup.h"
#include "net/health.h"
#include "pg/pgx.h"
#include "core/log.h"
#include "stack/proxy.h"
#include "release/rbpoint.h"
#include "stack/stack.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The labels of the image of digest (a borrowed-free copy), or NULL. */
static json_t *image_labels(struct deploy *dp, const char *digest)
{
	struct release r;
	json_t *img = NULL, *labels = NULL;
	char *why = NULL;
	int found = 0;

	if (release_parse(&r, digest, dp->env->image_repository, &why) < 0) {
		free(why);
		return NULL;
	}
	if (docker_image_inspect(dp->d, r.ref, &img, &found, &why) < 0)
		free(why);
	else if (found)
		labels = json_incref(json_object_get(json_object_get(img,
					"Config"), "Labels"));
	json_decref(img);
	release_release(&r);
	return labels;
}

static void log_list(const char *what, char **v, size_t n)
{
	struct buf b;

	if (!n)
		return;
	buf_init(&b, 1 << 16);
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", v[i]);
	log_info("%s: %s", what, b.data);
	buf_release(&b);
}

/*
 * Which path the release takes: code-only (no addon to upgrade: the
 * zero-downtime path) or database-changing (an upgrade of the changed
 * addons under a maintenance page); upgrade_trigger says which changed
 * addons count (trigger.h). A first release, or a rollback, is code-only:
 * there is nothing to compare with, or nothing to upgrade. Each addon to
 * upgrade is recorded in history with why: upgrade:<addon>:<why>.
 */
void dp_classify(struct deploy *dp)
{
	enum upgrade_trigger t = trigger_parse(dp->env->upgrade_trigger);
	json_t *old, *new;

	if (dp->kind != DEPLOY_RELEASE || !dp->prev.digest ||
	    !strcmp(dp->prev.digest, dp->rel->digest))
		return;
	old = image_labels(dp, dp->prev.digest);
	new = image_labels(dp, dp->rel->digest);
	upgrade_diff(old, new, &dp->diff);
	trigger_apply(old, new, t, &dp->diff);
	json_decref(old);
	json_decref(new);
	if (dp->diff.unknown)
		log_info("the running release %s has no addon checksums: "
			 "every addon counts as changed", dp->prev.digest);
	log_list("changed addons", dp->diff.changed, dp->diff.nchanged);
	log_list("new addons", dp->diff.added, dp->diff.nadded);
	log_list("addons gone from the new release (uninstall them in Odoo "
		 "if they were installed)", dp->diff.removed,
		 dp->diff.nremoved);
	trigger_log(&dp->diff, t, dp->prev.digest);
	dp->db_path = upgrade_needed(&dp->diff);
	if (dp->db_path)
		dp->modules = upgrade_modules(&dp->diff);
	for (size_t i = 0; dp->db_path && trigger_name(&dp->diff, i); i++) {
		char *st = trigger_history_status(trigger_name(&dp->diff, i),
						  trigger_why(&dp->diff, i));

		dp_record(dp, dp->rel->digest, st);
		free(st);
	}
	log_phase("path: %s", dp->db_path ? "database-changing (backup, "
		  "maintenance page, module upgrade)" : "code-only (no addon "
		  "to upgrade: zero downtime)");
}

/*
 * Odoo's writers, crons included, frozen: every running release container
 * of env paused (the cgroup freezer: whatever it was doing stops there,
 * and if the release fails it goes on from there at once, warm, instead of
 * starting again), with no restart policy meanwhile (an engine that
 * restarts must not bring it back in the middle of the upgrade); then the
 * database's other sessions closed: what a frozen process had open rolls
 * back, and holds no lock that the upgrade would wait for.
 */
static int freeze_writers(struct deploy *dp, char **cause)
{
	struct pgx px;
	json_t *list, *c;
	size_t i;
	int rc = 0;

	if (stack_releases(dp->d, dp->env, &list, cause) < 0)
		return -1;
	json_array_foreach(list, i, c) {
		const char *state = docker_json_str(c, "State");
		const char *name = stack_entry_name(c);

		if (!name || !state || strcmp(state, "running"))
			continue;
		log_info("freezing %s (kept for the rollback: it goes on at "
			 "once if the release fails)", name);
		if ((rc = docker_container_set_restart(dp->d, name, "no",
						       cause)) < 0 ||
		    (rc = docker_container_pause(dp->d, name, cause)) < 0)
			break;
	}
	json_decref(list);
	if (rc < 0)
		return -1;
	if (pgx_open_live(dp->d, dp->env, &px, cause) < 0)
		return -1;
	rc = pgx_db_sessions_off(&px, dp->env->db_name, cause);
	pgx_close(&px);
	return rc;
}

/*
 * A pre-deploy backup, verified, journaled as phase with its path in *zip:
 * the rollback point itself ("backup", Odoo stopped), or the copy for
 * disaster recovery that a clone point keeps ("dr-backup", Odoo serving).
 */
static int predeploy_backup(struct deploy *dp, const char *phase, char **zip,
			    char **cause)
{
	struct backup_opts bo = { .env = dp->env,
				  .trigger = TRIGGER_PRE_DEPLOY };
	struct backup_result res;
	json_t *verdict = NULL;
	int lock = backup_lock(dp->env, cause), rc;

	if (lock < 0)
		return -1;
	rc = backup_create(dp->d, &bo, &res, cause);
	if (rc == 0) {
		*zip = xstrdup(res.zip);
		backup_result_release(&res);
		rc = dp_journal(dp, phase, *zip, cause);
	}
	if (rc == 0)	/* backup_verify says "verify <zip>" itself */
		rc = backup_verify(dp->d, dp->env, *zip, &verdict, cause);
	if (rc == 0 && !json_is_true(json_object_get(verdict, "ok"))) {
		const char *detail = json_string_value(json_object_get(verdict,
								"detail"));

		*cause = xasprintf("the pre-deploy backup %s does not verify: "
				   "%s", *zip, detail ? detail : "?");
		rc = -1;
	}
	json_decref(verdict);
	backup_unlock(lock);
	return rc < 0 ? -1 : 0;
}

/*
 * The rollback point, with Odoo's writers stopped: a clone (rbpoint.h),
 * or, with rollback_point = backup or when the clone fails, a verified
 * backup.
 */
static int rollback_point(struct deploy *dp, char **cause)
{
	char *name = rbpoint_name(dp->env), *why = NULL;
	int rc = 0;

	if (dp->clone) {
		log_phase("rollback point: a copy of database '%s' and hard "
			  "links of its filestore", dp->env->db_name);
		rc = dp_journal(dp, "point", name, cause);
		dp->point = rc == 0;
		if (rc == 0 && rbpoint_take(dp->d, dp->env, &why) == 0) {
			rc = dp_journal(dp, "pointed", name, cause);
			dp->pointed = rc == 0;
			free(name);
			return rc;
		}
		if (rc == 0 && dp_interrupted(cause))
			rc = -1;
		if (rc == 0)
			log_warn("the rollback point could not be cloned (%s): "
				 "taking a verified backup instead", why);
		free(why);
	}
	free(name);
	if (rc == 0)
		rc = predeploy_backup(dp, "backup", &dp->backup, cause);
	return rc;
}

/* Drops the clone point once nothing needs it (or a killed run's). */
void dp_drop_point(struct deploy *dp, int begun, const char *what)
{
	char *why = NULL;
	int found = 0;

	if (rbpoint_drop(dp->d, dp->env, begun, &found, &why) < 0) {
		log_warn("cannot drop the rollback point: %s (the next deploy "
			 "or 'odooctl recover %s' tries again)", why,
			 dp->env->name);
		free(why);
	} else if (found) {
		log_info("%s", what);
	}
}

static char *upgrade_log_path(struct deploy *dp)
{
	char stamp[21];

	time_iso8601((long)time(NULL), stamp);
	return xasprintf("%s/logs/upgrade-%s-%.19s.log", dp->env->state_dir,
			 stamp, dp->rel->digest + strlen("sha256:"));
}

/*
 * Maintenance page up, writers stopped, then (nothing can write any more)
 * the pre-deploy backup and its verification, then the module upgrade in a
 * one-off container of the new image. A backup taken before the writers
 * stop would lose, on a restore, whatever they wrote in between.
 */
int dp_phase_db(struct deploy *dp, char **cause)
{
	char *logs, *path, *dr = NULL;
	int rc;

	if (dp->clone) {	/* the copy kept for disaster recovery */
		log_info("a backup for disaster recovery, while the running "
			 "release serves");
		rc = predeploy_backup(dp, "dr-backup", &dr, cause);
		free(dr);
		if (rc < 0 || dp_interrupted(cause))
			return -1;
	}
	log_phase("maintenance: the proxy serves the maintenance page (503, "
		  "Retry-After)");
	if (dp_journal(dp, "maintenance", dp->prev.container, cause) < 0)
		return -1;
	dp_record(dp, dp->rel->digest, "maintenance");
	dp->maint_start = clock_ms();
	dp->maintenance = dp->switched = 1;
	/* Every nginx worker answers with the page before Odoo stops: an
	 * old one could still pass a request to it, which would get a 502. */
	if (proxy_switch(dp->d, dp->env, dp->proxy_id, dp->prev.container, 1,
			 cause) < 0 ||
	    dp_verify_proxy_with(dp, health_proxy_maintenance, cause) < 0)
		return -1;
	log_phase("freeze Odoo's writers");
	if (dp_journal(dp, "writers", NULL, cause) < 0 ||
	    freeze_writers(dp, cause) < 0 || dp_interrupted(cause))
		return -1;
	if (rollback_point(dp, cause) < 0 || dp_interrupted(cause))
		return -1;
	log_phase("upgrade: odoo -u %s", dp->modules);
	if (dp_journal(dp, "upgrade", dp->modules, cause) < 0)
		return -1;
	dp->upgrading = 1;
	logs = xasprintf("%s/logs", dp->env->state_dir);
	rc = mkdir_p(logs, 0700, cause);
	free(logs);
	if (rc < 0)
		return -1;
	path = upgrade_log_path(dp);
	rc = upgrade_run(dp->d, dp->env, dp->rel, dp->modules, path, cause);
	free(path);
	if (rc == 0 && dp_interrupted(cause))
		rc = -1;
	dp_record(dp, dp->rel->digest, rc == 0 ? "upgraded" : "upgrade_failed");
	if (rc == 0)
		log_info("upgraded: %s", dp->modules);
	return rc;
}

/*
 * After a failed upgrade (or one that may have run): nothing of the new
 * release may run, then the rollback point goes back, database and
 * filestore: the clone by renames, or the pre-deploy backup by a restore.
 * The caller brings the last good release back after.
 */
int dp_restore_db(struct deploy *dp, const char *digest, char **cause)
{
	struct restore_opts ro = { .env = dp->env, .zip = dp->backup,
				   .force = 1, .no_backup_first = 1 };
	char *why = NULL;
	int rc;

	deploy_interrupted = 0;	/* a signal must not cut the restore short */
	dp_wait_engine(dp);
	dp_discard_candidate(dp, NULL);
	free(dp->candidate);
	dp->candidate = NULL;
	if (upgrade_remove(dp->d, dp->env, &why) < 0) {
		*cause = xasprintf("cannot remove the upgrade container: %s",
				   why);
		free(why);
		return -1;
	}
	if (dp->pointed) {
		log_phase("swap back the rollback point: database '%s' and its "
			  "filestore", dp->env->db_name);
		rc = rbpoint_swap_back(dp->d, dp->env, cause);
	} else if (!dp->backup) {
		*cause = xstrdup("the journal names no pre-deploy backup");
		return -1;
	} else {
		log_phase("restore the database and filestore from %s",
			  dp->backup);
		rc = backup_restore(dp->d, &ro, cause);
	}
	if (rc < 0)
		return -1;
	dp_journal(dp, "restored", dp->pointed ? "point" : dp->backup, NULL);
	dp_record(dp, digest, "restored");
	dp->upgrading = 0;
	return 0;
}
