/*
 * Taking a backup: pg_dump inside the postgres container streamed into
 * dump.sql, Odoo's manifest.json, then the filestore read from the
 * odoo-data volume as a tar stream, into one zip written as .partial,
 * fsync'd and renamed when complete. Retention and the lock too.
 */
#include "backup/backup_priv.h"
#include "backup/backup_zip.h"
#include "backup/filestore.h"
#include "core/log.h"
#include "pg/pgx.h"
#include "core/state.h"
#include "core/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define COPY_BUF	(1u << 20)
#define PROGRESS_EVERY	(8LL << 20)

/* What we learn before writing a byte. */
struct facts {
	json_t *db;		/* server_version, size, encoding, collate, ctype */
	json_t *modules;	/* installed: name -> version (or null) */
	long long fs_size;
	char *release;		/* the digest that runs, or NULL */
};

/* Everything one backup carries along. */
struct job {
	const struct backup_opts *o;
	const char *db;
	struct pgx px;
	struct filestore fs;
	struct facts f;
	struct zipw z;
	struct dump_scan scan;
	long long fs_files, fs_bytes, last_progress;
	char *partial, *zip;
	long started;
	long long started_ms;
};

static const char facts_sql[] =
	"SELECT json_build_object('server_version', "
	"current_setting('server_version_num')::int, 'size', "
	"pg_database_size(current_database()), 'encoding', "
	"pg_encoding_to_char(encoding), 'collate', datcollate, 'ctype', "
	"datctype) FROM pg_database WHERE datname = current_database()";

/* Odoo's list: SELECT name, latest_version ... WHERE state = 'installed'. */
static const char modules_sql[] =
	"SELECT CASE WHEN to_regclass('public.ir_module_module') IS NULL "
	"THEN 'null' ELSE (SELECT count(*) FROM information_schema.columns "
	"WHERE table_schema = 'public' AND table_name = 'ir_module_module' "
	"AND column_name = 'latest_version')::text END";

json_t *backup_query_json(struct pgx *px, const char *db, const char *sql,
			  char **cause)
{
	struct buf out;
	json_error_t err;
	json_t *j = NULL;

	buf_init(&out, 64u << 20);
	if (pgx_query(px, db, sql, &out, cause) == 0) {
		j = json_loadb(out.data ? out.data : "", out.len,
			       JSON_DECODE_ANY, &err);
		if (!j)
			*cause = xasprintf("database '%s' answered no JSON: "
					   "%s", db, err.text);
	}
	buf_release(&out);
	return j;
}

/* name -> latest_version of the installed modules; {} without the table. */
json_t *backup_db_modules(struct pgx *px, const char *db, char **cause)
{
	json_t *has = backup_query_json(px, db, modules_sql, cause), *m;
	char *sql;

	if (!has)
		return NULL;
	if (json_is_null(has)) {
		json_decref(has);
		return json_object();
	}
	sql = xasprintf("SELECT coalesce(json_object_agg(name, %s ORDER BY "
			"name), '{}') FROM ir_module_module WHERE state = "
			"'installed'", json_integer_value(has) ?
			"latest_version" : "NULL::text");
	m = backup_query_json(px, db, sql, cause);
	free(sql);
	json_decref(has);
	return m;
}

static void facts_release(struct facts *f)
{
	json_decref(f->db);
	json_decref(f->modules);
	free(f->release);
	memset(f, 0, sizeof(*f));
}

static int gather(struct job *j, char **cause)
{
	struct current cur;
	char *why = NULL;

	j->f.db = backup_query_json(&j->px, j->db, facts_sql, cause);
	if (!j->f.db)
		return -1;
	j->f.modules = backup_db_modules(&j->px, j->db, cause);
	if (!j->f.modules)
		return -1;
	if (filestore_size(&j->fs, j->db, &j->f.fs_size, cause) < 0)
		return -1;
	if (state_read_current(j->o->env->state_dir, &cur, &why) == 0) {
		j->f.release = cur.digest;
		cur.digest = NULL;
		current_release(&cur);
	}
	free(why);
	return 0;
}

/* Refuses (-2) when the estimate (database + filestore, +10%) won't fit. */
static int space_check(struct job *j, char **cause)
{
	const char *dir = j->o->env->backup_dir;
	long long db = json_integer_value(json_object_get(j->f.db, "size"));
	long long need = (db + j->f.fs_size) / 10 * 11;
	struct statvfs sv;
	char a[32], b[32], c[32], d[32];
	long long avail;

	if (statvfs(dir, &sv) < 0) {
		*cause = xasprintf("cannot measure free space in '%s': %s",
				   dir, strerror(errno));
		return -1;
	}
	avail = (long long)sv.f_bavail * (long long)sv.f_frsize;
	fmt_bytes(need, a);
	fmt_bytes(avail, b);
	fmt_bytes(db, c);
	fmt_bytes(j->f.fs_size, d);
	log_info("needs up to %s (database %s + filestore %s, +10%%); "
		 "%s free", a, c, d, b);
	if (avail >= need)
		return 0;
	*cause = xasprintf("not enough free space in '%s' for a backup of "
			   "'%s': up to %s needed (database %s + filestore "
			   "%s, +10%%), %s free", dir, j->db, a, c, d, b);
	return -2;
}

static void progress(struct job *j, const char *what, long long n)
{
	char s[32];

	if (n - j->last_progress < PROGRESS_EVERY)
		return;
	j->last_progress = n;
	fmt_bytes(n, s);
	log_progress("%s: %s", what, s);
}

static int dump_sink(const void *p, size_t n, void *arg, char **cause)
{
	struct job *j = arg;

	if (zipw_data(&j->z, p, n, cause) < 0)
		return -1;
	dump_scan_feed(&j->scan, p, n);
	progress(j, "dump.sql", j->scan.bytes);
	return 0;
}

static int write_dump(struct job *j, char **cause)
{
	long long t0 = clock_ms();
	char s[32];

	if (zipw_entry(&j->z, "dump.sql", -1, 0644, j->started, 1, cause) < 0 ||
	    pgx_dump(&j->px, j->db, dump_sink, j, cause) < 0)
		return -1;
	log_progress_done();
	if (!j->scan.complete) {
		*cause = xasprintf("the dump of '%s' ended without pg_dump's "
				   "\"dump complete\" line", j->db);
		return -1;
	}
	fmt_bytes(j->scan.bytes, s);
	log_info("dump.sql: %s, %zu tables, in %.1f s", s,
		 json_object_size(j->scan.tables), (clock_ms() - t0) / 1e3);
	return 0;
}

static int write_manifest(struct job *j, char **cause)
{
	const char *base = json_string_value(json_object_get(j->f.modules,
							     "base"));
	char *series = backup_odoo_series(base);
	json_t *m = backup_manifest(j->db, series, (long)json_integer_value(
		json_object_get(j->f.db, "server_version")), j->f.modules);
	char *text = json_dumps(m, JSON_INDENT(4));
	int rc = zipw_entry(&j->z, "manifest.json", (long long)strlen(text),
			    0644, j->started, 1, cause);

	if (rc == 0)
		rc = zipw_data(&j->z, text, strlen(text), cause);
	free(text);
	free(series);
	json_decref(m);
	return rc;
}

/* "<db>/ab/abcdef" -> "filestore/ab/abcdef"; NULL for the top itself. */
static char *zip_name(const char *tar_name)
{
	const char *slash = strchr(tar_name, '/');

	if (!slash || !slash[1])
		return NULL;
	return xasprintf("filestore/%s", slash + 1);
}

/* Its first bytes tell whether it is compressed already: then stored. */
static int copy_file(struct job *j, struct archive *a, struct archive_entry *e,
		     char *buf, char **cause)
{
	char *name = zip_name(archive_entry_pathname(e));
	la_ssize_t n;
	int rc = -1;

	if (!name)
		return 0;
	n = archive_read_data(a, buf, COPY_BUF);
	if (zipw_entry(&j->z, name, archive_entry_size(e),
		       archive_entry_perm(e), archive_entry_mtime(e),
		       n <= 0 || !zipw_precompressed(buf, (size_t)n),
		       cause) < 0)
		goto out;
	for (; n > 0; n = archive_read_data(a, buf, COPY_BUF)) {
		if (zipw_data(&j->z, buf, (size_t)n, cause) < 0)
			goto out;
		j->fs_bytes += n;
		progress(j, "filestore", j->fs_bytes);
	}
	if (n < 0) {
		*cause = xasprintf("cannot read '%s' from the filestore: %s",
				   name, archive_error_string(a));
		goto out;
	}
	j->fs_files++;
	rc = 0;
out:
	free(name);
	return rc;
}

static int copy_tar(struct job *j, struct docker_reader *r, char **cause)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char *buf = xmalloc(COPY_BUF);
	int rc;

	archive_read_support_format_tar(a);
	rc = archive_read_open(a, r, NULL, filestore_archive_read, NULL);
	while (rc == ARCHIVE_OK &&
	       (rc = archive_read_next_header(a, &e)) == ARCHIVE_OK)
		if (archive_entry_filetype(e) == AE_IFREG &&
		    copy_file(j, a, e, buf, cause) < 0)
			break;
	if (rc != ARCHIVE_OK && rc != ARCHIVE_EOF && !*cause)
		*cause = xasprintf("cannot read the filestore of '%s': %s",
				   j->db, archive_error_string(a));
	archive_read_free(a);
	free(buf);
	return rc == ARCHIVE_EOF ? 0 : -1;
}

static int write_filestore(struct job *j, char **cause)
{
	char *path = xasprintf("%s/%s", BACKUP_FILESTORE, j->db);
	struct docker_reader *r = NULL;
	int found = 0, rc;

	rc = docker_archive_get(j->fs.d, j->fs.container, path, &r, &found,
				cause);
	if (rc == 0 && !found)
		log_info("filestore: none (no %s)", path);
	if (rc == 0 && found)
		rc = copy_tar(j, r, cause);
	log_progress_done();
	if (rc == 0 && found) {
		char s[32];

		fmt_bytes(j->fs_bytes, s);
		log_info("filestore: %lld files, %s", j->fs_files, s);
	}
	docker_reader_free(r);
	free(path);
	return rc;
}

static json_t *meta_build(struct job *j, const char *sha, long long size)
{
	char ts[21], *pgv = backup_pg_version((long)json_integer_value(
		json_object_get(j->f.db, "server_version")));
	const char *slash = strrchr(j->zip, '/');
	json_t *m;

	time_iso8601(j->started, ts);
	m = json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:I,s:{s:I,s:I,s:O},"
		      "s:{s:I,s:I},s:O,s:s,s:i,s:I,s:n}",
		      "format", BACKUP_META_FORMAT, "file", slash + 1,
		      "env", j->o->env->name, "db_name", j->db,
		      "created_at", ts,
		      "trigger", backup_trigger_name(j->o->trigger),
		      "release", j->f.release ? json_string(j->f.release) :
						json_null(),
		      "sha256", sha, "size", (json_int_t)size,
		      "dump", "bytes", (json_int_t)j->scan.bytes, "tables",
		      (json_int_t)json_object_size(j->scan.tables), "rows",
		      j->scan.tables,
		      "filestore", "files", (json_int_t)j->fs_files, "bytes",
		      (json_int_t)j->fs_bytes,
		      "database", j->f.db, "pg_version", pgv,
		      "modules", (int)json_object_size(j->f.modules),
		      "duration_ms", (json_int_t)(clock_ms() - j->started_ms),
		      "verified");
	free(pgv);
	return m;
}

/* Closes the zip, writes the metadata, then renames: a zip only when whole. */
static int finish(struct job *j, struct backup_result *res, char **cause)
{
	char sha[65];
	long long size;
	json_t *meta;

	if (zipw_close(&j->z, sha, &size, cause) < 0)
		return -1;
	meta = meta_build(j, sha, size);
	if (backup_meta_save(j->zip, meta, cause) < 0 ||
	    rename(j->partial, j->zip) < 0) {
		if (!*cause)
			*cause = xasprintf("cannot rename '%s': %s", j->partial,
					   strerror(errno));
		json_decref(meta);
		return -1;
	}
	fsync_dir_of(j->zip);
	res->zip = xstrdup(j->zip);
	res->meta = meta;
	return 0;
}

/* A free name: <env>-<TS>.zip, or -2, -3... within the same second. */
static void pick_names(struct job *j)
{
	char *base = backup_name(j->o->env->name, j->started);

	for (int i = 1;; i++) {
		if (i == 1)
			j->zip = xasprintf("%s/%s.zip", j->o->env->backup_dir,
					   base);
		else
			j->zip = xasprintf("%s/%s-%d.zip",
					   j->o->env->backup_dir, base, i);
		if (access(j->zip, F_OK) != 0)
			break;
		free(j->zip);
	}
	j->partial = xasprintf("%s.partial", j->zip);
	free(base);
}

/* What a killed backup left: .partial files and metadata without a zip. */
static void sweep(const struct config_env *env)
{
	DIR *dp = opendir(env->backup_dir);
	struct dirent *de;
	size_t el = strlen(env->name);

	while (dp && (de = readdir(dp))) {
		const char *n = de->d_name;
		size_t len = strlen(n);
		char *p, *zip;

		if (strncmp(n, env->name, el) || n[el] != '-')
			continue;
		p = xasprintf("%s/%s", env->backup_dir, n);
		zip = len > 5 ? xasprintf("%s/%.*s.zip", env->backup_dir,
					  (int)(len - 5), n) : NULL;
		if ((len > 12 && !strcmp(n + len - 12, ".zip.partial")) ||
		    (zip && !strcmp(n + len - 5, ".json") &&
		     access(zip, F_OK) != 0)) {
			log_info("removing '%s', left by an unfinished backup",
				 p);
			unlink(p);
		}
		free(zip);
		free(p);
	}
	if (dp)
		closedir(dp);
}

static int prepare(struct job *j, char **cause)
{
	const struct config_env *env = j->o->env;
	int exists = 0, rc;

	if (mkdir_p(env->backup_dir, 0700, cause) < 0)
		return -1;
	sweep(env);
	rc = pgx_open(j->fs.d, env, &j->px, cause);
	if (rc < 0)
		return rc;
	if (pgx_db_exists(&j->px, j->db, &exists, cause) < 0)
		return -1;
	if (!exists) {
		*cause = xasprintf("database '%s' does not exist on '%s'",
				   j->db, j->px.name);
		return -2;
	}
	rc = filestore_open(j->fs.d, env, &j->fs, cause);
	if (rc < 0)
		return rc;
	if (gather(j, cause) < 0)
		return -1;
	return space_check(j, cause);
}

static int write_all(struct job *j, struct backup_result *res, char **cause)
{
	pick_names(j);
	log_info("writing %s", j->zip);
	if (zipw_open(&j->z, j->partial,
		      zipw_level(j->o->env->backup_compression), cause) < 0)
		return -1;
	if (write_dump(j, cause) < 0 || write_manifest(j, cause) < 0 ||
	    write_filestore(j, cause) < 0 || finish(j, res, cause) < 0) {
		log_progress_done();
		zipw_abort(&j->z);
		unlink(j->partial);
		return -1;
	}
	return 0;
}

int backup_create(struct docker *d, const struct backup_opts *o,
		  struct backup_result *res, char **cause)
{
	struct job j = { .o = o, .db = o->db_name ? o->db_name :
					    o->env->db_name };
	int rc;

	memset(res, 0, sizeof(*res));
	j.fs.d = d;
	j.started = (long)time(NULL);
	j.started_ms = clock_ms();
	dump_scan_init(&j.scan);
	log_phase("backup of %s (database '%s', %s)", o->env->name, j.db,
		  backup_trigger_name(o->trigger));
	rc = prepare(&j, cause);
	if (rc == 0)
		rc = write_all(&j, res, cause);
	if (rc == 0)
		log_info("done: %s (%s)", res->zip, json_string_value(
			json_object_get(res->meta, "sha256")));
	dump_scan_release(&j.scan);
	facts_release(&j.f);
	filestore_close(&j.fs);
	pgx_close(&j.px);
	free(j.partial);
	free(j.zip);
	return rc;
}

int backup_check_space(struct docker *d, const struct config_env *env,
		       char **cause)
{
	struct backup_opts o = { .env = env, .trigger = TRIGGER_PRE_DEPLOY };
	struct job j = { .o = &o, .db = env->db_name };
	int rc;

	j.fs.d = d;
	dump_scan_init(&j.scan);
	rc = prepare(&j, cause);
	dump_scan_release(&j.scan);
	facts_release(&j.f);
	filestore_close(&j.fs);
	pgx_close(&j.px);
	return rc;
}

char *backup_db_scratch(const char *prefix, const char *base)
{
	size_t room = 63 - strlen(prefix);

	return xasprintf("%s%.*s", prefix, (int)room, base);
}

void backup_result_release(struct backup_result *res)
{
	free(res->zip);
	json_decref(res->meta);
	memset(res, 0, sizeof(*res));
}

int backup_prune(const struct config_env *env, char **cause)
{
	struct backup_list l;
	int *del;

	if (backup_list_load(env->backup_dir, env->name, &l, cause) < 0)
		return -1;
	del = xcalloc(l.n + 1, sizeof(*del));
	backup_retention(l.items, l.n, env->backup_keep,
			 env->backup_max_age_days, (long)time(NULL), del);
	for (size_t i = 0; i < l.n; i++) {
		char *meta = backup_meta_path(l.items[i].zip);

		if (!del[i]) {
			free(meta);
			continue;
		}
		log_info("retention: removing %s", l.items[i].zip);
		if (unlink(l.items[i].zip) < 0 && errno != ENOENT)
			log_warn("cannot remove '%s': %s", l.items[i].zip,
				 strerror(errno));
		unlink(meta);
		free(meta);
	}
	free(del);
	backup_list_release(&l);
	return 0;
}

int backup_lock(const struct config_env *env, char **cause)
{
	char *path = xasprintf("%s/.lock", env->backup_dir);
	int fd = -1;

	if (mkdir_p(env->backup_dir, 0700, cause) < 0)
		goto out;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		*cause = xasprintf("cannot open lock '%s': %s", path,
				   strerror(errno));
	} else if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		*cause = xasprintf("'%s' is held by another odooctl (a backup, "
				   "restore or verify is running)", path);
		close(fd);
		fd = -2;
	}
out:
	free(path);
	return fd;
}

void backup_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

char *backup_resolve(const struct config_env *env, const char *arg,
		     char **cause)
{
	struct backup_list l;
	char *path = NULL;

	if (!strcmp(arg, "latest")) {
		if (backup_list_load(env->backup_dir, env->name, &l,
				     cause) < 0)
			return NULL;
		if (l.n)
			path = xstrdup(l.items[0].zip);
		else
			*cause = xasprintf("%s has no backup in '%s'",
					   env->name, env->backup_dir);
		backup_list_release(&l);
		return path;
	}
	if (strchr(arg, '/'))
		path = xstrdup(arg);
	else if (str_starts_with(arg + strlen(arg) -
				 (strlen(arg) > 4 ? 4 : 0), ".zip"))
		path = xasprintf("%s/%s", env->backup_dir, arg);
	else
		path = xasprintf("%s/%s.zip", env->backup_dir, arg);
	if (access(path, R_OK) == 0)
		return path;
	*cause = xasprintf("no backup '%s': %s", path, strerror(errno));
	free(path);
	return NULL;
}
