/*
 * A backup's zip into a fresh database and a filestore directory, in one
 * pass: dump.sql streams from the zip into psql inside the postgres
 * container, the filestore streams from the zip into a tar that the Engine
 * API extracts into the odoo-data volume. Nothing is unpacked on the host.
 */
#include "backup/backup_priv.h"
#include "backup/backup_zip.h"
#include "pg/dbrole.h"
#include "core/log.h"
#include "core/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define COPY_BUF	(1u << 20)
#define MANIFEST_MAX	(16u << 20)
#define PROGRESS_EVERY	(8LL << 20)

/*
 * dump.sql as psql reads it: BEGIN, the dump, then (only if it is whole)
 * tail: the owner's ALTER ... OWNER TO statements, if any, and COMMIT.
 */
struct dump_src {
	struct archive *a;
	struct dump_scan *scan;
	const char *tail;
	int state;		/* 0 BEGIN, 1 the dump, 2 COMMIT, 3 end */
	long long shown;
};

static long put_text(void *buf, size_t cap, const char *text)
{
	size_t n = strlen(text);

	if (n > cap)
		return -1;
	memcpy(buf, text, n);
	return (long)n;
}

static long dump_read(void *buf, size_t cap, void *arg, char **cause)
{
	struct dump_src *s = arg;
	la_ssize_t n;

	if (s->state == 0) {
		s->state = 1;
		return put_text(buf, cap, "BEGIN;\n");
	}
	if (s->state == 2) {
		s->state = 3;
		return put_text(buf, cap, s->tail);
	}
	if (s->state == 3)
		return 0;
	n = archive_read_data(s->a, buf, cap);
	if (n > 0) {
		dump_scan_feed(s->scan, buf, (size_t)n);
		if (s->scan->bytes - s->shown >= PROGRESS_EVERY) {
			char b[32];

			s->shown = s->scan->bytes;
			fmt_bytes(s->shown, b);
			log_progress("dump.sql: %s", b);
		}
		return (long)n;
	}
	if (n < 0) {
		*cause = xasprintf("cannot read dump.sql: %s",
				   archive_error_string(s->a));
		return -1;
	}
	if (!s->scan->complete) {
		*cause = xstrdup("dump.sql ends before pg_dump's \"dump "
				 "complete\" line: it is truncated");
		return -1;
	}
	s->state = 2;
	return dump_read(buf, cap, arg, cause);
}

static int load_dump(struct backup_load *l, struct archive *a, char **cause)
{
	struct dump_src s = { .a = a, .scan = &l->scan };
	char *reown = l->owner ? dbrole_reown_sql(l->owner) : NULL;
	long long t0 = clock_ms();
	int rc;

	s.tail = xasprintf("\n%s%s\nCOMMIT;\n", reown ? reown : "",
			   reown ? ";" : "");
	rc = pgx_restore(l->px, l->db, dump_read, &s, cause);
	free((char *)s.tail);
	free(reown);
	log_progress_done();
	if (rc == 0) {
		char b[32];

		fmt_bytes(l->scan.bytes, b);
		log_info("dump.sql: %s into '%s', %zu tables, in %.1f s", b,
			 l->db, json_object_size(l->scan.tables),
			 (clock_ms() - t0) / 1e3);
	}
	return rc;
}

static int load_manifest(struct backup_load *l, struct archive *a,
			 char **cause)
{
	struct buf b;
	char chunk[8192];
	la_ssize_t n;

	buf_init(&b, MANIFEST_MAX);
	while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0)
		if (buf_append(&b, chunk, (size_t)n) < 0)
			break;
	if (n == 0)
		l->manifest = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
	if (!json_is_object(l->manifest)) {
		*cause = xstrdup(n == 0 ? "manifest.json is not a JSON object" :
				 "manifest.json cannot be read");
		json_decref(l->manifest);
		l->manifest = NULL;
	}
	buf_release(&b);
	return l->manifest ? 0 : -1;
}

/* ---- the filestore, as a tar extracted by the Engine API ---------------- */

struct fs_out {
	struct docker_writer *w;
	struct archive *tar;
	json_t *dirs;		/* directories already in the tar */
	long uid, gid;
};

static la_ssize_t to_writer(struct archive *a, void *arg, const void *p,
			    size_t n)
{
	char *why = NULL;

	if (docker_writer_write(arg, p, n, &why) == 0)
		return (la_ssize_t)n;
	archive_set_error(a, EIO, "%s", why);
	free(why);
	return -1;
}

static int tar_open(struct fs_out *o, struct backup_load *l, char **cause)
{
	if (filestore_owner(l->fs, &o->uid, &o->gid, cause) < 0 ||
	    docker_archive_put(l->fs->d, l->fs->container, BACKUP_DATA_DIR,
			       &o->w, cause) < 0)
		return -1;
	o->dirs = json_object();
	o->tar = archive_write_new();
	archive_write_set_format_pax_restricted(o->tar);
	archive_write_set_bytes_in_last_block(o->tar, 1);
	if (archive_write_open(o->tar, o->w, NULL, to_writer, NULL) ==
	    ARCHIVE_OK)
		return 0;
	*cause = xasprintf("cannot start the filestore archive: %s",
			   archive_error_string(o->tar));
	return -1;
}

static int tar_header(struct fs_out *o, const char *name, int dir,
		      long long size, int mode, long mtime, char **cause)
{
	struct archive_entry *e = archive_entry_new();
	int rc;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, (mode_t)mode);
	archive_entry_set_uid(e, o->uid);
	archive_entry_set_gid(e, o->gid);
	archive_entry_set_mtime(e, (time_t)mtime, 0);
	archive_entry_set_size(e, dir ? 0 : (la_int64_t)size);
	rc = archive_write_header(o->tar, e);
	archive_entry_free(e);
	if (rc == ARCHIVE_OK)
		return 0;
	*cause = xasprintf("cannot add '%s' to the filestore archive: %s",
			   name, archive_error_string(o->tar));
	return -1;
}

/* Each directory above name, once, owned like Odoo's own. */
static int tar_dirs(struct fs_out *o, const char *name, long mtime,
		    char **cause)
{
	char *copy = xstrdup(name);
	int depth = 0, rc = 0;

	for (char *p = strchr(copy, '/'); p && rc == 0; p = strchr(p + 1, '/')) {
		*p = '\0';
		depth++;
		if (!json_object_get(o->dirs, copy)) {
			json_object_set_new(o->dirs, copy, json_true());
			rc = tar_header(o, copy, 1, 0, depth <= 2 ? 0700 : 0755,
					mtime, cause);
		}
		*p = '/';
	}
	free(copy);
	return rc;
}

static int tar_close(struct fs_out *o, int ok, char **cause)
{
	int rc = -1;

	if (!o->tar)
		return ok ? 0 : -1;
	if (ok && archive_write_close(o->tar) != ARCHIVE_OK) {
		*cause = xasprintf("cannot finish the filestore archive: %s",
				   archive_error_string(o->tar));
		ok = 0;
	}
	archive_write_free(o->tar);
	if (ok)
		rc = docker_writer_close(o->w, cause);
	else
		docker_writer_abort(o->w);
	json_decref(o->dirs);
	memset(o, 0, sizeof(*o));
	return rc;
}

/* One filestore/ entry: copied into the tar, or only read (its CRC). */
static int load_file(struct backup_load *l, struct fs_out *o,
		     struct archive *a, struct archive_entry *e, char *buf,
		     char **cause)
{
	const char *rel = archive_entry_pathname(e) + strlen("filestore/");
	long long size = archive_entry_size(e);
	int mode = archive_entry_perm(e) ? (int)archive_entry_perm(e) : 0644;
	char *name = NULL;
	la_ssize_t n;
	int rc = -1;

	if (!*rel || archive_entry_filetype(e) == AE_IFDIR)
		return 0;
	json_object_set_new(l->files, rel, json_integer(size));
	if (l->fs) {
		if (!o->tar && tar_open(o, l, cause) < 0)
			return -1;
		name = xasprintf("filestore/%s/%s", l->fs_dir, rel);
		if (tar_dirs(o, name, archive_entry_mtime(e), cause) < 0 ||
		    tar_header(o, name, 0, size, mode, archive_entry_mtime(e),
			       cause) < 0)
			goto out;
	}
	while ((n = archive_read_data(a, buf, COPY_BUF)) > 0)
		if (o->tar && archive_write_data(o->tar, buf, (size_t)n) != n) {
			*cause = xasprintf("cannot write '%s': %s", name,
					   archive_error_string(o->tar));
			goto out;
		}
	if (n < 0)
		*cause = xasprintf("cannot read 'filestore/%s': %s", rel,
				   archive_error_string(a));
	else
		rc = 0;
out:
	free(name);
	return rc;
}

static int load_entries(struct backup_load *l, struct archive *a,
			const char *zip, char **cause)
{
	struct fs_out o = { 0 };
	struct archive_entry *e;
	char *buf = xmalloc(COPY_BUF);
	int rc, dump = 0;

	while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);

		if (!strcmp(name, "dump.sql"))
			rc = dump++ || l->files_only ? 0 :
			     load_dump(l, a, cause);
		else if (!strcmp(name, "manifest.json"))
			rc = load_manifest(l, a, cause);
		else if (str_starts_with(name, "filestore/"))
			rc = load_file(l, &o, a, e, buf, cause);
		if (rc < 0)
			break;
	}
	if (rc < 0 && !*cause)
		*cause = zipr_error(a, zip);
	if (rc == ARCHIVE_EOF && !dump) {
		*cause = xasprintf("'%s' has no dump.sql", zip);
		rc = -1;
	}
	if (tar_close(&o, rc == ARCHIVE_EOF, cause) < 0)
		rc = -1;
	free(buf);
	return rc == ARCHIVE_EOF ? 0 : -1;
}

/* As Odoo creates one, or with the source's encoding and collation. */
static int create_db(struct backup_load *l, char **cause)
{
	json_t *db = json_object_get(l->meta, "database");
	const char *enc = json_string_value(json_object_get(db, "encoding"));
	const char *col = json_string_value(json_object_get(db, "collate"));
	const char *ctype = json_string_value(json_object_get(db, "ctype"));
	char *id = pgx_ident(l->db), *sql, *e, *c, *t = NULL, *o = NULL;
	int rc;

	e = pgx_literal(enc ? enc : "UTF8");
	c = pgx_literal(col ? col : "C");
	if (ctype)
		t = pgx_literal(ctype);
	if (l->owner)
		o = pgx_ident(l->owner);
	sql = xasprintf("CREATE DATABASE %s%s%s TEMPLATE template0 ENCODING %s "
			"LC_COLLATE %s%s%s", id, o ? " OWNER " : "",
			o ? o : "", e, c, t ? " LC_CTYPE " : "", t ? t : "");
	rc = pgx_exec(l->px, "postgres", sql, NULL, NULL, cause);
	free(sql);
	free(o);
	free(t);
	free(c);
	free(e);
	free(id);
	return rc;
}

int backup_load_run(struct backup_load *l, const char *zip, char **cause)
{
	struct archive *a;
	int rc;

	dump_scan_init(&l->scan);
	l->files = json_object();
	if (!l->files_only && l->env &&
	    dbrole_ensure(l->env, 0, &l->owner, cause) < 0)
		return -1;
	if (l->owner)
		log_info("'%s' and everything in it will belong to role '%s'",
			 l->db, l->owner);
	if (!l->files_only && create_db(l, cause) < 0)
		return -1;
	a = zipr_open(zip, cause);
	if (!a)
		return -1;
	rc = load_entries(l, a, zip, cause);
	archive_read_free(a);
	if (rc == 0 && l->fs)
		log_info("filestore: %zu files into filestore/%s",
			 json_object_size(l->files), l->fs_dir);
	return rc;
}

void backup_load_release(struct backup_load *l)
{
	dump_scan_release(&l->scan);
	json_decref(l->files);
	json_decref(l->manifest);
	free(l->owner);
	l->files = l->manifest = NULL;
	l->owner = NULL;
}
