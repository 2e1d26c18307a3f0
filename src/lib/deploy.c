#include "deploy.h"
#include "backup.h"
#include "docker.h"
#include "gate.h"
#include "dbrole.h"
#include "harden.h"
#include "health.h"
#include "journal.h"
#include "log.h"
#include "proxy.h"
#include "rbpoint.h"
#include "stack.h"
#include "state.h"
#include "trigger.h"
#include "upgrade.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROXY_VERIFY_MS 10000
#define PROXY_VERIFY_RUN 5
#define LOG_TAIL 15
#define ENGINE_WAIT_S 90

volatile sig_atomic_t deploy_interrupted;

struct deploy {
	const struct config_env *env;
	const struct release *rel;
	const char *operator;
	enum deploy_kind kind;
	const char *allow;	/* hardening checks allowed to fail */
	char **held;		/* deploy_run_held: the caller commits */
	struct docker *d;
	char *proxy_id;
	struct current prev;	/* what served before; digest NULL if none */
	int prev_running;
	char *last_good;
	char *candidate;	/* container name of the new release */
	int candidate_reused;	/* an existing (stopped) container */
	int switched;
	/* a release that changes the database */
	struct addon_diff diff;
	int db_path;		/* it takes the database-changing path */
	char *modules;		/* what -u gets */
	char *backup;		/* the complete pre-deploy backup */
	int clone;		/* the rollback point is a clone */
	int point;		/* one was (perhaps) begun: drop it after */
	int pointed;		/* ... and it is complete */
	int maintenance;	/* the maintenance page went up */
	int upgrading;		/* the upgrade ran: the database may differ */
	long long maint_start;	/* clock_ms() when the page went up */
};

static const char *status_word(const struct deploy *dp)
{
	return dp->kind == DEPLOY_ROLLBACK ? "rollback" : "success";
}

static void record(const struct deploy *dp, const char *digest,
		   const char *status)
{
	char *why = NULL;

	if (history_append(dp->env->state_dir, digest, dp->env->name, status,
			   dp->operator, &why) < 0) {
		log_error("history: %s", why);
		free(why);
	}
}

/*
 * Journals a phase before it acts. The phases recover depends on
 * (candidate, switch, commit) make the deploy fail when they cannot be
 * written; the others only warn.
 */
static int journal(const struct deploy *dp, const char *phase,
		   const char *arg, char **cause)
{
	char *why = NULL;

	if (journal_phase(dp->env->state_dir, phase, arg, &why) == 0)
		return 0;
	if (!cause) {
		log_warn("journal: %s", why);
		free(why);
		return 0;
	}
	*cause = xasprintf("journal: %s", why);
	free(why);
	return -1;
}

static int interrupted(char **cause)
{
	if (!deploy_interrupted)
		return 0;
	*cause = xstrdup("interrupted by a signal");
	return -1;
}

/* 1 when the container runs, 0 when not (or absent), -1 when unknown. */
static int running(struct docker *d, const char *name)
{
	struct container_state st;
	char *why = NULL;
	int found = 0, r;

	if (!name)
		return 0;
	if (stack_inspect(d, name, &st, &found, &why) < 0) {
		log_debug("%s", why);
		free(why);
		return -1;
	}
	r = found && st.running;
	container_state_release(&st);
	return r;
}

static void show_logs(struct docker *d, const char *name)
{
	struct buf out;
	char *why = NULL, *save = NULL, *line;

	buf_init(&out, 1 << 20);
	if (docker_container_logs(d, name, LOG_TAIL, &out, &why) < 0) {
		free(why);
	} else if (out.len) {
		log_info("last lines of %s:", name);
		for (line = strtok_r(out.data, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			log_info("  | %s", line);
	}
	buf_release(&out);
}

static void progress(const char *what, long long done, long long total,
		     void *arg)
{
	char d[32], t[32];

	(void)arg;
	fmt_bytes(done, d);
	fmt_bytes(total, t);
	if (total > 0)
		log_progress("%s: %s / %s", what, d, t);
	else
		log_progress("%s", what);
}

static int phase_pull(struct deploy *dp, char **cause)
{
	json_t *img = NULL;
	int found = 0;

	if (docker_image_inspect(dp->d, dp->rel->ref, &img, &found, cause) < 0)
		return -1;
	json_decref(img);
	if (found) {
		log_phase("pull: %s is already here", dp->rel->ref);
		return 0;
	}
	log_phase("pull %s", dp->rel->ref);
	if (docker_image_pull(dp->d, dp->rel->ref, progress, NULL, cause) < 0)
		return -1;
	log_progress_done();
	return 0;
}

/*
 * Starts a container of rel: for a rollback its kept container when there
 * is one (or the one already running), else a new one. The name is
 * journaled under `phase` before anything starts, so recover can find it.
 */
static int start_candidate(struct deploy *dp, const struct release *rel,
			   const char *phase, char **name, int *reused,
			   char **cause)
{
	char *existing = NULL, *arg;
	int run = 0, rc;

	*reused = 0;
	if (dp->kind == DEPLOY_ROLLBACK &&
	    stack_release_container(dp->d, dp->env, rel->digest, &existing,
				    cause) < 0)
		return -1;
	if (existing && (run = running(dp->d, existing)) < 0) {
		*cause = xasprintf("cannot tell whether %s runs", existing);
		free(existing);
		return -1;
	}
	*reused = existing != NULL;
	*name = existing ? existing : stack_release_name(dp->env, rel);
	arg = xasprintf("%s%s", *name, *reused ? " reused" : "");
	rc = journal(dp, phase, arg, cause);
	free(arg);
	if (rc < 0)
		return -1;
	if (run)
		return 0;
	if (*reused) {
		log_info("starting the kept container %s", *name);
		return docker_container_start(dp->d, *name, cause);
	}
	return stack_start_release(dp->d, dp->env, rel, *name, cause);
}

/*
 * Waits one health interval, watching the container's events so a crash
 * is seen at once rather than at the next probe. -1 when interrupted.
 */
static int pause_or_die(struct deploy *dp, const char *name)
{
	long long start = clock_ms(), left;
	long wait = dp->env->health_interval;
	char *action = NULL, *why = NULL;

	if (docker_container_wait_event(dp->d, name, wait > 30 ? 30 : (int)wait,
					&action, &why) < 0) {
		log_debug("%s", why);
		free(why);
	}
	if (action) {
		log_info("%s: event '%s'", name, action);
		free(action);
		return deploy_interrupted ? -1 : 0;
	}
	left = wait * 1000 - (clock_ms() - start);
	if (left > 0 && sleep_ms(left) < 0)
		return -1;
	return deploy_interrupted ? -1 : 0;
}

/*
 * Waits until name is healthy and ready health_successes probes in a row
 * (a flapping release never gets there), or gives up after health_retries
 * probes.
 */
static int wait_healthy(struct deploy *dp, const char *name, char **cause)
{
	const struct config_env *env = dp->env;
	char *last = NULL;
	long good = 0;

	for (long i = 1; i <= env->health_retries; i++) {
		struct container_state st;
		int found = 0, rc;

		if (interrupted(cause) ||
		    stack_inspect(dp->d, name, &st, &found, cause) < 0)
			goto fail;
		if (!found || !st.running) {
			*cause = xasprintf("release container %s %s (exit "
					   "code %d)", name,
					   found ? "exited" : "vanished",
					   st.exit_code);
			container_state_release(&st);
			goto fail;
		}
		{
			char *url = xasprintf("http://127.0.0.1:%d",
					      st.http_port);

			free(last);
			last = NULL;
			rc = health_probe(env, url, &last);
			free(url);
		}
		container_state_release(&st);
		if (rc == 0 && ++good >= env->health_successes) {
			log_progress_done();
			log_info("healthy after %ld probe%s", i,
				 i > 1 ? "s" : "");
			free(last);
			return 0;
		}
		if (rc == 0) {
			log_progress("healthy %ld/%ld in a row (probe %ld/%ld)",
				     good, env->health_successes, i,
				     env->health_retries);
			free(last);
			last = xstrdup("healthy, but not enough times in a "
				       "row");
		} else {
			if (good)
				log_info("healthy %ld time%s, then not: %s",
					 good, good > 1 ? "s" : "", last);
			good = 0;
			log_progress("waiting for health (%ld/%ld): %s", i,
				     env->health_retries, last);
		}
		if (i < env->health_retries && pause_or_die(dp, name) < 0 &&
		    interrupted(cause))
			goto fail;
	}
	*cause = xasprintf("not healthy after %ld probes every %ld s: %s",
			   env->health_retries, env->health_interval, last);
fail:
	log_progress_done();
	free(last);
	return -1;
}

static char *base_url(struct deploy *dp, const char *name)
{
	struct container_state st;
	char *why = NULL, *url = NULL;
	int found = 0;

	if (stack_inspect(dp->d, name, &st, &found, &why) == 0 && found &&
	    st.http_port > 0)
		url = xasprintf("http://127.0.0.1:%d", st.http_port);
	free(why);
	container_state_release(&st);
	return url;
}

static int phase_smoke(struct deploy *dp, char **cause)
{
	char *url = base_url(dp, dp->candidate);
	int rc;

	if (!url) {
		*cause = xasprintf("release container %s has no published "
				   "port", dp->candidate);
		return -1;
	}
	rc = health_smoke(dp->env, url, cause);
	free(url);
	return rc;
}

/*
 * The proxy answers through the release it was switched to. `nginx -s
 * reload` returns before the old workers stop accepting, so one good
 * answer proves little: several in a row, over a few hundred ms, do.
 */
static int verify_proxy_with(struct deploy *dp,
			     int (*check)(const struct config_env *, char **),
			     char **cause)
{
	long long deadline = clock_ms() + PROXY_VERIFY_MS;
	int good = 0;

	while (good < PROXY_VERIFY_RUN) {
		free(*cause);
		*cause = NULL;
		if (check(dp->env, cause) == 0) {
			good++;
		} else {
			good = 0;
			if (clock_ms() > deadline)
				return -1;
		}
		sleep_ms(100);
	}
	return 0;
}

static int verify_proxy(struct deploy *dp, char **cause)
{
	return verify_proxy_with(dp, health_proxy, cause);
}

/*
 * Stops a container and waits for it, even through a signal: a stop whose
 * request is dropped half-way goes on in the daemon, and would kill the
 * container again after the rollback started it.
 */
static int stop_whole(struct deploy *dp, const char *name, char **cause)
{
	int rc;

	docker_set_cancel(dp->d, NULL);
	rc = stack_stop(dp->d, dp->env, name, 0, cause);
	docker_set_cancel(dp->d, &deploy_interrupted);
	return rc;
}

static int phase_switch(struct deploy *dp, char **cause)
{
	log_phase("switch: proxy -> %s", dp->candidate);
	if (journal(dp, "switch", dp->candidate, cause) < 0)
		return -1;
	dp->switched = 1;
	if (proxy_switch(dp->d, dp->env, dp->proxy_id, dp->candidate, 0,
			 cause) < 0)
		return -1;
	return verify_proxy(dp, cause);
}

/*
 * The old release finishes its requests, then stops (kept). A signal
 * during the wait makes the deploy roll back: it has not committed, and the
 * old release still runs, so the switch back is instant.
 */
static int phase_drain(struct deploy *dp, char **cause)
{
	char *why = NULL;

	if (!dp->prev_running || !strcmp(dp->prev.container, dp->candidate))
		return 0;
	journal(dp, "drain", dp->prev.container, NULL);
	log_phase("drain: %s keeps serving its requests for %ld s",
		  dp->prev.container, dp->env->drain_seconds);
	sleep_ms(dp->env->drain_seconds * 1000);	/* a signal ends it */
	if (interrupted(cause) < 0)
		return -1;
	if (stop_whole(dp, dp->prev.container, &why) < 0) {
		log_warn("%s", why);
		free(why);
	} else {
		log_info("stopped %s (kept for instant rollback)",
			 dp->prev.container);
	}
	return interrupted(cause);
}

static int commit(struct deploy *dp, const char *digest, const char *name,
		  const char *status, char **cause)
{
	struct current cur = { .digest = (char *)digest,
			       .container = (char *)name,
			       .since = (long)time(NULL) };
	const char *spare[] = { name, NULL };
	char *why = NULL;

	if (journal(dp, "commit", name, cause) < 0)
		return -1;
	record(dp, digest, status);
	if (state_write_last_good(dp->env->state_dir, digest, cause) < 0 ||
	    state_write_current(dp->env->state_dir, &cur, cause) < 0)
		return -1;
	if (stack_prune(dp->d, dp->env, dp->env->keep_releases, spare,
			&why) < 0) {
		log_warn("%s", why);
		free(why);
	}
	return journal_end(dp->env->state_dir, cause);
}

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
	show_logs(dp->d, *target);
	if (stack_stop(dp->d, dp->env, *target, 1, &why) < 0) {
		log_warn("%s", why);
		free(why);
	}
	free(*target);
	*target = stack_release_name(dp->env, lg);
	rc = journal(dp, "revive", *target, cause);
	if (rc == 0)
		rc = stack_start_release(dp->d, dp->env, lg, *target, cause);
	if (rc == 0)
		rc = wait_healthy(dp, *target, cause);
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
	rc = start_candidate(dp, &lg, "revive", target, &reused, cause);
	if (rc == 0)
		rc = wait_healthy(dp, *target, cause);
	if (rc < 0 && reused && !deploy_interrupted)
		rc = revive_fresh(dp, &lg, target, cause);
	release_release(&lg);
	return rc;
}

static void discard_candidate(struct deploy *dp, const char *keep)
{
	char *why = NULL;

	if (!dp->candidate || (keep && !strcmp(dp->candidate, keep)))
		return;
	show_logs(dp->d, dp->candidate);
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
static void wait_engine(struct deploy *dp)
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
static int roll_back(struct deploy *dp, const char *reason, char **cause)
{
	char *target = NULL;
	int rc = -1;

	log_phase("rollback: %s", reason);
	deploy_interrupted = 0;
	wait_engine(dp);
	if (dp->prev_running && running(dp->d, dp->prev.container) == 1)
		target = xstrdup(dp->prev.container);
	else if (revive_last_good(dp, &target, cause) < 0)
		goto out;
	if ((dp->switched || !dp->prev_running) &&
	    proxy_switch(dp->d, dp->env, dp->proxy_id, target, 0, cause) < 0)
		goto out;
	/* the candidate goes once no nginx worker sends it requests */
	rc = verify_proxy(dp, cause);
	discard_candidate(dp, target);
	if (rc < 0)
		goto out;
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

/* ---- releases that change the database ---------------------------------- */

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
static void classify(struct deploy *dp)
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

		record(dp, dp->rel->digest, st);
		free(st);
	}
	log_phase("path: %s", dp->db_path ? "database-changing (backup, "
		  "maintenance page, module upgrade)" : "code-only (no addon "
		  "to upgrade: zero downtime)");
}

/* Every running release container of env: Odoo's writers, crons included. */
static int stop_writers(struct deploy *dp, char **cause)
{
	json_t *list, *c;
	size_t i;
	int rc = 0;

	if (stack_releases(dp->d, dp->env, &list, cause) < 0)
		return -1;
	json_array_foreach(list, i, c) {
		const char *state = docker_json_str(c, "State");
		json_t *names = json_object_get(c, "Names");
		const char *name = json_string_value(json_array_get(names, 0));

		if (!name || !state || strcmp(state, "running"))
			continue;
		name += *name == '/';
		log_info("stopping %s (kept for the rollback)", name);
		if ((rc = stop_whole(dp, name, cause)) < 0)
			break;
	}
	json_decref(list);
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
		rc = journal(dp, phase, *zip, cause);
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
		rc = journal(dp, "point", name, cause);
		dp->point = rc == 0;
		if (rc == 0 && rbpoint_take(dp->d, dp->env, &why) == 0) {
			rc = journal(dp, "pointed", name, cause);
			dp->pointed = rc == 0;
			free(name);
			return rc;
		}
		if (rc == 0 && interrupted(cause))
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
static void drop_point(struct deploy *dp, const char *what)
{
	char *why = NULL;
	int found = 0;

	if (rbpoint_drop(dp->d, dp->env, &found, &why) < 0) {
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
static int phase_db(struct deploy *dp, char **cause)
{
	char *logs, *path, *dr = NULL;
	int rc;

	if (dp->clone) {	/* the copy kept for disaster recovery */
		log_info("a backup for disaster recovery, while the running "
			 "release serves");
		rc = predeploy_backup(dp, "dr-backup", &dr, cause);
		free(dr);
		if (rc < 0 || interrupted(cause))
			return -1;
	}
	log_phase("maintenance: the proxy serves the maintenance page (503, "
		  "Retry-After)");
	if (journal(dp, "maintenance", dp->prev.container, cause) < 0)
		return -1;
	record(dp, dp->rel->digest, "maintenance");
	dp->maint_start = clock_ms();
	dp->maintenance = dp->switched = 1;
	/* Every nginx worker answers with the page before Odoo stops: an
	 * old one could still pass a request to it, which would get a 502. */
	if (proxy_switch(dp->d, dp->env, dp->proxy_id, dp->prev.container, 1,
			 cause) < 0 ||
	    verify_proxy_with(dp, health_proxy_maintenance, cause) < 0)
		return -1;
	log_phase("stop Odoo's writers");
	if (journal(dp, "writers", NULL, cause) < 0 ||
	    stop_writers(dp, cause) < 0 || interrupted(cause))
		return -1;
	if (rollback_point(dp, cause) < 0 || interrupted(cause))
		return -1;
	log_phase("upgrade: odoo -u %s", dp->modules);
	if (journal(dp, "upgrade", dp->modules, cause) < 0)
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
	if (rc == 0 && interrupted(cause))
		rc = -1;
	record(dp, dp->rel->digest, rc == 0 ? "upgraded" : "upgrade_failed");
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
static int restore_db(struct deploy *dp, const char *digest, char **cause)
{
	struct restore_opts ro = { .env = dp->env, .zip = dp->backup,
				   .force = 1, .no_backup_first = 1 };
	char *why = NULL;
	int rc;

	deploy_interrupted = 0;	/* a signal must not cut the restore short */
	wait_engine(dp);
	discard_candidate(dp, NULL);
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
	journal(dp, "restored", dp->pointed ? "point" : dp->backup, NULL);
	record(dp, digest, "restored");
	dp->upgrading = 0;
	return 0;
}

/* How long clients got the maintenance page, once it is down again. */
static void log_window(const struct deploy *dp)
{
	if (dp->maintenance)
		log_info("maintenance page was up for %.1f s",
			 (double)(clock_ms() - dp->maint_start) / 1000.0);
}

/* The restore failed: the maintenance page stays; a person takes over. */
static void keep_maintenance(struct deploy *dp)
{
	char *why = NULL;

	if (dp->proxy_id && proxy_switch(dp->d, dp->env, dp->proxy_id,
					 dp->prev.container, 1, &why) < 0) {
		log_error("%s", why);
		free(why);
	}
}

/* What status shows of the release that serves: which path it took. */
static void write_last_deploy(struct deploy *dp, const char *status)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:I}", "digest",
			      dp->rel->digest, "status", status, "path",
			      dp->db_path ? "database-changing" : "code-only",
			      "at", (json_int_t)time(NULL));
	json_t *up = json_array(), *reasons = json_object();
	json_t *held = json_array();
	char *why = NULL;

	for (size_t i = 0; dp->db_path && trigger_name(&dp->diff, i); i++) {
		char *w = trigger_why_text(trigger_why(&dp->diff, i));

		json_array_append_new(up, json_string(trigger_name(&dp->diff,
								   i)));
		json_object_set_new(reasons, trigger_name(&dp->diff, i),
				    json_string(w));
		free(w);
	}
	for (size_t i = 0; i < dp->diff.nheld; i++)
		json_array_append_new(held, json_string(dp->diff.held[i]));
	json_object_set_new(o, "upgraded", up);
	json_object_set_new(o, "upgraded_why", reasons);
	json_object_set_new(o, "not_upgraded", held);
	json_object_set_new(o, "upgrade_trigger", json_string(
		dp->diff.fallback ? "checksum (fallback)" :
		trigger_parse(dp->env->upgrade_trigger) == UPGRADE_BY_VERSION ?
		"version" : "checksum"));
	if (dp->backup)
		json_object_set_new(o, "backup", json_string(dp->backup));
	if (dp->maintenance)
		json_object_set_new(o, "maintenance_seconds", json_real(
			(double)(clock_ms() - dp->maint_start) / 1000.0));
	if (state_write_last_deploy(dp->env->state_dir, o, &why) < 0) {
		log_warn("%s", why);
		free(why);
	}
	json_decref(o);
}

static void end_journal(const struct deploy *dp)
{
	char *why = NULL;

	if (journal_end(dp->env->state_dir, &why) < 0) {
		log_error("%s", why);
		free(why);
	}
}

/* A first release failed: nothing to go back to but the maintenance page. */
static void fail_first(struct deploy *dp)
{
	char *why = NULL;

	discard_candidate(dp, NULL);
	if (dp->switched && dp->proxy_id &&
	    proxy_switch(dp->d, dp->env, dp->proxy_id, NULL, 1, &why) < 0) {
		log_error("%s", why);
		free(why);
	}
}

static enum odooctl_exit fail(struct deploy *dp, char *reason, char **cause)
{
	char *why = NULL;
	int upgraded = dp->upgrading;	/* restore_db resets it */

	log_progress_done();
	if (dp->upgrading && restore_db(dp, dp->rel->digest, &why) < 0) {
		keep_maintenance(dp);
		record(dp, dp->rel->digest, "failed");
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
		record(dp, dp->rel->digest, "failed");
		end_journal(dp);
		*cause = xasprintf("%s (no earlier release to roll back to)",
				   reason);
	} else if (roll_back(dp, reason, &why) == 0) {
		record(dp, dp->rel->digest, "rolled_back");
		end_journal(dp);
		log_window(dp);
		if (dp->point)
			drop_point(dp, "rollback point dropped");
		*cause = xasprintf("%s; rolled back%s", reason,
				   !upgraded ? "" : dp->pointed ?
				   " (database and filestore swapped back to "
				   "the rollback point)" : dp->backup ?
				   " (database and filestore restored from "
				   "the pre-deploy backup)" : "");
	} else {
		record(dp, dp->rel->digest, "failed");
		*cause = xasprintf("%s; rollback failed too: %s (run 'odooctl "
				   "recover %s')", reason, why, dp->env->name);
		free(why);
	}
	free(reason);
	return EXIT_FAILED;
}

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
	dp->prev_running = running(dp->d, dp->prev.container) == 1;
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
				 .proxy_id = dp->proxy_id };
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
	record(dp, dp->rel->digest, "started");
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
	if (dbrole_ensure(dp->env, 0, &role, &why) < 0) {
		*cause = xasprintf("gate 'db_role' failed: %s", why);
		free(why);
		return -1;
	}
	free(role);
	if (harden_gate(dp->d, dp->env, dp->rel->ref, dp->proxy_id,
			dp->allow, &allowed, cause) < 0)
		return -1;
	for (char *c = allowed ? strtok_r(allowed, ",", &save) : NULL; c;
	     c = strtok_r(NULL, ",", &save)) {
		char *status = xasprintf("allowed:%s", c);

		record(dp, dp->rel->digest, status);
		free(status);
	}
	free(allowed);
	return 0;
}

/* Refused after begin, before anything changed: recorded, then ended. */
static enum odooctl_exit refuse_late(struct deploy *dp, char *reason,
				     char **cause)
{
	record(dp, dp->rel->digest, "refused");
	end_journal(dp);
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
		return fail(dp, why, cause);
	*dp->held = xstrdup(dp->candidate);
	log_phase("%s serves %s; committing it is left to the caller",
		  dp->candidate, dp->rel->digest);
	return EXIT_OK;
}

static enum odooctl_exit pipeline(struct deploy *dp, char **cause)
{
	char *why = NULL;

	if (phase_pull(dp, &why) < 0 || interrupted(&why))
		return fail(dp, why, cause);
	if (!dp->proxy_id) {
		log_phase("stack: bringing up %s", dp->env->compose_project);
		if (proxy_write(dp->env, NULL, 1, &why) < 0 ||
		    stack_ensure_infra(dp->d, dp->env, dp->rel->ref, &why) < 0 ||
		    proxy_container(dp->d, dp->env, &dp->proxy_id, &why) < 0)
			return fail(dp, why, cause);
		if (!dp->proxy_id)
			return fail(dp, xstrdup("the proxy did not start"),
				    cause);
	}
	classify(dp);
	if (dp->kind == DEPLOY_RELEASE && dp->prev.digest && !dp->db_path)
		drop_point(dp, "dropped the rollback point a killed run left");
	if (gate_harden(dp, &why) < 0)
		return refuse_late(dp, why, cause);
	if (dp->db_path && gate_backup(dp, &why) < 0)
		return refuse_late(dp, why, cause);
	if (dp->db_path && (phase_db(dp, &why) < 0 || interrupted(&why)))
		return fail(dp, why, cause);
	log_phase("start %s%s", dp->rel->digest, dp->db_path ? "" :
		  " beside the running release");
	if (start_candidate(dp, dp->rel, "candidate", &dp->candidate,
			    &dp->candidate_reused, &why) < 0)
		return fail(dp, why, cause);
	log_info("container %s", dp->candidate);
	log_phase("health: /web/health?db_server_status=1 and database '%s'",
		  dp->env->db_name);
	journal(dp, "health", NULL, NULL);
	if (wait_healthy(dp, dp->candidate, &why) < 0)
		return fail(dp, why, cause);
	log_phase("smoke tests");
	journal(dp, "smoke", NULL, NULL);
	if (phase_smoke(dp, &why) < 0 || interrupted(&why))
		return fail(dp, why, cause);
	if (phase_switch(dp, &why) < 0 || interrupted(&why))
		return fail(dp, why, cause);
	if (!dp->db_path && phase_drain(dp, &why) < 0)
		return fail(dp, why, cause);
	if (dp->held)
		return hold(dp, cause);
	if (commit(dp, dp->rel->digest, dp->candidate, status_word(dp),
		   &why) < 0) {
		*cause = xasprintf("%s serves, but recording it failed: %s "
				   "(run 'odooctl recover %s')", dp->candidate,
				   why, dp->env->name);
		free(why);
		return EXIT_FAILED;
	}
	write_last_deploy(dp, status_word(dp));
	log_window(dp);
	if (dp->point)
		drop_point(dp, "rollback point dropped: the release is "
			   "committed and healthy");
	log_phase("%s: %s serves %s", dp->kind == DEPLOY_ROLLBACK ?
		  "rolled back" : "deployed", dp->candidate, dp->rel->digest);
	return EXIT_OK;
}

static void deploy_release(struct deploy *dp)
{
	free(dp->proxy_id);
	current_release(&dp->prev);
	free(dp->last_good);
	free(dp->candidate);
	free(dp->modules);
	free(dp->backup);
	addon_diff_release(&dp->diff);
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
	deploy_release(dp);
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
 * whoever deployed), last_good_sha and current, as commit() would have.
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
		record(dp, j->digest, status_word(dp));
		dp->operator = op;
	}
	return state_write_last_good(dp->env->state_dir, j->digest, cause) < 0 ||
	       state_write_current(dp->env->state_dir, &cur, cause) < 0 ? -1 : 0;
}

/* Records the recovery, then (and only then) ends the journal. */
static enum odooctl_exit recovered(struct deploy *dp, const char *digest,
				   char **cause)
{
	if (digest)
		record(dp, digest, "recovered");
	return journal_end(dp->env->state_dir, cause) < 0 ? EXIT_FAILED :
							     EXIT_OK;
}

/* A first release was killed: nothing good to return to but maintenance. */
static enum odooctl_exit recover_first(struct deploy *dp, struct journal *j,
				       char **cause)
{
	log_phase("recover: the first release %s never served; removing it",
		  j->digest ? j->digest : "(unknown)");
	discard_candidate(dp, NULL);
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
	    (cand = running(dp->d, j->candidate)) < 0) {
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
			drop_point(dp, "rollback point dropped: the release "
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
		if (restore_db(dp, j->digest, &why) < 0) {
			*cause = xasprintf("recover failed: %s (the maintenance "
					   "page stays up)", why);
			free(why);
			keep_maintenance(dp);
			return EXIT_FAILED;
		}
	}
	if (!dp->last_good)
		return recover_first(dp, j, cause);
	if (j->last_phase && dp->prev.container &&
	    (!strcmp(j->last_phase, "writers") ||
	     !strcmp(j->last_phase, "drain"))) {
		/* the killed deploy may have left a stop of it in flight */
		log_info("finishing the stop of %s the deploy began",
			 dp->prev.container);
		if (stop_whole(dp, dp->prev.container, &why) < 0) {
			log_warn("%s", why);
			free(why);
			why = NULL;
		}
	}
	dp->prev_running = running(dp->d, dp->prev.container) == 1 &&
			   dp->prev.digest &&
			   !strcmp(dp->prev.digest, dp->last_good);
	log_phase("recover: an unfinished %s of %s (phase %s)",
		  j->kind ? j->kind : "deploy",
		  j->digest ? j->digest : "an unknown release",
		  j->last_phase ? j->last_phase : "begin");
	if (roll_back(dp, "the deploy was interrupted", &why) < 0) {
		*cause = xasprintf("recover failed: %s", why);
		free(why);
		return EXIT_FAILED;
	}
	if (j->point)
		drop_point(dp, "rollback point of the interrupted deploy "
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
 * No journal, but a state file that cannot be read (truncated, edited by
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
		record(dp, cur.digest ? cur.digest : lg, "recovered");
	free(lg);
	current_release(&cur);
	return rc;
}

/*
 * No journal, but the switch nginx rejects its configuration (upstream.conf
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
		record(dp, cur.digest ? cur.digest : dp->last_good,
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
				record(&dp, cur.digest, "recovered");
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
			drop_point(&dp, "dropped the rollback point a killed "
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
	deploy_release(&dp);
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
