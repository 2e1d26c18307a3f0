/*
 * The parts of backups that need no service: names, Odoo's manifest, our
 * metadata, retention, the listing, and a reader of pg_dump's output that
 * counts the rows of each table as the dump streams by.
 */
#include "backup/backup.h"
#include "core/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define META_MAX (64u << 20)
#define DUMP_COMPLETE "-- PostgreSQL database dump complete"

char *backup_name(const char *env, long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char ts[BACKUP_TS_LEN + 1];

	gmtime_r(&tt, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	return xasprintf("%s-%s", env, ts);
}

static long parse_ts(const char *s)
{
	struct tm tm;
	char copy[BACKUP_TS_LEN + 1];
	const char *end;

	memcpy(copy, s, BACKUP_TS_LEN);
	copy[BACKUP_TS_LEN] = '\0';
	memset(&tm, 0, sizeof(tm));
	end = strptime(copy, "%Y%m%dT%H%M%SZ", &tm);
	if (!end || *end)
		return -1;
	return (long)timegm(&tm);
}

int backup_name_parse(const char *file, const char *env, long *t)
{
	size_t el = strlen(env), n = strlen(file);
	const char *p = file + el + 1, *zip = file + n - 4;

	if (n < el + 1 + BACKUP_TS_LEN + 4 || strncmp(file, env, el) ||
	    file[el] != '-' || strcmp(zip, ".zip"))
		return 0;
	*t = parse_ts(p);
	if (*t < 0)
		return 0;
	p += BACKUP_TS_LEN;
	if (p == zip)
		return 1;
	if (*p++ != '-' || p == zip)
		return 0;
	for (; p < zip; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

char *backup_meta_path(const char *zip_path)
{
	size_t n = strlen(zip_path);

	if (n > 4 && !strcmp(zip_path + n - 4, ".zip"))
		n -= 4;
	return xasprintf("%.*s.json", (int)n, zip_path);
}

json_t *backup_meta_load(const char *zip_path, char **cause)
{
	char *path = backup_meta_path(zip_path), *data;
	json_error_t err;
	json_t *j = NULL;
	size_t len;

	if (access(path, F_OK) != 0 && errno == ENOENT) {
		free(path);
		return NULL;
	}
	data = file_read(path, META_MAX, &len, cause);
	if (!data) {
		free(path);
		return NULL;
	}
	j = json_loadb(data, len, 0, &err);
	if (!json_is_object(j)) {
		*cause = xasprintf("'%s' is not valid metadata: %s", path,
				   j ? "not an object" : err.text);
		json_decref(j);
		j = NULL;
	}
	free(data);
	free(path);
	return j;
}

int backup_meta_save(const char *zip_path, json_t *meta, char **cause)
{
	char *path = backup_meta_path(zip_path);
	char *text = json_dumps(meta, JSON_INDENT(2));
	char *line = xasprintf("%s\n", text);
	int rc = file_write_atomic(path, line, strlen(line), 0600, cause);

	free(line);
	free(text);
	free(path);
	return rc;
}

static int verdict(json_t *meta)
{
	json_t *v = json_object_get(json_object_get(meta, "verified"), "ok");

	return json_is_boolean(v) ? json_is_true(v) : -1;
}

static void item_load(struct backup_item *it, const char *dir,
		      const char *file, long name_time)
{
	struct stat st;
	char *why = NULL;
	const char *created;

	it->name = xstrndup(file, strlen(file) - 4);
	it->zip = xasprintf("%s/%s", dir, file);
	it->meta = backup_meta_load(it->zip, &why);
	free(why);
	it->size = stat(it->zip, &st) == 0 ? (long long)st.st_size : -1;
	created = json_string_value(json_object_get(it->meta, "created_at"));
	it->created = created ? time_parse_iso8601(created) : -1;
	if (it->created < 0)
		it->created = name_time;
	it->verified = verdict(it->meta);
}

static int newest_first(const void *a, const void *b)
{
	const struct backup_item *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? 1 : -1;
	return -strcmp(x->name, y->name);
}

int backup_list_load(const char *dir, const char *env,
		     struct backup_list *l, char **cause)
{
	DIR *dp = opendir(dir);
	struct dirent *de;

	memset(l, 0, sizeof(*l));
	if (!dp && errno == ENOENT)
		return 0;
	if (!dp) {
		*cause = xasprintf("cannot read '%s': %s", dir,
				   strerror(errno));
		return -1;
	}
	while ((de = readdir(dp))) {
		long t;

		if (!backup_name_parse(de->d_name, env, &t))
			continue;
		l->items = xrealloc(l->items, (l->n + 1) * sizeof(*l->items));
		memset(&l->items[l->n], 0, sizeof(*l->items));
		item_load(&l->items[l->n++], dir, de->d_name, t);
	}
	closedir(dp);
	if (l->n)
		qsort(l->items, l->n, sizeof(*l->items), newest_first);
	return 0;
}

void backup_list_release(struct backup_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].name);
		free(l->items[i].zip);
		json_decref(l->items[i].meta);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

void backup_retention(const struct backup_item *items, size_t n, long keep,
		      long max_age_days, long now, int *del)
{
	int verified_kept = 0;

	for (size_t i = 0; i < n; i++) {
		const struct backup_item *it = &items[i];
		int young = now - it->created < max_age_days * 86400L;

		del[i] = 0;
		if (it->verified == 1 && !verified_kept) {
			verified_kept = 1;
			continue;
		}
		if (!it->meta || (long)i < keep || young)
			continue;
		del[i] = 1;
	}
}

char *backup_pg_version(long v)
{
	/* Odoo: "%d.%d" % divmod(server_version / 100, 100) */
	return xasprintf("%ld.%ld", v / 10000, (v / 100) % 100);
}

char *backup_odoo_series(const char *base_version)
{
	const char *dot = base_version ? strchr(base_version, '.') : NULL;
	size_t n;

	if (!dot || dot == base_version)
		return xstrdup("19.0");
	n = (size_t)(dot - base_version) + 1;
	n += strspn(dot + 1, "0123456789");
	return xstrndup(base_version, n);
}

json_t *backup_manifest(const char *db_name, const char *odoo_version,
			long server_version_num, json_t *modules)
{
	char *pg = backup_pg_version(server_version_num);
	long major = strtol(odoo_version, NULL, 10);
	const char *dot = strchr(odoo_version, '.');
	long minor = dot ? strtol(dot + 1, NULL, 10) : 0;
	json_t *m = json_pack("{s:s,s:s,s:s,s:[i,i,i,s,i,s],s:s,s:s,s:O}",
			      "odoo_dump", "1", "db_name", db_name, "version",
			      odoo_version, "version_info", (json_int_t)major,
			      (json_int_t)minor, 0, "final", 0, "",
			      "major_version", odoo_version, "pg_version", pg,
			      "modules", modules);

	free(pg);
	return m;
}

/* ---- pg_dump's plain output --------------------------------------------- */

void dump_scan_init(struct dump_scan *s)
{
	memset(s, 0, sizeof(*s));
	s->tables = json_object();
}

void dump_scan_release(struct dump_scan *s)
{
	free(s->table);
	json_decref(s->tables);
	memset(s, 0, sizeof(*s));
}

/* "COPY public.res_partner (id, ...) FROM stdin;": the quoted name. */
static char *copy_table(const char *l)
{
	const char *p = l + 5;
	int quoted = 0;

	for (; *p && (quoted || *p != ' '); p++)
		if (*p == '"')
			quoted = !quoted;
	return xstrndup(l + 5, (size_t)(p - l - 5));
}

static void scan_line(struct dump_scan *s)
{
	const char *l = s->line;

	if (s->table) {
		if (s->line_total == 2 && l[0] == '\\' && l[1] == '.') {
			json_object_set_new(s->tables, s->table,
					    json_integer(s->rows));
			free(s->table);
			s->table = NULL;
		} else {
			s->rows++;
		}
		return;
	}
	if (!strncmp(l, "COPY ", 5)) {
		s->table = copy_table(l);
		s->rows = 0;
	}
	/* After the marker: its comment frame and 15.14+'s \unrestrict. */
	if (!strcmp(l, DUMP_COMPLETE))
		s->complete = 1;
	else if (s->line_total && strcmp(l, "--") &&
		 strncmp(l, "\\unrestrict ", 12))
		s->complete = 0;
}

void dump_scan_feed(struct dump_scan *s, const char *p, size_t n)
{
	s->bytes += (long long)n;
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) : n;
		size_t room = sizeof(s->line) - 1 - s->line_len;
		size_t c = k < room ? k : room;

		memcpy(s->line + s->line_len, p, c);
		s->line_len += c;
		s->line_total += k;
		if (!nl)
			break;
		s->line[s->line_len] = '\0';
		scan_line(s);
		s->line_len = s->line_total = 0;
		p += k + 1;
		n -= k + 1;
	}
}

/* ---- triggers --------------------------------------------------------- */

static const char *const trigger_names[] = {
	[TRIGGER_MANUAL] = "manual", [TRIGGER_PRE_DEPLOY] = "pre-deploy",
	[TRIGGER_SCHEDULED] = "scheduled", [TRIGGER_PRE_RESTORE] = "pre-restore",
	[TRIGGER_MIGRATE] = "migrate",
};

const char *backup_trigger_name(enum backup_trigger t)
{
	return trigger_names[t];
}

int backup_trigger_parse(const char *s)
{
	return str_index(trigger_names, ARRAY_SIZE(trigger_names), s);
}
