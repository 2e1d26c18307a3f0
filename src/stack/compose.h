/*
 * Docker Compose, the single source of truth for how containers are
 * configured. odooctl runs it (v2 `docker compose` or v1 `docker-compose`,
 * whichever exists) for what only compose knows: creating a container of a
 * service from the compose files. Everything it can ask the Engine API,
 * it asks the Engine API.
 */
#ifndef ODOOCTL_COMPOSE_H
#define ODOOCTL_COMPOSE_H

#include "core/config.h"
#include "core/util.h"

/*
 * Runs compose with args (NULL-terminated) for env, with ODOO_IMAGE set to
 * image_ref (may be NULL: a placeholder that compose accepts). Output
 * goes into out (may be NULL); a non-zero exit is -1 with *cause holding
 * compose's last line of output.
 */
int compose_exec(const struct config_env *env, const char *image_ref,
		 const char *const args[], struct buf *out, char **cause);

/* `compose config -q`: the files parse and every variable is set. */
int compose_validate(const struct config_env *env, const char *image_ref,
		     char **cause);

#endif
