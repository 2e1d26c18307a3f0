/*
 * odooctl.conf: INI, one section per environment plus an optional
 * [defaults] section whose keys every environment inherits. One table of
 * options (name, type, bounds, default) drives parsing, validation and
 * `odooctl config show`.
 */
#ifndef ODOOCTL_CONFIG_H
#define ODOOCTL_CONFIG_H

#include <stdio.h>

#define CONFIG_DEFAULT_PATH "/etc/odooctl/odooctl.conf"
#define CONFIG_MAX_SMOKE 32

#define SMOKE_MAX_STATUS 4

struct smoke_check {
	char *method;
	char *path;
	long status[SMOKE_MAX_STATUS];	/* any of these passes */
	size_t nstatus;
	char *body;	/* NULL when the request has none */
};

struct config_env {
	char *name;
	char *docker_socket;
	char *compose_command;
	char *compose_files;	/* comma-separated, resolved to absolute */
	char *compose_project;
	char *env_file;
	char *image_repository;
	char *state_dir;
	char *db_host;
	long db_port;
	char *db_user;
	char *db_name;
	char *db_password_file;
	char *db_owner;		/* NULL: derived, see config_db_owner() */
	long health_interval;
	long health_timeout;
	long health_retries;
	long health_successes;
	char *webhook_path;
	char *proxy_url;
	char *proxy_service;
	char *switch_service;
	char *odoo_service;
	char *postgres_service;	/* "": the database is external */
	char *pg_bindir;	/* NULL: chosen by the server's version */
	long drain_seconds;
	long stop_timeout;
	long upgrade_timeout;
	char *rollback_point;	/* clone, backup */
	char *upgrade_trigger;	/* checksum | version */
	long disk_floor_mb;
	long keep_releases;
	char *build_context;
	char *dockerfile;
	char *odoo_base;
	char *backup_dir;
	char *backup_compression;	/* store, fast, default */
	long backup_keep;
	long backup_max_age_days;
	long cpu_max_percent;
	long mem_max_percent;
	long disk_max_percent;
	long backup_max_age_hours;
	long monitor_interval;
	long monitor_timeout;
	long monitor_retries;
	long monitor_reminder;
	char *alert_webhook_url;	/* may hold a token: never logged */
	char *alert_webhook_format;	/* slack or json */
	char *alert_command;
	long alert_timeout;
	long alert_retries;
	char *metrics_listen;		/* ADDR:PORT, or off */
	char *secrets_provider;		/* none, env_file, ssm, command */
	char *secrets_file;
	char *secrets_command;
	char *secrets_required;		/* comma-separated keys */
	long secrets_timeout;
	char *ssm_path;
	char *ssm_region;
	char *ssm_endpoint;
	char *gate_allow;		/* hardening checks allowed to fail */
	struct smoke_check smoke[CONFIG_MAX_SMOKE];
	size_t nsmoke;
	int smoke_set;	/* a smoke key was given (else the defaults) */
};

struct config {
	char *path;
	struct config_env *envs;
	size_t nenvs;
};

/*
 * Loads and validates path. On error returns -1 with *cause naming the
 * file and line: "odooctl.conf:12: unknown key 'helth' in [production]".
 */
int config_load(struct config *cfg, const char *path, char **cause);
void config_release(struct config *cfg);
/* NULL and *cause ("unknown environment 'x' (configured: a, b)"). */
const struct config_env *config_env(const struct config *cfg, const char *name,
				    char **cause);
/* Prints every key of env with its effective value, INI style. */
void config_env_print(const struct config_env *env, FILE *out);
/* The key reference for --help and the man page. */
void config_print_reference(FILE *out);
/* Whether env's database is outside the stack (postgres_service empty). */
int config_db_external(const struct config_env *env);
/*
 * The role Odoo connects as, which owns db_name and everything in it:
 * db_owner, else ODOO_DB_USER in env_file (the stack's database only),
 * else db_user (odooctl's own role: nothing to hand over). Caller frees.
 */
char *config_db_owner(const struct config_env *env);
/* Its password: ODOO_DB_PASSWORD in env_file. A secret: secret_free(). */
char *config_db_owner_password(const struct config_env *env, char **cause);
/* Reads the DB password (db_password_file, else POSTGRES_PASSWORD in env_file). */
char *config_db_password(const struct config_env *env, char **cause);

#endif
