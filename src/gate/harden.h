/*
 * Gate checks for a hardened Odoo, on what the release will run with:
 * the image's own odoo.conf (read from a created, never started container
 * of the pulled image, at ODOO_RC or /etc/odoo/odoo.conf) overlaid by the
 * odoo service's command line in the compose configuration; the image's
 * Env and labels; the switch nginx's config; the database role Odoo
 * connects as. Each check has a name that `deploy --allow` and the
 * gate_allow config key take.
 */
#ifndef ODOOCTL_HARDEN_H
#define ODOOCTL_HARDEN_H

#include <jansson.h>

#include "core/config.h"
#include "engine/docker.h"
#include "pg/pg.h"

enum harden_admin { ADMIN_UNSET, ADMIN_DEFAULT, ADMIN_OK };

/* What the checks look at; gathered by harden_gather(). */
struct harden_facts {
	json_t *opts;		/* effective [options]: name -> string */
	char *conf_path;	/* odoo.conf inside the image */
	enum harden_admin admin;
	const char *admin_from;	/* where admin_passwd comes from */
	json_t *image_env;	/* Config.Env: ["K=V", ...] */
	json_t *labels;		/* Config.Labels */
	char *nginx;		/* the switch nginx's nginx.conf, or NULL */
	int behind_proxy;	/* a proxy forwards to Odoo */
	char *published;	/* a port of Odoo's published beside it */
	char *role;		/* the role Odoo connects as */
	int role_super;		/* 1, 0, or -1: unknown (role_why says) */
	char *role_why;
	/* objects of the business database the role does not own */
	long long foreign;	/* -1: unknown (foreign_why says) */
	char *foreign_first;	/* one of them: "TABLE public.x" */
	char *foreign_why;
	const char *db_name, *env_name;
};

/* The names of the checks, in order; NULL-terminated. */
extern const char *const harden_checks[];
int harden_check_known(const char *name);
/* Every name of a comma-separated list is a check; -1 with *cause. */
int harden_allow_valid(const char *list, char **cause);

/*
 * Gathers the facts for the pulled image ref; proxy_id is the running
 * switch nginx (NULL: none); pg the connection to ask PostgreSQL on (NULL:
 * one of its own). -1 with *cause when the image cannot be read.
 */
int harden_gather(struct docker *d, const struct config_env *env,
		  struct pg *pg, const char *ref, const char *proxy_id,
		  struct harden_facts *f, char **cause);
void harden_facts_release(struct harden_facts *f);

/*
 * Runs every check. allow_cfg (the env's gate_allow: a standing policy,
 * logged) and allow_cli (--allow: a one-off override) name checks allowed
 * to fail, comma-separated (may be NULL). Returns 0 when every check
 * passed or was allowed, with the failures allow_cli let through in
 * *allowed (comma-separated, NULL when none; caller frees); -1 with
 * *cause "gate 'name' failed: ...; gate '...' failed: ...".
 */
int harden_run(const struct harden_facts *f, const char *allow_cfg,
	       const char *allow_cli, char **allowed, char **cause);

/*
 * The gate: gathers and runs, with env->gate_allow and allow_cli as in
 * harden_run(). -1 with *cause when a check fails or cannot run.
 */
int harden_gate(struct docker *d, const struct config_env *env,
		const char *ref, const char *proxy_id, const char *allow_cli,
		char **allowed, char **cause);
/* The same, asking PostgreSQL on pg (NULL: a connection of its own). */
int harden_gate_on(struct docker *d, const struct config_env *env,
		   struct pg *pg, const char *ref, const char *proxy_id,
		   const char *allow_cli, char **allowed, char **cause);

/* Parsers, exposed for tests. */
int harden_conf_parse(const char *text, json_t *opts, char **cause);
void harden_apply_args(json_t *opts, json_t *argv);
/*
 * From `compose config` output: service's command (array), environment
 * (object; secret-like names hold "<set>", "<default>" or "", never the
 * value) and ports (array of strings). -1 when there is no such service.
 */
int harden_compose_service(const char *yaml, const char *service,
			   json_t **command, json_t **environment,
			   json_t **ports);
/* 0 when nginx routes /websocket to port 8072; -1 with *why. */
int harden_nginx_websocket(const char *conf, char **why);
/* 1 when an env or label name looks like it holds a secret. */
int harden_secret_name(const char *name);

#endif
