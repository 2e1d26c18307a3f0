#include "lint/lint_assets.h"

#include <dirent.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "odoo/odoo19.h"
#include "core/util.h"

#define WALK_MAX_DEPTH 32
#define XML_MAX_SIZE (16u << 20)

/* Odoo 19's ASSET_EXTENSIONS (odoo/tools/constants.py:6). */
static int asset_file(const char *name)
{
	static const char *const exts[] = {
		"js", "css", "scss", "sass", "less", "xml",
	};
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot && i < ARRAY_SIZE(exts); i++)
		if (!strcmp(dot + 1, exts[i]))
			return 1;
	return 0;
}

/* ---- glob --------------------------------------------------------------- */

/* The component at s (up to '/' or the end) into out; 0 when too long. */
static int component(const char *s, const char *end, char out[NAME_MAX + 1])
{
	size_t n = (size_t)(end - s);

	if (n > NAME_MAX)
		return 0;
	memcpy(out, s, n);
	out[n] = '\0';
	return 1;
}

static const char *next(const char *end)
{
	return *end ? end + 1 : end;
}

int lint_glob_match(const char *pattern, const char *path)
{
	const char *pe = strchrnul(pattern, '/'), *se = strchrnul(path, '/');
	char pc[NAME_MAX + 1], sc[NAME_MAX + 1];

	if (!*pattern)
		return !*path;
	if (pe - pattern == 2 && !strncmp(pattern, "**", 2)) {
		if (lint_glob_match(next(pe), path))
			return 1;	/* no directory */
		return *path && *path != '.' &&
		       lint_glob_match(pattern, next(se));
	}
	if (!*path || !component(pattern, pe, pc) || !component(path, se, sc))
		return 0;
	return !fnmatch(pc, sc, FNM_PERIOD | FNM_NOESCAPE) &&
	       lint_glob_match(next(pe), next(se));
}

/* ir_asset.py:40, is_wildcard_glob() */
static int is_glob(const char *s)
{
	return strpbrk(s, "*[]?") != NULL;
}

/* ir_asset.py:35, can_aggregate(): not a URL with a scheme or a host. */
static int external(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
			  "VWXYZ0123456789+.-");

	return str_starts_with(s, "//") || str_starts_with(s, "/web/content") ||
	       (n > 0 && s[n] == ':' && !strchr("0123456789+.-", s[0]));
}

/*
 * path as ir_asset.py:337-353 reads it: its non-empty parts joined, "."
 * and ".." resolved (os.path.normpath), which must stay under
 * ADDON/static/; NULL when they do not. *addon_len: the addon's length.
 */
static char *normalize(const char *path, size_t *addon_len)
{
	char *out = xcalloc(strlen(path) + 1, 1), *o = out;

	while (*path) {
		const char *end = strchrnul(path, '/');
		size_t n = (size_t)(end - path);

		if (n == 2 && !strncmp(path, "..", 2)) {
			char *slash = memrchr(out, '/', (size_t)(o - out));

			if (!slash) {
				free(out);
				return NULL;
			}
			o = slash;
			*o = '\0';
		} else if (n && !(n == 1 && *path == '.')) {
			if (o > out)
				*o++ = '/';
			memcpy(o, path, n);
			o += n;
			*o = '\0';
		}
		path = next(end);
	}
	*addon_len = strcspn(out, "/");
	if (strncmp(out + *addon_len, "/static/", 8) || !out[*addon_len + 8]) {
		free(out);
		return NULL;
	}
	return out;
}

/* ---- the files of an addon ---------------------------------------------- */

struct files {
	char **v;		/* "addon/static/...", sorted */
	size_t n, cap;
	int done;
};

static void files_push(struct files *f, char *path)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 64;
		f->v = xrealloc(f->v, f->cap * sizeof(*f->v));
	}
	f->v[f->n++] = path;
}

/* The kind of dir/name, following a symbolic link: DT_DIR, DT_REG, else 0. */
static int kind_of(const char *path, unsigned char type)
{
	struct stat st;

	if (type == DT_DIR || type == DT_REG)
		return type;
	if (stat(path, &st) < 0)
		return 0;
	return S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : 0;
}

static void walk(const char *dir, const char *rel, int depth, struct files *f)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char *sub, *subrel;
		int kind;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		sub = xasprintf("%s/%s", dir, e->d_name);
		subrel = xasprintf("%s/%s", rel, e->d_name);
		kind = kind_of(sub, e->d_type);
		if (kind == DT_DIR && depth < WALK_MAX_DEPTH)
			walk(sub, subrel, depth + 1, f);
		if (kind == DT_REG && asset_file(e->d_name))
			files_push(f, subrel);
		else
			free(subrel);
		free(sub);
	}
	if (d)
		closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_key(const void *key, const void *elem)
{
	return strcmp(key, *(char *const *)elem);
}

/* ---- the check ---------------------------------------------------------- */

struct ctx {
	const struct manifest *m;
	size_t n;
	unsigned flags;
	struct lint_report *r;
	const char **by_name;	/* the linted addons' names, sorted */
	size_t *index;		/* by_name[i] is m[index[i]] */
	struct files *files;	/* per linted addon, walked when asked */
	char **bundles;		/* the linted manifests' bundles */
	size_t nbundles;
};

/* The linted addon called name (the first of that name), or -1. */
static long linted(const struct ctx *c, const char *name, size_t len)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strncmp(c->by_name[mid], name, len);

		if (!cmp)
			cmp = c->by_name[mid][len] ? 1 : 0;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->n && !strncmp(c->by_name[lo], name, len) &&
	    !c->by_name[lo][len])
		return (long)c->index[lo];
	return -1;
}

/*
 * The asset files of the addon named by path[0..len): *v, their count;
 * -1 when they are not known here (an addon that is neither linted with
 * its files nor one of Odoo 19's listed trees).
 */
static long addon_files(struct ctx *c, const char *path, size_t len,
			const char *const **v)
{
	long i = linted(c, path, len);
	char *name;
	size_t n;

	if (i >= 0 && !(c->flags & LINT_FILES))
		return -1;
	if (i >= 0) {
		struct files *f = &c->files[i];

		if (!f->done) {
			char *dir = xasprintf("%s/static", c->m[i].dir);
			char *rel = xasprintf("%s/static", c->m[i].name);

			walk(dir, rel, 0, f);
			if (f->n)
				qsort(f->v, f->n, sizeof(*f->v), cmp_str);
			f->done = 1;
			free(dir);
			free(rel);
		}
		*v = (const char *const *)f->v;
		return (long)f->n;
	}
	name = xasprintf("%.*s", (int)len, path);
	n = odoo19_tree(name) ? odoo19_static_files(name, v) : 0;
	i = odoo19_tree(name) ? (long)n : -1;
	free(name);
	return i;
}

/* The literal directories a pattern starts with ("a/static/src/"). */
static size_t literal_prefix(const char *pattern)
{
	size_t len = 0;

	for (const char *p = pattern, *end; *(end = strchrnul(p, '/'));
	     p = end + 1) {
		if (memchr(p, '*', (size_t)(end - p)) ||
		    memchr(p, '?', (size_t)(end - p)) ||
		    memchr(p, '[', (size_t)(end - p)) ||
		    memchr(p, ']', (size_t)(end - p)))
			break;
		len = (size_t)(end - pattern) + 1;
	}
	return len;
}

/* Whether an asset file of v matches pattern (v sorted). */
static int any_match(const char *const *v, size_t n, const char *pattern)
{
	size_t len = literal_prefix(pattern);
	size_t lo = odoo19_lower_bound(v, n, pattern, len);

	for (; lo < n && !strncmp(v[lo], pattern, len); lo++)
		if (lint_glob_match(pattern, v[lo]))
			return 1;
	return 0;
}

/* 1: path resolves to an asset file; 0: it does not; -1: not known. */
static int resolves(struct ctx *c, const char *path)
{
	const char *const *v = NULL;
	size_t addon_len;
	char *norm;
	long n;
	int found;

	if (external(path))
		return -1;
	norm = normalize(path, &addon_len);
	path += strspn(path, "/");
	n = addon_files(c, path, strcspn(path, "/"), &v);
	if (n < 0) {
		free(norm);
		return -1;
	}
	found = norm && strcspn(path, "/") == addon_len &&
		!strncmp(path, norm, addon_len) &&
		any_match(v, (size_t)n, norm);
	free(norm);
	return found;
}

/*
 * Whether a data file of a linted addon holds url: a record of an
 * ir.attachment that Odoo serves under it (ir_asset.py:364-365 takes a
 * path that is no file for an attachment's url; assetsbundle.py:748 finds
 * it). Only for a path that is no file, which is rare.
 */
static int attachment_url(const struct ctx *c, const char *url)
{
	int found = 0;

	for (size_t i = 0; i < c->n && !found; i++)
		for (size_t j = 0; j < c->m[i].nxml && !found; j++) {
			char *path = xasprintf("%s/%s", c->m[i].dir,
					       c->m[i].xml[j]), *why = NULL;
			size_t len;
			char *xml = file_read(path, XML_MAX_SIZE, &len, &why);

			found = xml && strstr(xml, url);
			free(xml);
			free(why);
			free(path);
		}
	return found;
}

static int bundle_known(const struct ctx *c, const char *name)
{
	return odoo19_bundle(name) ||
	       (c->nbundles && bsearch(name, c->bundles, c->nbundles,
				       sizeof(*c->bundles), cmp_key));
}

static void check_entry(struct ctx *c, const struct manifest *m,
			const struct manifest_asset *a)
{
	const char *glob_why = "matches no asset file (.js .css .scss .sass "
			       ".less .xml under an addon's static/): Odoo 19 "
			       "logs a warning (ir_asset.py:371)";

	if (!strcmp(a->directive, "include")) {
		if (!bundle_known(c, a->path))
			lint_add(c->r, LINT_NOTE, m->path, a->line, a->col,
				 "assets", "bundle '%.60s' includes '%.60s', "
				 "which no manifest declares (of the addons "
				 "linted and Odoo 19's): Odoo 19 includes "
				 "nothing (ir_asset.py:182-191)", a->bundle,
				 a->path);
		return;
	}
	if (a->target && !resolves(c, a->target))
		lint_add(c->r, LINT_ERROR, m->path, a->line, a->col, "assets",
			 "the target '%.80s' of '%.80s' in bundle '%.60s' is "
			 "no asset file: Odoo 19 cannot build the bundle "
			 "(ir_asset.py:227, 430)", a->target, a->path,
			 a->bundle);
	if (resolves(c, a->path))
		return;
	if (is_glob(a->path))
		lint_add(c->r, LINT_WARNING, m->path, a->line, a->col, "assets",
			 "'%.80s' in bundle '%.60s' %s", a->path, a->bundle,
			 glob_why);
	else if (strcmp(a->directive, "remove") && !attachment_url(c, a->path))
		lint_add(c->r, LINT_ERROR, m->path, a->line, a->col, "assets",
			 "'%.80s' in bundle '%.60s' is no asset file (.js .css "
			 ".scss .sass .less .xml under an addon's static/): "
			 "Odoo 19 logs an error and builds the bundle without "
			 "it (assetsbundle.py:728)", a->path, a->bundle);
}

static int cmp_index(const void *a, const void *b, void *arg)
{
	const struct manifest *m = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(m[x].name, m[y].name);

	return c ? c : (x > y) - (x < y);
}

static void ctx_init(struct ctx *c, const struct manifest *m, size_t n)
{
	c->index = xcalloc(n + 1, sizeof(*c->index));
	c->by_name = xcalloc(n + 1, sizeof(*c->by_name));
	c->files = xcalloc(n + 1, sizeof(*c->files));
	for (size_t i = 0; i < n; i++) {
		c->index[i] = i;
		c->nbundles += m[i].nbundles;
	}
	qsort_r(c->index, n, sizeof(*c->index), cmp_index, (void *)m);
	for (size_t i = 0; i < n; i++)
		c->by_name[i] = m[c->index[i]].name;
	c->bundles = xcalloc(c->nbundles + 1, sizeof(*c->bundles));
	c->nbundles = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < m[i].nbundles; j++)
			c->bundles[c->nbundles++] = m[i].bundles[j];
	qsort(c->bundles, c->nbundles, sizeof(*c->bundles), cmp_str);
}

static void ctx_release(struct ctx *c)
{
	for (size_t i = 0; i < c->n; i++) {
		for (size_t j = 0; j < c->files[i].n; j++)
			free(c->files[i].v[j]);
		free(c->files[i].v);
	}
	free(c->files);
	free(c->index);
	free(c->by_name);
	free(c->bundles);
}

void lint_assets(const struct manifest *m, size_t n, unsigned flags,
		 struct lint_report *r)
{
	struct ctx c = { .m = m, .n = n, .flags = flags, .r = r };

	ctx_init(&c, m, n);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < m[i].nassets; j++)
			check_entry(&c, &m[i], &m[i].assets[j]);
	ctx_release(&c);
}
