#include "release/rbpoint.h"
#include "backup/filestore.h"
#include "core/log.h"
#include "pg/pgx.h"
#include "core/util.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define POINT_PREFIX "odooctl_point_"
#define FAILED_PREFIX "odooctl_failed_"

/* prefix + db, cut to PostgreSQL's 63 bytes. */
static char *scratch(const char *prefix, const struct config_env *env)
{
	return xasprintf("%s%.*s", prefix, (int)(63 - strlen(prefix)),
			 env->db_name);
}

char *rbpoint_name(const struct config_env *env)
{
	return scratch(POINT_PREFIX, env);
}

/* Both handles, or -1 with *cause. */
static int open_both(struct docker *d, const struct config_env *env,
		     struct pgx *px, struct filestore *fs, char **cause)
{
	int rc = pgx_open_live(d, env, px, cause);

	if (rc == 0 && filestore_open(d, env, fs, cause) < 0) {
		if (!*cause)
			*cause = xasprintf("%s has no release container for "
					   "the filestore", env->name);
		pgx_close(px);
		return -1;
	}
	return rc;
}

static void close_both(struct pgx *px, struct filestore *fs)
{
	filestore_close(fs);
	pgx_close(px);
}

/* Free bytes in the data directory of the stack's postgres container. */
static int pgdata_free(struct docker *d, const char *container,
		       long long *bytes, char **cause)
{
	const char *const argv[] = { "sh", "-c", "exec df -Pk "
				     "\"${PGDATA:-/var/lib/postgresql/data}\"",
				     NULL };
	struct buf out;
	char *last, *f[6] = { 0 }, *save = NULL;
	int code = -1, n = 0, rc = -1;

	buf_init(&out, 1 << 14);
	if (docker_exec(d, container, argv, &out, &code, cause) < 0)
		goto out;
	strtrim(out.data ? out.data : "");
	last = out.data ? strrchr(out.data, '\n') : NULL;
	last = last ? last + 1 : out.data;
	for (char *t = last ? strtok_r(last, " \t", &save) : NULL; t && n < 6;
	     t = strtok_r(NULL, " \t", &save))
		f[n++] = t;
	if (code != 0 || n < 4 || strspn(f[3], "0123456789") != strlen(f[3]) ||
	    !*f[3]) {
		*cause = xasprintf("cannot read the free space of PostgreSQL's "
				   "data directory (df exited %d)", code);
		goto out;
	}
	*bytes = strtoll(f[3], NULL, 10) * 1024;
	rc = 0;
out:
	buf_release(&out);
	return rc;
}

int rbpoint_room(struct docker *d, const struct config_env *env,
		 char **note, char **cause)
{
	struct pgx px = { 0 };
	char *lit = pgx_literal(env->db_name), *sql;
	long long size = 0, avail = 0, floor = env->disk_floor_mb << 20;
	int rc = pgx_open_live(d, env, &px, cause);

	*note = NULL;
	sql = xasprintf("SELECT pg_database_size(%s)", lit);
	if (rc == 0)
		rc = pgx_query_ll(&px, "postgres", sql, &size, cause);
	if (rc == 0 && !px.container)
		*note = xstrdup("the free space of an external PostgreSQL "
				"server cannot be read from here: a clone "
				"refused for room falls back to a backup");
	else if (rc == 0)
		rc = pgdata_free(d, px.container, &avail, cause);
	if (rc == 0 && px.container && avail - size < floor) {
		char need[32], have[32];

		fmt_bytes(size + floor, need);
		fmt_bytes(avail, have);
		*cause = xasprintf("the clone of database '%s' needs %s free in "
				   "PostgreSQL's data directory (its size, and "
				   "disk_floor_mb kept free); %s are",
				   env->db_name, need, have);
		rc = -1;
	}
	free(sql);
	free(lit);
	pgx_close(&px);
	return rc < 0 ? -1 : 0;
}

/*
 * The filestore's part runs in a helper container beside the database's,
 * which does not wait for it: both are awaited before either counts.
 */
int rbpoint_take(struct docker *d, const struct config_env *env,
		 char **cause)
{
	struct pgx px = { 0 };
	struct filestore fs = { 0 };
	struct filestore_job job;
	char *point = rbpoint_name(env), *why = NULL;
	long long t0 = clock_ms(), t1, t2;
	int rc = open_both(d, env, &px, &fs, cause), begun = 0;

	if (rc == 0)
		rc = filestore_snapshot_begin(&fs, env->db_name, point, &job,
					      cause);
	begun = rc == 0;
	if (rc == 0)
		rc = pgx_db_drop(&px, point, cause);
	if (rc == 0)
		rc = pgx_db_clone(&px, env->db_name, point, "FILE_COPY",
				  cause);
	t1 = clock_ms();
	if (begun && filestore_snapshot_end(&job, rc == 0 ? cause : &why) < 0)
		rc = -1;
	free(why);
	t2 = clock_ms();
	if (rc == 0)
		log_info("rollback point '%s': database copied in %.1f s, "
			 "filestore linked in %.1f s (beside it)", point,
			 (double)(t1 - t0) / 1000.0,
			 (double)(t2 - t0) / 1000.0);
	close_both(&px, &fs);
	free(point);
	return rc;
}

int rbpoint_swap_back(struct docker *d, const struct config_env *env,
		      char **cause)
{
	struct pgx px = { 0 };
	struct filestore fs = { 0 };
	struct filestore_job job;
	char *point = rbpoint_name(env);
	char *failed = scratch(FAILED_PREFIX, env), *why = NULL;
	const char *const swap[] = { env->db_name, failed, point,
				     env->db_name, NULL };
	volatile sig_atomic_t *stop = docker_get_cancel(d);
	int rc, begun, files = 0, db = 0, live = 0;

	/* Renames, short, and never to be left half-way: a signal waits. */
	docker_set_cancel(d, NULL);
	rc = open_both(d, env, &px, &fs, cause);
	if (rc == 0)
		rc = filestore_swap_back_begin(&fs, point, env->db_name, &job,
					       cause);
	begun = rc == 0;
	if (rc == 0)
		rc = pgx_db_exists(&px, point, &db, cause);
	if (rc == 0 && db)
		rc = pgx_db_exists(&px, env->db_name, &live, cause);
	if (rc == 0 && db)
		rc = pgx_db_drop(&px, failed, cause);
	if (rc == 0 && db)
		rc = pgx_db_rename(&px, live ? swap : swap + 2, cause);
	if (begun && filestore_swap_back_end(&job, &files,
					     rc == 0 ? cause : &why) < 0)
		rc = -1;
	free(why);
	if (rc == 0)
		log_info("rollback point '%s' swapped back: %s%s", point,
			 files ? "filestore renamed" : "filestore was back "
			 "already", db ? ", database renamed" : ", database "
			 "was back already");
	close_both(&px, &fs);
	docker_set_cancel(d, stop);
	free(failed);
	free(point);
	return rc;
}

int rbpoint_drop(struct docker *d, const struct config_env *env, int begun,
		 int *found, char **cause)
{
	struct pgx px = { 0 };
	struct filestore fs = { 0 };
	char *point = rbpoint_name(env);
	char *failed = scratch(FAILED_PREFIX, env);
	volatile sig_atomic_t *stop = docker_get_cancel(d);
	int rc, gone = 0;

	*found = 0;
	docker_set_cancel(d, NULL);	/* short; after a signal too */
	rc = pgx_open_live(d, env, &px, cause);
	/* The database is dropped last: without it (and unless the caller
	 * knows that a point was begun), there is no filestore snapshot. */
	if (rc == 0)
		rc = pgx_db_exists(&px, point, found, cause);
	if (rc == 0)
		rc = pgx_db_exists(&px, failed, &gone, cause);
	if (rc == 0 && (begun || *found || gone) &&
	    (rc = filestore_open(d, env, &fs, cause)) == 0) {
		rc = filestore_remove(&fs, point, cause);
	}
	if (rc == 0 && gone)
		rc = pgx_db_drop(&px, failed, cause);
	if (rc == 0 && *found)
		rc = pgx_db_drop(&px, point, cause);
	*found |= gone;
	docker_set_cancel(d, stop);
	filestore_close(&fs);
	pgx_close(&px);
	free(failed);
	free(point);
	return rc < 0 ? -1 : 0;
}
