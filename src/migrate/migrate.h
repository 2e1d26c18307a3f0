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

#include "core/config.h"
#include "release/deploy.h"
#include "migrate/odooconf.h"
#include "pg/pgx.h"

struct migrate_opts {
	const struct config_env *env;
	const char *odoo_conf;	/* --from-conf */
	const char *service;	/* the systemd unit */
	const char *operator;
	int yes;		/* else: the plan only */
	json_t *report;		/* --json: the plan and result go here */
};

/*
 * The plan (stdout, or into report), then with yes the migration (its
 * result into report too). A migration a kill left is finished first.
 * An exit status.
 */
enum odooctl_exit migrate_run(const struct migrate_opts *o, char **cause);
/*
 * Stops env's serving release and enables and starts the unit again
 * (what the stack changed since is not copied back).
 */
enum odooctl_exit migrate_revert(const struct migrate_opts *o, char **cause);

/*
 * Finishes what a killed migration left (state_dir/migrate.journal): one
 * that had committed is finished (last_good, current, `migrated`, the
 * unit disabled); any other is undone (the stack's Odoo of it stopped,
 * the proxy on maintenance, the unit started again if it ran, recorded
 * `migrate_failed`), in the name of who migrated. Run after
 * deploy_recover. *nothing = 1 when there was none; *committed = 1 when
 * it had committed. EXIT_REFUSED while a migration runs.
 */
/* rm -rf DIR (the scratch directories of a migration). */
int migrate_remove_dir(const char *dir, char **cause);
enum odooctl_exit migrate_recover(const struct config_env *env,
				  int *nothing, int *committed, char **cause);

/* ---- its journal (migrate_journal.c) -------------------------------------- */

struct mjournal {
	int corrupted;		/* the file exists but its first line is bad */
	char *digest;		/* the migrated release */
	char *service;		/* the unit */
	int active, enabled;	/* how it was before the stop */
	long started;
	char *operator;
	char *last_phase;
	char *backup;		/* the source's backup zip */
	char *container;	/* the release container that serves */
	int committed;
};

int mjournal_begin(const char *state_dir, const struct mjournal *j,
		   char **cause);
/* arg may be NULL. */
int mjournal_phase(const char *state_dir, const char *phase,
		   const char *arg, char **cause);
/* *exists = 0 when there is none. */
int mjournal_load(const char *state_dir, struct mjournal *j, int *exists,
		  char **cause);
int mjournal_end(const char *state_dir, char **cause);
void mjournal_release(struct mjournal *j);

/* ---- how one ends (migrate_end.c) ---------------------------------------- */

struct mend {
	struct docker *d;
	const struct config_env *env;
	const char *digest;	/* the migrated release */
	const char *container;	/* its container that serves, or NULL */
	const char *service;
	const char *operator;
	int active, enabled;	/* the unit, before the stop */
};

/*
 * The commit: journaled, `migrated` in history (once: since started),
 * last_good and current, the unit disabled; then the journal ends.
 */
int mend_commit(const struct mend *m, long started, char **cause);
/*
 * The way back: the release's running containers stopped, the proxy on
 * maintenance if it pointed at one, the unit started again if it ran,
 * `migrate_failed`; then the journal ends (kept if the unit did not
 * start). Never cut short by a signal.
 */
int mend_undo(const struct mend *m, char **cause);

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
