/*
 * Moving a systemd-run Odoo 19 (odoo.conf, extra-addons, a PostgreSQL
 * database, a filestore under data_dir) into an environment's stack:
 * plan, lint, build and push, stop the unit, back it up (the source's
 * database through pgx's external backend, its filestore from the host's
 * data_dir), deploy, restore, health and smoke, compare with the source,
 * record `migrated`; any failure after the stop starts the unit again.
 */
#ifndef ODOOCTL_MIGRATE_H
#define ODOOCTL_MIGRATE_H

#include <jansson.h>

#include "config.h"
#include "deploy.h"
#include "odooconf.h"
#include "pgx.h"

struct migrate_opts {
	const struct config_env *env;
	const char *odoo_conf;	/* --from-conf */
	const char *service;	/* the systemd unit */
	const char *operator;
	int yes;		/* else: the plan only */
};

/* The plan (stdout), then with yes the migration. An exit status. */
enum odooctl_exit migrate_run(const struct migrate_opts *o, char **cause);
/*
 * Stops env's serving release and enables and starts the unit again
 * (what the stack changed since is not copied back).
 */
enum odooctl_exit migrate_revert(const struct migrate_opts *o, char **cause);

/* ---- the source installation (migrate_src.c) ---------------------------- */

struct msource {
	struct odoo_conf oc;
	char *addons;		/* the extra-addons directory */
	char *filestore;	/* data_dir/filestore/<db_name> */
	/* env as the backup code sees the source: an external database */
	struct config_env env;
	char *pwfile, *tmp;
	int pwfd;
	char *helper;		/* container with data_dir mounted, or NULL */
};

int msource_open(struct msource *s, const struct config_env *target,
		 const char *odoo_conf, char **cause);
/*
 * A stopped container of image (of digest) with the source's data_dir
 * bound read-only at /var/lib/odoo, named in s->env's state_dir/current:
 * the backup reads the filestore through it as through a release one.
 */
int msource_helper(struct msource *s, struct docker *d, const char *image,
		   const char *digest, char **cause);
void msource_close(struct msource *s, struct docker *d);

/* What is compared between the source and the stack. */
struct mfacts {
	json_t *rows;		/* "schema.table" -> rows */
	json_t *modules;	/* installed: name -> version */
	long long db_bytes;
	long long files, bytes;	/* the filestore */
};

/* The database part, through px. */
int mfacts_db(struct pgx *px, const char *db, struct mfacts *f,
	      char **cause);
/* The filestore part, from a directory of the host. */
int mfacts_dir(const char *dir, struct mfacts *f, char **cause);
void mfacts_release(struct mfacts *f);
/* NULL when they match, else what differs (caller frees). */
char *mfacts_diff(const struct mfacts *src, const struct mfacts *dst);

#endif
