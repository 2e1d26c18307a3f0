/*
 * Backups of an environment's database and filestore, in Odoo's own zip
 * format (dump.sql, filestore/, manifest.json: what the database manager
 * restores), with our metadata beside each zip in <name>.json:
 *
 *   backup_dir/<env>-<YYYYMMDDTHHMMSSZ>.zip    the backup
 *   backup_dir/<env>-<YYYYMMDDTHHMMSSZ>.json   sha256, sizes, release,
 *                                              trigger, row counts, verdict
 *
 * A zip is written as <name>.zip.partial, fsync'd and renamed only when
 * complete, so nothing that looks like a backup is ever half written.
 */
#ifndef ODOOCTL_BACKUP_H
#define ODOOCTL_BACKUP_H

#include <jansson.h>
#include <stddef.h>

#include "core/config.h"
#include "engine/docker.h"
#include "pg/pgx.h"

#define BACKUP_META_FORMAT 1
#define BACKUP_TS_LEN 16	/* 20261126T212214Z */

/* ---- names and metadata (backup_meta.c) -------------------------------- */

/* "<env>-20261126T212214Z" for time t (UTC). Caller frees. */
char *backup_name(const char *env, long t);
/*
 * Whether file (a base name) is a backup zip of env: "<env>-<TS>.zip" or
 * "<env>-<TS>-<N>.zip". *t receives the time of TS when it is.
 */
int backup_name_parse(const char *file, const char *env, long *t);

struct backup_item {
	char *name;		/* without .zip */
	char *zip;		/* full path */
	json_t *meta;		/* our metadata, or NULL (a foreign zip) */
	long created;
	long long size;
	int verified;		/* 1 passed, 0 failed, -1 never verified */
};

struct backup_list {
	struct backup_item *items;	/* newest first */
	size_t n;
};

/* The backups of env in dir; a missing dir is an empty list. */
int backup_list_load(const char *dir, const char *env,
		     struct backup_list *l, char **cause);
void backup_list_release(struct backup_list *l);

/*
 * Retention: keeps the newest `keep`, every backup younger than
 * max_age_days, and the newest one that passed verification. Sets del[i]
 * for the others among those with metadata (a zip we did not make is
 * never deleted). Items are newest first.
 */
void backup_retention(const struct backup_item *items, size_t n, long keep,
		      long max_age_days, long now, int *del);

/* <dir>/<name>.json; NULL with *cause on error, NULL and no cause if absent. */
json_t *backup_meta_load(const char *zip_path, char **cause);
/* Written atomically. */
int backup_meta_save(const char *zip_path, json_t *meta, char **cause);
/* "<x>.json" for "<x>.zip". Caller frees. */
char *backup_meta_path(const char *zip_path);

/* PostgreSQL's version as Odoo's manifest writes it: 150004 -> "15.0". */
char *backup_pg_version(long server_version_num);
/*
 * Odoo's manifest.json. modules: name -> version (or null), borrowed.
 * odoo_version: "19.0" style, from the base module when known.
 */
json_t *backup_manifest(const char *db_name, const char *odoo_version,
			long server_version_num, json_t *modules);
/* The Odoo series of a base module version: "19.0.1.3" -> "19.0". */
char *backup_odoo_series(const char *base_version);

/* ---- reading pg_dump's plain output as it streams ---------------------- */

struct dump_scan {
	char line[4096];	/* the start of the current line */
	size_t line_len;	/* bytes of it kept */
	size_t line_total;	/* bytes of it seen */
	char *table;		/* in a COPY block: its table */
	long long rows;		/* rows of that block so far */
	json_t *tables;		/* table -> rows */
	long long bytes;
	int complete;		/* "-- PostgreSQL database dump complete" */
};

void dump_scan_init(struct dump_scan *s);
void dump_scan_feed(struct dump_scan *s, const char *p, size_t n);
void dump_scan_release(struct dump_scan *s);

/* ---- taking one (backup.c) --------------------------------------------- */

enum backup_trigger { TRIGGER_MANUAL, TRIGGER_PRE_DEPLOY, TRIGGER_SCHEDULED,
		      TRIGGER_PRE_RESTORE, TRIGGER_MIGRATE };
const char *backup_trigger_name(enum backup_trigger t);
/* -1 when s names no trigger. */
int backup_trigger_parse(const char *s);

struct backup_opts {
	const struct config_env *env;
	const char *db_name;		/* NULL: env->db_name */
	enum backup_trigger trigger;
};

/* What a backup produced. */
struct backup_result {
	char *zip;		/* full path */
	json_t *meta;
};

/*
 * Takes a backup. Returns 0; -1 when it failed (nothing is left behind);
 * -2 when it was refused before starting (not enough free space, no
 * database). Progress goes to the terminal.
 */
int backup_create(struct docker *d, const struct backup_opts *o,
		  struct backup_result *res, char **cause);
void backup_result_release(struct backup_result *res);
/*
 * What backup_create checks before it starts (the database exists, room
 * for it and its filestore in backup_dir), without taking one: 0, -1 when
 * it could not tell, -2 when a backup would be refused.
 */
int backup_check_space(struct docker *d, const struct config_env *env,
		       char **cause);

/* Deletes what retention does not keep; logs each deletion. */
int backup_prune(const struct config_env *env, char **cause);

/*
 * The lock of backup_dir (flock, held by the returned fd): one backup,
 * verify or prune at a time. -2 when another odooctl holds it.
 */
int backup_lock(const struct config_env *env, char **cause);
void backup_unlock(int fd);

/* ---- restoring one (backup_restore.c) ----------------------------------- */

struct restore_opts {
	const struct config_env *env;
	const char *zip;
	const char *db;		/* the target; NULL: env->db_name */
	int force;		/* replace an existing database (backed up first) */
	int no_backup_first;	/* with force: the caller has a backup of it */
	int neutralize;		/* mail and crons off, for a non-production copy */
	const char *via;	/* container to reach the filestore through */
	int files_only;		/* the filestore only: the database stays */
};

/*
 * Checks the zip (recorded sha256 and size, structure), loads it into a
 * staging database and filestore directory, and only then swaps them in
 * for the target (Odoo's containers of env are stopped for the swap when
 * the target is env's database, and started again). Returns 0; -1 failed
 * (the target is as it was); -2 refused before anything was touched
 * (checksum, an existing database without force, nothing deployed).
 */
int backup_restore(struct docker *d, const struct restore_opts *o,
		   char **cause);
/*
 * Starts again the Odoo containers a killed restore had stopped for its
 * swap (state_dir/restore.paused); *resumed: how many. 0 when there were
 * none.
 */
int backup_resume_paused(struct docker *d, const struct config_env *env,
			 int *resumed, char **cause);

/* ---- verifying one (backup_verify.c) ------------------------------------ */

/*
 * Restores the zip into a scratch database, checks it (checksum, row
 * counts against the dump, modules against the manifest, every
 * ir_attachment.store_fname present in the filestore, the filestore's
 * CRCs), drops the scratch database and records the verdict in the
 * metadata. *verdict: {"ok": bool, "at": ..., "checks": {...}, "detail"}.
 * Returns 0 when the verdict was reached (either way), -1 when it could
 * not be, -2 when refused (postgres not running).
 */
int backup_verify(struct docker *d, const struct config_env *env,
		  const char *zip, json_t **verdict, char **cause);

/*
 * A BACKUP argument: a path to a zip, a name in backup_dir (with or
 * without .zip), or "latest" (the newest of env). Caller frees.
 */
char *backup_resolve(const struct config_env *env, const char *arg,
		     char **cause);

/* ---- queries (backup.c), also for migrate ------------------------ */

/* name -> latest_version of installed modules ({} without the table). */
json_t *backup_db_modules(struct pgx *px, const char *db, char **cause);
/* The result of a query that returns one JSON value. */
json_t *backup_query_json(struct pgx *px, const char *db, const char *sql,
			  char **cause);

#endif
