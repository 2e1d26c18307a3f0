/*
 * The nginx in front of Odoo, in two tiers: clients connect to the proxy
 * service, which is never reloaded and forwards each request on a new
 * connection to the switch service. odooctl owns one file,
 * state_dir/proxy/upstream.conf (mounted into the switch at
 * /etc/nginx/odooctl), which names the container that serves and whether
 * the maintenance page is up. A switch rewrites it atomically, has the
 * switch's nginx test its whole configuration, and reloads it: its old
 * workers finish their requests, and no client connection is closed.
 */
#ifndef ODOOCTL_PROXY_H
#define ODOOCTL_PROXY_H

#include "core/config.h"
#include "engine/docker.h"

/* The running switch container of env's compose project; NULL if none. */
int proxy_container(struct docker *d, const struct config_env *env,
		    char **id, char **cause);
/* `nginx -t` in the switch: refuses a configuration broken by hand. */
int proxy_test(struct docker *d, const char *proxy_id, char **cause);
/*
 * Points the proxy at container `target` (NULL: nobody, maintenance only)
 * and reloads. On a failed test the previous file is put back.
 */
int proxy_switch(struct docker *d, const struct config_env *env,
		 const char *proxy_id, const char *target, int maintenance,
		 char **cause);
/* Writes upstream.conf without reloading (before the proxy exists). */
int proxy_write(const struct config_env *env, const char *target,
		int maintenance, char **cause);
/* The container upstream.conf names, or NULL. */
char *proxy_target(const struct config_env *env);

#endif
