/*
 * The phases of a release that serves: pull, start beside the running
 * release, health, smoke, switch the proxy, drain the old one, commit.
 */
#include "release/deploy_priv.h"
#include "net/health.h"
#include "release/journal.h"
#include "core/log.h"
#include "stack/proxy.h"
#include "stack/stack.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROXY_VERIFY_MS 10000
#define PROXY_VERIFY_RUN 5
#define MAINTENANCE_PROBE_MS 250	/* between probes under the page */

int dp_phase_pull(struct deploy *dp, char **cause)
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
	if (docker_image_pull(dp->d, dp->rel->ref, log_progress_bytes, NULL,
			      cause) < 0)
		return -1;
	log_progress_done();
	return 0;
}

/*
 * Starts a container of rel: for a rollback its kept container when there
 * is one (or the one already dp_running), else a new one. The name is
 * journaled under `phase` before anything starts, so recover can find it.
 */
int dp_start_candidate(struct deploy *dp, const struct release *rel,
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
	if (existing && (run = dp_running(dp->d, existing)) < 0) {
		*cause = xasprintf("cannot tell whether %s runs", existing);
		free(existing);
		return -1;
	}
	*reused = existing != NULL;
	*name = existing ? existing : stack_release_name(dp->env, rel);
	arg = xasprintf("%s%s", *name, *reused ? " reused" : "");
	rc = dp_journal(dp, phase, arg, cause);
	free(arg);
	if (rc < 0)
		return -1;
	if (run) {
		int thawed;

		return *reused ? dp_thaw(dp, *name, &thawed, cause) : 0;
	}
	if (*reused) {	/* (its restart policy may be off: dp_thaw) */
		log_info("starting the kept container %s", *name);
		return docker_container_start(dp->d, *name, cause) < 0 ? -1 :
		       docker_container_set_restart(dp->d, *name,
						    "unless-stopped", cause);
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

	if (dp->maintenance)	/* the next probe sees a death as soon */
		return sleep_ms(MAINTENANCE_PROBE_MS) < 0 || deploy_interrupted ?
		       -1 : 0;
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
int dp_wait_healthy(struct deploy *dp, const char *name, char **cause)
{
	const struct config_env *env = dp->env;
	/* Under the maintenance page, which every client already gets, the
	 * probes come every MAINTENANCE_PROBE_MS within the same time. */
	long retries = !dp->maintenance ? env->health_retries :
		       env->health_retries * env->health_interval * 1000 /
		       MAINTENANCE_PROBE_MS;
	char *last = NULL;
	long good = 0;

	for (long i = 1; i <= retries; i++) {
		struct container_state st;
		int found = 0, rc;

		if (dp_interrupted(cause) ||
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
				     retries);
			free(last);
			last = xstrdup("healthy, but not enough times in a "
				       "row");
		} else {
			if (good)
				log_info("healthy %ld time%s, then not: %s",
					 good, good > 1 ? "s" : "", last);
			good = 0;
			log_progress("waiting for health (%ld/%ld): %s", i,
				     retries, last);
		}
		if (i < retries && pause_or_die(dp, name) < 0 &&
		    dp_interrupted(cause))
			goto fail;
	}
	*cause = xasprintf("not healthy after %ld probes in %ld s: %s",
			   retries, env->health_retries * env->health_interval,
			   last);
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

int dp_phase_smoke(struct deploy *dp, char **cause)
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
int dp_verify_proxy_with(struct deploy *dp,
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

int dp_verify_proxy(struct deploy *dp, char **cause)
{
	return dp_verify_proxy_with(dp, health_proxy, cause);
}

/*
 * Stops a container and waits for it, even through a signal: a stop whose
 * request is dropped half-way goes on in the daemon, and would kill the
 * container again after the rollback started it.
 */
int dp_stop_whole(struct deploy *dp, const char *name, char **cause)
{
	int rc;

	docker_set_cancel(dp->d, NULL);
	rc = stack_stop(dp->d, dp->env, name, 0, cause);
	docker_set_cancel(dp->d, &deploy_interrupted);
	return rc;
}

int dp_phase_switch(struct deploy *dp, char **cause)
{
	log_phase("switch: proxy -> %s", dp->candidate);
	if (dp_journal(dp, "switch", dp->candidate, cause) < 0)
		return -1;
	dp->switched = 1;
	if (proxy_switch(dp->d, dp->env, dp->proxy_id, dp->candidate, 0,
			 cause) < 0)
		return -1;
	return dp_verify_proxy(dp, cause);
}

/*
 * The old release finishes its requests, then stops (kept). A signal
 * during the wait makes the deploy roll back: it has not committed, and the
 * old release still runs, so the switch back is instant.
 */
int dp_phase_drain(struct deploy *dp, char **cause)
{
	char *why = NULL;

	if (!dp->prev_running || !strcmp(dp->prev.container, dp->candidate))
		return 0;
	dp_journal(dp, "drain", dp->prev.container, NULL);
	log_phase("drain: %s keeps serving its requests for %ld s",
		  dp->prev.container, dp->env->drain_seconds);
	sleep_ms(dp->env->drain_seconds * 1000);	/* a signal ends it */
	if (dp_interrupted(cause) < 0)
		return -1;
	if (dp_stop_whole(dp, dp->prev.container, &why) < 0) {
		log_warn("%s", why);
		free(why);
	} else {
		log_info("stopped %s (kept for instant rollback)",
			 dp->prev.container);
	}
	return dp_interrupted(cause);
}

int dp_commit(struct deploy *dp, const char *digest, const char *name,
	      const char *status, char **cause)
{
	struct current cur = { .digest = (char *)digest,
			       .container = (char *)name,
			       .since = (long)time(NULL) };
	const char *spare[] = { name, NULL };
	char *why = NULL;

	if (dp_journal(dp, "commit", name, cause) < 0)
		return -1;
	dp_record(dp, digest, status);
	if (state_write_last_good(dp->env->state_dir, digest, cause) < 0 ||
	    state_write_current(dp->env->state_dir, &cur, cause) < 0)
		return -1;
	dp_kill_frozen(dp, name);
	if (stack_prune(dp->d, dp->env, dp->env->keep_releases, spare,
			&why) < 0) {
		log_warn("%s", why);
		free(why);
	}
	return journal_end(dp->env->state_dir, cause);
}
