/*
 * The installation being migrated, seen through the parts that already
 * exist: its database as an external one (pgx_host.c), its filestore
 * through a stopped container with data_dir mounted read-only, both named
 * in a config_env of its own so that backup_create() takes it unchanged.
 */
#include "migrate/migrate.h"
#include "backup/backup.h"
#include "backup/filestore.h"
#include "core/state.h"
#include "core/util.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* Odoo's default without db_host: the local socket, Debian's directory. */
#define PG_SOCKET_DIR	"/var/run/postgresql"

static const char rows_sql[] =
	"SELECT coalesce(json_object_agg(n, c ORDER BY n), '{}') FROM "
	"(SELECT format('%s.%s', schemaname, relname) AS n, (xpath("
	"'/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM "
	"ONLY %I.%I', schemaname, relname), false, true, '')))[1]::text"
	"::bigint AS c FROM pg_stat_user_tables) t";

static const char size_sql[] = "SELECT pg_database_size(current_database())";

/* The password as a file only this process reads: /proc/self/fd/N. */
static int password_file(struct msource *s, char **cause)
{
	const char *pw = s->oc.db_password ? s->oc.db_password : "";
	size_t n = strlen(pw);

	s->pwfd = memfd_create("odooctl-source-pw", MFD_CLOEXEC);
	if (s->pwfd < 0 || write(s->pwfd, pw, n) != (ssize_t)n ||
	    write(s->pwfd, "\n", 1) != 1) {
		*cause = xasprintf("cannot hold the source's password: %s",
				   strerror(errno));
		return -1;
	}
	s->pwfile = xasprintf("/proc/self/fd/%d", s->pwfd);
	return 0;
}

int msource_open(struct msource *s, const struct config_env *target,
		 const char *odoo_conf, char **cause)
{
	char *tmpl;

	memset(s, 0, sizeof(*s));
	s->pwfd = -1;
	if (odoo_conf_load(odoo_conf, &s->oc, cause) < 0)
		return -1;
	s->addons = odoo_conf_extra_addons(&s->oc, cause);
	if (!s->addons || password_file(s, cause) < 0)
		return -1;
	s->filestore = xasprintf("%s/filestore/%s", s->oc.data_dir,
				 s->oc.db_name);
	if (mkdir_p(target->state_dir, 0755, cause) < 0)
		return -1;
	tmpl = xasprintf("%s/migrate-source.XXXXXX", target->state_dir);
	s->tmp = mkdtemp(tmpl);
	if (!s->tmp) {
		*cause = xasprintf("cannot create '%s': %s", tmpl,
				   strerror(errno));
		free(tmpl);
		return -1;
	}
	s->env = *target;	/* shallow: only the fields below are ours */
	s->env.postgres_service = (char *)"";
	s->env.db_host = s->oc.db_host ? s->oc.db_host : (char *)PG_SOCKET_DIR;
	s->env.db_port = s->oc.db_port;
	s->env.db_user = s->oc.db_user ? s->oc.db_user : (char *)"odoo";
	s->env.db_name = s->oc.db_name;
	s->env.db_password_file = s->pwfile;
	s->env.state_dir = s->tmp;
	return 0;
}

static char *helper_body(const struct msource *s, const char *image)
{
	char *bind = xasprintf("%s:%s:ro", s->oc.data_dir, BACKUP_DATA_DIR);
	json_t *j = json_pack("{s:s,s:[s],s:{s:s},s:{s:[s]}}", "Image", image,
			      "Cmd", "true", "Labels", "odooctl.helper",
			      "migrate-source", "HostConfig", "Binds", bind);
	char *body = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	free(bind);
	return body;
}

int msource_helper(struct msource *s, struct docker *d, const char *image,
		   const char *digest, char **cause)
{
	char *name = xasprintf("%s-migrate-source", s->env.compose_project);
	char *path = xasprintf("/containers/create?name=%s", name);
	char *body = helper_body(s, image), *why = NULL;
	struct current cur = { .since = (long)time(NULL) };
	struct buf out;
	json_t *j = NULL;
	long status = 0;
	int rc = -1;

	docker_container_remove(d, name, &why);	/* a killed run's */
	free(why);
	buf_init(&out, 1 << 16);
	if (docker_request(d, "POST", path, "application/json", body,
			   strlen(body), &status, &out, cause) < 0)
		goto out;
	j = json_loads(out.data ? out.data : "", 0, NULL);
	if (status != 201 || !json_string_value(json_object_get(j, "Id"))) {
		*cause = xasprintf("cannot create '%s' (%ld): %s", name,
				   status, out.data ? strtrim(out.data) : "");
		goto out;
	}
	s->helper = xstrdup(json_string_value(json_object_get(j, "Id")));
	cur.digest = (char *)digest;
	cur.container = s->helper;
	rc = state_write_current(s->tmp, &cur, cause);
out:
	json_decref(j);
	buf_release(&out);
	free(body);
	free(path);
	free(name);
	return rc;
}

void msource_close(struct msource *s, struct docker *d)
{
	char *why = NULL, *cur;

	if (s->helper && d)
		docker_container_remove(d, s->helper, &why);
	free(why);
	if (s->tmp) {
		cur = xasprintf("%s/current", s->tmp);
		unlink(cur);
		free(cur);
		rmdir(s->tmp);
	}
	if (s->pwfd >= 0)
		close(s->pwfd);
	free(s->helper);
	free(s->tmp);
	free(s->pwfile);
	free(s->filestore);
	free(s->addons);
	odoo_conf_release(&s->oc);
	memset(s, 0, sizeof(*s));
}

int mfacts_db(struct pgx *px, const char *db, struct mfacts *f,
	      char **cause)
{
	f->rows = backup_query_json(px, db, rows_sql, cause);
	if (!f->rows)
		return -1;
	f->modules = backup_db_modules(px, db, cause);
	if (!f->modules)
		return -1;
	return pgx_query_ll(px, db, size_sql, &f->db_bytes, cause);
}

static long long walk_files, walk_bytes;

static int walk_one(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (type == FTW_F && S_ISREG(st->st_mode)) {
		walk_files++;
		walk_bytes += st->st_size;
	}
	return 0;
}

int mfacts_dir(const char *dir, struct mfacts *f, char **cause)
{
	walk_files = walk_bytes = 0;
	if (access(dir, F_OK) != 0 && errno == ENOENT) {
		f->files = f->bytes = 0;
		return 0;
	}
	if (nftw(dir, walk_one, 16, FTW_PHYS) != 0) {
		*cause = xasprintf("cannot read the filestore '%s': %s", dir,
				   strerror(errno));
		return -1;
	}
	f->files = walk_files;
	f->bytes = walk_bytes;
	return 0;
}

void mfacts_release(struct mfacts *f)
{
	json_decref(f->rows);
	json_decref(f->modules);
	memset(f, 0, sizeof(*f));
}

static char *rows_diff(json_t *src, json_t *dst)
{
	const char *k;
	json_t *v;

	json_object_foreach(src, k, v) {
		json_t *w = json_object_get(dst, k);

		if (!w)
			return xasprintf("table %s is missing", k);
		if (!json_equal(v, w))
			return xasprintf("table %s has %lld rows, the "
					 "source %lld", k,
					 (long long)json_integer_value(w),
					 (long long)json_integer_value(v));
	}
	json_object_foreach(dst, k, v)
		if (!json_object_get(src, k))
			return xasprintf("table %s is not in the source", k);
	return NULL;
}

char *mfacts_diff(const struct mfacts *src, const struct mfacts *dst)
{
	char *d = rows_diff(src->rows, dst->rows);

	if (d)
		return d;
	if (!json_equal(src->modules, dst->modules)) {
		char *a = json_dumps(src->modules, JSON_COMPACT | JSON_SORT_KEYS);
		char *b = json_dumps(dst->modules, JSON_COMPACT | JSON_SORT_KEYS);

		d = xasprintf("modules %s, the source %s", b, a);
		free(a);
		free(b);
		return d;
	}
	if (src->files != dst->files || src->bytes != dst->bytes)
		return xasprintf("filestore %lld files, %lld bytes; the "
				 "source %lld files, %lld bytes", dst->files,
				 dst->bytes, src->files, src->bytes);
	return NULL;
}
