#include "stack/stack.h"
#include "stack/compose.h"
#include "core/log.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define INFRA_WAIT_MS 120000

int stack_inspect(struct docker *d, const char *id, struct container_state *st,
		  int *found, char **cause)
{
	json_t *c = NULL;

	memset(st, 0, sizeof(*st));
	st->http_port = -1;
	if (docker_container_inspect(d, id, &c, found, cause) < 0)
		return -1;
	if (*found)
		container_state_from_json(c, id, st);
	json_decref(c);
	return 0;
}

static int cmp_created_desc(const void *a, const void *b)
{
	json_int_t ca = json_integer_value(
		json_object_get(*(json_t *const *)a, "Created"));
	json_int_t cb = json_integer_value(
		json_object_get(*(json_t *const *)b, "Created"));

	return (cb > ca) - (cb < ca);
}

int stack_releases(struct docker *d, const struct config_env *env,
		   json_t **list, char **cause)
{
	char *label = xasprintf("%s=%s", LABEL_ENV, env->name);
	json_t *all = NULL, *c, *mine;
	json_t **v;
	size_t i, n = 0;

	*list = NULL;
	if (docker_container_list(d, label, &all, cause) < 0) {
		free(label);
		return -1;
	}
	free(label);
	v = xcalloc(json_array_size(all) + 1, sizeof(*v));
	json_array_foreach(all, i, c) {
		const char *p = stack_label(c, LABEL_PROJECT);

		if (p && !strcmp(p, env->compose_project))
			v[n++] = c;
	}
	qsort(v, n, sizeof(*v), cmp_created_desc);
	mine = json_array();
	for (i = 0; i < n; i++)
		json_array_append(mine, v[i]);
	free(v);
	json_decref(all);
	*list = mine;
	return 0;
}

const char *stack_entry_name(json_t *c)
{
	const char *n = json_string_value(json_array_get(
		json_object_get(c, "Names"), 0));

	return n ? n + (n[0] == '/') : NULL;
}

int stack_release_container(struct docker *d, const struct config_env *env,
			    const char *digest, char **name, char **cause)
{
	json_t *list, *c;
	const char *best = NULL;
	size_t i;

	*name = NULL;
	if (stack_releases(d, env, &list, cause) < 0)
		return -1;
	json_array_foreach(list, i, c) {
		const char *dg = stack_label(c, LABEL_RELEASE);
		const char *state = docker_json_str(c, "State");

		if (!dg || strcmp(dg, digest))
			continue;
		if (state && !strcmp(state, "running")) {
			best = stack_entry_name(c);
			break;
		}
		if (!best)
			best = stack_entry_name(c);
	}
	*name = best ? xstrdup(best) : NULL;
	json_decref(list);
	return 0;
}

int stack_service_state(struct docker *d, const struct config_env *env,
			 const char *service, struct container_state *st,
			 char **cause)
{
	char *label = xasprintf("%s=%s", LABEL_PROJECT, env->compose_project);
	json_t *list = NULL;
	const char *id;
	int found = 0, rc;

	memset(st, 0, sizeof(*st));
	rc = docker_container_list(d, label, &list, cause);
	free(label);
	if (rc < 0)
		return -1;
	id = stack_service_pick(list, service);
	rc = id ? stack_inspect(d, id, st, &found, cause) : 0;
	json_decref(list);
	return rc;
}

static int infra_ready(struct docker *d, const struct config_env *env,
		       int *ready, char **cause)
{
	const char *services[] = { env->postgres_service, env->switch_service,
				   env->proxy_service };
	int rc = 0;

	*ready = 1;
	for (size_t i = 0; i < ARRAY_SIZE(services) && rc == 0; i++) {
		struct container_state st;

		if (!*services[i])	/* an external database */
			continue;
		rc = stack_service_state(d, env, services[i], &st, cause);
		if (rc == 0 && (!st.running ||
				(st.health && strcmp(st.health, "healthy") &&
				 i == 0)))
			*ready = 0;
		container_state_release(&st);
	}
	return rc;
}

int stack_ensure_infra(struct docker *d, const struct config_env *env,
		       const char *image_ref, char **cause)
{
	const char *args[] = { "up", "-d", "--no-recreate", "--no-deps",
			       env->switch_service, env->proxy_service,
			       env->postgres_service, NULL };
	long long deadline = clock_ms() + INFRA_WAIT_MS;
	int ready;

	if (infra_ready(d, env, &ready, cause) < 0)
		return -1;
	if (ready)
		return 0;
	if (config_db_external(env))
		args[6] = NULL;
	log_info("starting %s%s%s and %s", args[6] ? args[6] : "",
		 args[6] ? ", " : "", args[4], args[5]);
	if (compose_exec(env, image_ref, args, NULL, cause) < 0)
		return -1;
	while (clock_ms() < deadline) {
		if (infra_ready(d, env, &ready, cause) < 0)
			return -1;
		if (ready)
			return 0;
		sleep_ms(500);
	}
	*cause = xasprintf("'%s' did not become healthy within %d s",
			   args[6] ? args[6] : args[4], INFRA_WAIT_MS / 1000);
	return -1;
}

char *stack_release_name(const struct config_env *env,
			 const struct release *r)
{
	char shortd[13];

	release_short(r->digest, shortd);
	return xasprintf("%s-%s-%s-%ld", env->compose_project,
			 env->odoo_service, shortd, (long)time(NULL));
}

int stack_start_release(struct docker *d, const struct config_env *env,
			const struct release *r, const char *name,
			char **cause)
{
	char *label_env = xasprintf("%s=%s", LABEL_ENV, env->name);
	char *label_rel = xasprintf("%s=%s", LABEL_RELEASE, r->digest);
	const char *args[] = { "run", "-d", "--no-deps", "--name", name,
			       "-l", label_env, "-l", label_rel,
			       "-l", "odooctl.managed=1",
			       "-p", "127.0.0.1::8069", env->odoo_service,
			       NULL };
	int rc;

	rc = compose_exec(env, r->ref, args, NULL, cause);
	if (rc == 0)
		rc = docker_container_set_restart(d, name, "unless-stopped",
						  cause);
	free(label_env);
	free(label_rel);
	return rc;
}

int stack_stop(struct docker *d, const struct config_env *env,
	       const char *name, int remove, char **cause)
{
	if (docker_container_stop(d, name, (int)env->stop_timeout, cause) < 0)
		return -1;
	return remove ? docker_container_remove(d, name, cause) : 0;
}

static int spared(const char *name, const char *const spare[])
{
	for (size_t i = 0; spare && spare[i]; i++)
		if (!strcmp(spare[i], name))
			return 1;
	return 0;
}

int stack_prune(struct docker *d, const struct config_env *env, long keep,
		const char *const spare[], char **cause)
{
	json_t *list, *c;
	size_t i;
	long kept = 0;
	int rc = 0;

	if (stack_releases(d, env, &list, cause) < 0)
		return -1;
	json_array_foreach(list, i, c) {
		const char *name = stack_entry_name(c);
		const char *state = docker_json_str(c, "State");

		if (!name || (state && !strcmp(state, "running")) ||
		    spared(name, spare))
			continue;
		if (kept++ < keep)
			continue;
		log_info("removing old release container %s", name);
		if (docker_container_remove(d, name, cause) < 0) {
			rc = -1;
			break;
		}
	}
	json_decref(list);
	return rc;
}
