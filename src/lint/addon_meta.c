#include "lint/addon_meta.h"
#include "lint/manifest.h"
#include "python/pyliteral.h"
#include "core/util.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

char *addon_meta_adapt_version(const char *v)
{
	if (!strcmp(v, ODOO_SERIES) || !str_starts_with(v, ODOO_SERIES "."))
		return xasprintf(ODOO_SERIES ".%s", v);
	return xstrdup(v);
}

static void add_files(struct addon_meta *m, const struct pyval *list)
{
	if (!list || (list->kind != PYVAL_LIST && list->kind != PYVAL_TUPLE))
		return;
	for (size_t i = 0; i < list->u.seq.n; i++) {
		const struct pyval *f = list->u.seq.v[i];

		if (f->kind != PYVAL_STR || strlen(f->u.s.s) != f->u.s.len)
			continue;
		m->files = xrealloc(m->files, (m->nfiles + 1) *
				    sizeof(*m->files));
		m->files[m->nfiles++] = xstrdup(f->u.s.s);
	}
}

int addon_meta_parse(const char *src, size_t len, struct addon_meta *m,
		     char **cause)
{
	struct pyliteral_error err;
	struct pyliteral *doc = pyliteral_parse(src, len, &err);
	const struct pyval *root, *v;

	memset(m, 0, sizeof(*m));
	if (!doc) {
		*cause = xasprintf("line %d:%d: %s", err.line, err.col,
				   err.msg);
		return -1;
	}
	root = pyliteral_root(doc);
	if (root->kind != PYVAL_DICT) {
		*cause = xasprintf("it is a %s, not a dict",
				   pyval_kind_name(root->kind));
		pyliteral_free(doc);
		return -1;
	}
	v = pyval_dict_get(root, "version");
	if (!v)		/* Odoo's default */
		m->version = addon_meta_adapt_version("1.0");
	else if (v->kind == PYVAL_STR && strlen(v->u.s.s) == v->u.s.len)
		m->version = addon_meta_adapt_version(v->u.s.s);
	m->version_line = v ? v->line : 0;
	m->version_col = v ? v->col : 0;
	add_files(m, pyval_dict_get(root, "data"));
	add_files(m, pyval_dict_get(root, "demo"));
	pyliteral_free(doc);
	return 0;
}

int addon_meta_read(const char *addon_dir, struct addon_meta *m,
		    char **cause)
{
	char *path = xasprintf("%s/" MANIFEST_NAME, addon_dir), *src, *why;
	size_t len;
	int rc;

	memset(m, 0, sizeof(*m));
	src = file_read(path, MANIFEST_MAX_SIZE, &len, cause);
	if (!src) {
		free(path);
		return -1;
	}
	rc = addon_meta_parse(src, len, m, &why);
	if (rc < 0) {
		*cause = xasprintf("%s: %s", path, why);
		free(why);
	}
	free(src);
	free(path);
	return rc;
}

void addon_meta_release(struct addon_meta *m)
{
	for (size_t i = 0; i < m->nfiles; i++)
		free(m->files[i]);
	free(m->files);
	free(m->version);
	memset(m, 0, sizeof(*m));
}

int addon_meta_db_file(const struct addon_meta *m, const char *rel)
{
	size_t len = strlen(rel);

	if (addons_skipped(rel))
		return 0;
	if (!strcmp(rel, MANIFEST_NAME))
		return 1;
	if (len > 3 && !strcmp(rel + len - 3, ".py"))
		return !str_starts_with(rel, "controllers/");
	if (str_starts_with(rel, "i18n/") && len > 3 &&
	    !strcmp(rel + len - 3, ".po"))
		return 1;
	for (size_t i = 0; i < m->nfiles; i++) {
		const char *f = m->files[i];

		f += str_starts_with(f, "./") ? 2 : 0;
		if (!strcmp(f, rel))
			return 1;
	}
	return 0;
}

int addons_skipped(const char *rel)
{
	return !fnmatch("*.pyc", rel, 0) || !fnmatch("*/__pycache__/*", rel, 0) ||
	       !fnmatch("__pycache__/*", rel, 0) ||
	       str_starts_with(rel, "static/") || str_starts_with(rel, "tests/") ||
	       (str_starts_with(rel, "i18n/") && !fnmatch("*.pot", rel, 0));
}
