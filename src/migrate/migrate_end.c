/*
 * How a migration ends, whether the run that began it ends it or
 * `odooctl recover` does after a kill: the commit (the only place that
 * makes the release last_good and current), or the way back (the stack's
 * Odoo of the migration stopped, the unit started again as it was). Both
 * end state_dir/migrate.journal last, so a kill half-way through either
 * leaves it for the next recover.
 */
#include "migrate/migrate.h"
#include "engine/docker.h"
#include "core/log.h"
#include "stack/proxy.h"
#include "stack/stack.h"
#include "core/state.h"
#include "migrate/systemd.h"
#include "core/util.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void record(const struct mend *m, const char *status)
{
	char *why = NULL;

	if (history_append(m->env->state_dir, m->digest, m->env->name, status,
			   m->operator, &why) < 0) {
		log_warn("history: %s", why);
		free(why);
	}
}

/* 1 when history has `migrated` for m's release since started. */
static int recorded(const struct mend *m, long started)
{
	struct history h;
	size_t skipped;
	char *why = NULL;
	int found = 0;

	if (history_load(m->env->state_dir, &h, &skipped, &why) < 0) {
		free(why);
		return 0;
	}
	for (size_t i = 0; i < h.n; i++)
		if (h.e[i].time >= started && !strcmp(h.e[i].status, "migrated") &&
		    !strcmp(h.e[i].version, m->digest) &&
		    !strcmp(h.e[i].env, m->env->name))
			found = 1;
	history_release(&h);
	return found;
}

int mend_commit(const struct mend *m, long started, char **cause)
{
	struct current cur = { .digest = (char *)m->digest,
			       .container = (char *)m->container,
			       .since = (long)time(NULL) };
	char *why = NULL;

	if (mjournal_phase(m->env->state_dir, "commit", m->container,
			   cause) < 0)
		return -1;
	if (!recorded(m, started))
		record(m, "migrated");
	if (state_write_last_good(m->env->state_dir, m->digest, cause) < 0 ||
	    state_write_current(m->env->state_dir, &cur, cause) < 0)
		return -1;
	if (m->enabled && systemd_do("disable", m->service, &why) < 0) {
		log_warn("%s", why);
		free(why);
	}
	return mjournal_end(m->env->state_dir, cause);
}

static void quietly(int rc, char **why)
{
	if (rc < 0 && *why)
		log_warn("%s", *why);
	free(*why);
	*why = NULL;
}

/* Every running container of the migration's release; *ours: names. */
static void stop_release(const struct mend *m, json_t *ours)
{
	json_t *list = NULL, *c;
	char *why = NULL;
	size_t i;

	quietly(stack_releases(m->d, m->env, &list, &why), &why);
	json_array_foreach(list, i, c) {
		const char *rel = stack_label(c, LABEL_RELEASE);
		const char *state = docker_json_str(c, "State");
		const char *name = json_string_value(json_array_get(
			json_object_get(c, "Names"), 0));

		if (!rel || !name || strcmp(rel, m->digest))
			continue;
		name += name[0] == '/';
		json_array_append_new(ours, json_string(name));
		if (!state || strcmp(state, "running"))
			continue;
		log_info("stopping %s", name);
		quietly(docker_container_set_restart(m->d, name, "no", &why),
			&why);
		quietly(stack_stop(m->d, m->env, name, 0, &why), &why);
	}
	json_decref(list);
}

/* A proxy pointed at one of them shows the maintenance page instead. */
static void proxy_off(const struct mend *m, json_t *ours)
{
	char *target = proxy_target(m->env), *proxy = NULL, *why = NULL;
	json_t *v;
	size_t i;
	int mine = 0;

	json_array_foreach(ours, i, v)
		mine |= target && !strcmp(target, json_string_value(v));
	if (mine && proxy_container(m->d, m->env, &proxy, &why) == 0 &&
	    proxy) {
		log_info("the proxy shows the maintenance page again");
		quietly(proxy_switch(m->d, m->env, proxy, NULL, 1, &why),
			&why);
	}
	quietly(-1, &why);
	free(proxy);
	free(target);
}

/* The helpers a killed run may have left. */
static void remove_helpers(const struct mend *m)
{
	static const char *const kinds[] = { "migrate-seed", "migrate-source" };
	char *why = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		char *name = xasprintf("%s-%s", m->env->compose_project,
				       kinds[i]);

		docker_container_remove(m->d, name, &why);
		free(why);
		why = NULL;
		free(name);
	}
}

int mend_undo(const struct mend *m, char **cause)
{
	json_t *ours = json_array();
	char *why = NULL;
	int rc = 0;

	docker_set_cancel(m->d, NULL);	/* undoing is not cut short */
	stop_release(m, ours);
	proxy_off(m, ours);
	json_decref(ours);
	remove_helpers(m);
	if (m->active && systemd_do("start", m->service, cause) < 0) {
		log_error("could not start '%s' again: %s", m->service,
			  *cause);
		rc = -1;
	} else if (m->active) {
		log_info("'%s' is running again, as before the migration",
			 m->service);
	}
	record(m, "migrate_failed");
	if (rc == 0 && mjournal_end(m->env->state_dir, &why) < 0) {
		*cause = why;
		rc = -1;
	}
	return rc;
}

/*
 * The scratch directories of a run that was killed (the build context, the
 * source's helper mount). Called with migrate.lock held: no migration of
 * this state_dir is running, so none of them is in use.
 */
static void sweep_scratch(const char *state_dir)
{
	static const char *const prefixes[] = { "migrate-build.",
						"migrate-source." };
	DIR *dp = opendir(state_dir);
	struct dirent *de;
	char **found = NULL;
	size_t n = 0;

	while (dp && (de = readdir(dp)))
		for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
			if (!strncmp(de->d_name, prefixes[i],
				     strlen(prefixes[i]))) {
				found = xrealloc(found,
						 (n + 1) * sizeof(*found));
				found[n++] = xasprintf("%s/%s", state_dir,
						       de->d_name);
			}
	if (dp)
		closedir(dp);
	for (size_t i = 0; i < n; i++) {
		char *why = NULL;

		if (migrate_remove_dir(found[i], &why) == 0) {
			log_info("removed '%s', left by a killed migration",
				 found[i]);
		} else {
			log_warn("%s", why);
			free(why);
		}
		free(found[i]);
	}
	free(found);
}

static enum odooctl_exit recover_one(struct docker *d,
				     const struct config_env *env,
				     const struct mjournal *j, char **cause)
{
	struct mend m = { .d = d, .env = env, .digest = j->digest,
			  .container = j->container, .service = j->service,
			  .operator = j->operator, .active = j->active,
			  .enabled = j->enabled };

	if (j->committed && j->container) {
		log_phase("recover: the migration of '%s' to %s had "
			  "committed; finishing it", j->service, env->name);
		return mend_commit(&m, j->started, cause) < 0 ? EXIT_FAILED :
								EXIT_OK;
	}
	log_phase("recover: an unfinished migration of '%s' to %s (phase "
		  "%s): undoing it", j->service, env->name,
		  j->last_phase ? j->last_phase : "begin");
	return mend_undo(&m, cause) < 0 ? EXIT_FAILED : EXIT_OK;
}

enum odooctl_exit migrate_recover(const struct config_env *env,
				  int *nothing, int *committed, char **cause)
{
	struct mjournal j;
	struct docker *d;
	enum odooctl_exit rc = EXIT_FAILED;
	int lock, exists = 0;

	*nothing = 1;
	*committed = 0;
	lock = state_lock_named(env->state_dir, "migrate.lock", cause);
	if (lock == -2)
		return EXIT_REFUSED;
	if (lock < 0)
		return EXIT_FAILED;
	sweep_scratch(env->state_dir);
	d = docker_new(env->docker_socket);
	if (mjournal_load(env->state_dir, &j, &exists, cause) < 0)
		goto out;
	rc = EXIT_OK;
	if (!exists)
		goto out;
	*nothing = 0;
	if (j.corrupted) {
		*cause = xasprintf("'%s/migrate.journal' cannot be read: start "
				   "the systemd unit by hand if it should run, "
				   "then remove the file", env->state_dir);
		rc = EXIT_FAILED;
		goto out;
	}
	*committed = j.committed && j.container;
	rc = recover_one(d, env, &j, cause);
out:
	mjournal_release(&j);
	docker_free(d);
	state_unlock(lock);
	return rc;
}
