/*
 * The containers of one environment's compose project: PostgreSQL and the
 * proxy (started by compose, kept running), and one Odoo container per
 * release (created from the compose service by `compose run`, labeled with
 * the environment and the release digest). The one that serves is named
 * in the proxy's upstream.conf and in state_dir/current.
 */
#ifndef ODOOCTL_STACK_H
#define ODOOCTL_STACK_H

#include <jansson.h>

#include "core/config.h"
#include "engine/docker.h"
#include "core/release.h"
#include "engine/stack_state.h"

/* *found = 0 when there is no such container; -1 when docker failed. */
int stack_inspect(struct docker *d, const char *id, struct container_state *st,
		  int *found, char **cause);

/*
 * The container of a compose service of env (postgres, proxy; not the
 * one-off release containers): st->id NULL when there is none.
 */
int stack_service_state(struct docker *d, const struct config_env *env,
			const char *service, struct container_state *st,
			char **cause);
/* Release containers of env, newest first (caller json_decref()s). */
int stack_releases(struct docker *d, const struct config_env *env,
		   json_t **list, char **cause);
/* The name of a container list entry (no leading '/'), borrowed; NULL. */
const char *stack_entry_name(json_t *c);
/* Newest container of digest (running preferred); *name NULL if none. */
int stack_release_container(struct docker *d, const struct config_env *env,
			    const char *digest, char **name, char **cause);
/*
 * Starts PostgreSQL and the proxy when they are not running, and waits
 * until PostgreSQL reports healthy.
 */
int stack_ensure_infra(struct docker *d, const struct config_env *env,
		       const char *image_ref, char **cause);
/* A new, unique container name for r: <project>-<service>-<digest12>-<t>. */
char *stack_release_name(const struct config_env *env,
			 const struct release *r);
/* Creates and starts a container `name` of the Odoo service for r. */
int stack_start_release(struct docker *d, const struct config_env *env,
			const struct release *r, const char *name,
			char **cause);
/* Stops (keeps) or stops and removes a release container. */
int stack_stop(struct docker *d, const struct config_env *env,
	       const char *name, int remove, char **cause);
/*
 * Removes stopped release containers beyond the newest `keep`, never
 * those named in `spare` (NULL-terminated).
 */
int stack_prune(struct docker *d, const struct config_env *env, long keep,
		const char *const spare[], char **cause);

#endif
