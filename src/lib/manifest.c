#include "manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "manifest_files.h"
#include "util.h"

#define K(kind) (1u << (kind))

/* ir.module.module's license selection in Odoo 19. */
static const char *const licenses[] = {
	"GPL-2", "GPL-2 or any later version", "GPL-3",
	"GPL-3 or any later version", "AGPL-3", "LGPL-3",
	"Other OSI approved licence", "OEEL-1", "OPL-1", "Other proprietary",
};

/* Keys whose type Odoo 19 relies on (name, author, license, version,
 * depends and the file lists have rules of their own). */
static const struct {
	const char *key;
	unsigned kinds;
	const char *what;
} key_types[] = {
	{ "summary", K(PYVAL_STR), "a str" },
	{ "category", K(PYVAL_STR), "a str" },
	{ "website", K(PYVAL_STR), "a str" },
	{ "maintainer", K(PYVAL_STR), "a str" },
	{ "support", K(PYVAL_STR), "a str" },
	{ "live_test_url", K(PYVAL_STR), "a str" },
	{ "currency", K(PYVAL_STR), "a str" },
	{ "icon", K(PYVAL_STR), "a str" },
	{ "pre_init_hook", K(PYVAL_STR), "a str (a function name)" },
	{ "post_init_hook", K(PYVAL_STR), "a str (a function name)" },
	{ "uninstall_hook", K(PYVAL_STR), "a str (a function name)" },
	{ "post_load", K(PYVAL_STR) | K(PYVAL_NONE),
	  "a str (a function name)" },
	{ "installable", K(PYVAL_BOOL), "True or False" },
	{ "application", K(PYVAL_BOOL), "True or False" },
	{ "bootstrap", K(PYVAL_BOOL), "True or False" },
	{ "web", K(PYVAL_BOOL), "True or False" },
	{ "sequence", K(PYVAL_INT), "an int" },
	{ "price", K(PYVAL_INT) | K(PYVAL_FLOAT), "a number" },
	{ "images", K(PYVAL_LIST) | K(PYVAL_TUPLE), "a list" },
	{ "countries", K(PYVAL_LIST) | K(PYVAL_TUPLE), "a list" },
	{ "cloc_exclude", K(PYVAL_LIST) | K(PYVAL_TUPLE), "a list" },
	{ "assets", K(PYVAL_DICT), "a dict of bundles" },
};

static const struct {
	const char *key;
	const char *why;
} deprecated[] = {
	{ "description", "put the description in README.rst, which Odoo 19 "
	  "shows when 'description' is absent" },
	{ "active", "ignored since Odoo 8: use 'auto_install'" },
	{ "init_xml", "a pre-Odoo 8 key: list the files in 'data'" },
	{ "update_xml", "a pre-Odoo 8 key: list the files in 'data'" },
	{ "demo_xml", "a pre-Odoo 8 key: list the files in 'demo'" },
	{ "qweb", "ignored since Odoo 14: list the templates in 'assets'" },
	{ "js", "ignored since Odoo 14: list the files in 'assets'" },
	{ "css", "ignored since Odoo 14: list the files in 'assets'" },
	{ "test", "ignored since Odoo 12: tests live in the tests/ package" },
};

static const char *const file_keys[] = {
	"data", "demo", "init_xml", "update_xml", "demo_xml",
};

void manifest_add(const struct manifest *m, struct lint_report *r,
		  const struct pyval *v, const char *rule, const char *fmt, ...)
{
	const struct pyval *at = v ? v : m->root;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	lint_add(r, m->path, at ? at->line : 1, at ? at->col : 1, rule, "%s",
		 msg);
	free(msg);
}

/*
 * The index of key (len bytes) among the manifest's dict keys, or -1.
 * get() and its callers pass mostly literal keys: their length costs
 * nothing then, and a manifest is asked for about 50 keys.
 */
static long find_n(const struct manifest *m, const char *key, size_t len)
{
	const struct pyval *d = m->root;

	for (size_t i = 0; d && d->kind == PYVAL_DICT && i < d->u.dict.n;
	     i++) {
		const struct pyval *k = d->u.dict.k[i];

		if (k->kind == PYVAL_STR && k->u.s.len == len &&
		    !memcmp(k->u.s.s, key, len))
			return (long)i;
	}
	return -1;
}

static const struct pyval *get_n(const struct manifest *m, const char *key,
				 size_t len)
{
	long i = find_n(m, key, len);

	return i < 0 ? NULL : m->root->u.dict.v[i];
}

#define get(m, key) get_n((m), (key), strlen(key))

/* A str that holds no NUL, so C can use it as a string. */
static const char *text(const struct pyval *v)
{
	if (!v || v->kind != PYVAL_STR || strlen(v->u.s.s) != v->u.s.len)
		return NULL;
	return v->u.s.s;
}

/* How a finding names v: 'its text' for a str, else "a <type>". */
static const char *quoted(const struct pyval *v, char *buf, size_t size)
{
	if (text(v))
		snprintf(buf, size, "'%.60s'", v->u.s.s);
	else
		snprintf(buf, size, "a %s", pyval_kind_name(v->kind));
	return buf;
}

static int is_seq(const struct pyval *v)
{
	return v && (v->kind == PYVAL_LIST || v->kind == PYVAL_TUPLE);
}

int manifest_valid_name(const char *name, size_t len)
{
	if (len == 0 || len > 256)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!(c >= 0x80 || c == '_' || (c >= '0' && c <= '9') ||
		      ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')))
			return 0;
	}
	return 1;
}

/* ---- loading ------------------------------------------------------------ */

static char *addon_name(const char *dir)
{
	char *copy = xstrdup(dir), *slash, resolved[PATH_MAX];

	while (strlen(copy) > 1 && copy[strlen(copy) - 1] == '/')
		copy[strlen(copy) - 1] = '\0';
	slash = strrchr(copy, '/');
	if ((!strcmp(slash ? slash + 1 : copy, ".") ||
	     !strcmp(slash ? slash + 1 : copy, "..")) &&
	    realpath(copy, resolved)) {
		free(copy);
		copy = xstrdup(resolved);
		slash = strrchr(copy, '/');
	}
	if (slash) {
		char *name = xstrdup(slash + 1);

		free(copy);
		return name;
	}
	return copy;
}

/*
 * The manifest at path: in buf (size bytes) when it fits, else in *heap
 * (the caller frees). NULL with *why, errno kept, when it cannot be read.
 * A regular file's read that returns less than asked ended at the end of
 * the file: no second read just to hear that.
 */
static const char *read_manifest(const char *path, char *buf, size_t size,
				 char **heap, size_t *len, char **why)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;
	ssize_t n;

	*heap = NULL;
	if (fd < 0) {
		e = errno;
		*why = xasprintf("cannot open '%s': %s", path, strerror(e));
		errno = e;
		return NULL;
	}
	do
		n = read(fd, buf, size);
	while (n < 0 && errno == EINTR);
	e = errno;
	close(fd);
	if (n >= 0 && (size_t)n < size) {
		*len = (size_t)n;
		return buf;
	}
	if (n < 0) {
		*why = xasprintf("cannot read '%s': %s", path, strerror(e));
		return NULL;
	}
	*heap = file_read(path, MANIFEST_MAX_SIZE, len, why);
	return *heap;
}

static int load(struct manifest *m, const char *dir, struct lint_report *r)
{
	struct pyliteral_error err;
	char *heap, *why = NULL, buf[16384];
	const char *src;
	const struct pyval *root;
	size_t len;

	memset(m, 0, sizeof(*m));
	m->path = xasprintf("%s%s" MANIFEST_NAME, dir,
			    dir[strlen(dir) - 1] == '/' ? "" : "/");
	src = read_manifest(m->path, buf, sizeof(buf), &heap, &len, &why);
	if (!src && errno == ENOENT) {
		free(why);
		free(m->path);
		m->path = NULL;
		return -1;
	}
	m->dir = xstrdup(dir);
	m->name = addon_name(dir);
	if (!src) {
		lint_add(r, m->path, 1, 1, "syntax", "%s", why);
		free(why);
		return 0;
	}
	m->doc = pyliteral_parse(src, len, &err);
	free(heap);
	if (!m->doc) {
		lint_add(r, m->path, err.line, err.col, "syntax", "%s",
			 err.msg);
		return 0;
	}
	root = pyliteral_root(m->doc);
	if (root->kind != PYVAL_DICT)
		lint_add(r, m->path, root->line, root->col, "manifest-type",
			 "the manifest is a %s: Odoo 19 needs a dict",
			 pyval_kind_name(root->kind));
	else
		m->root = root;
	return 0;
}

void manifest_release(struct manifest *m)
{
	for (size_t i = 0; i < m->ndeps; i++)
		free(m->deps[i].name);
	free(m->deps);
	pyliteral_free(m->doc);
	free(m->name);
	free(m->dir);
	free(m->path);
	memset(m, 0, sizeof(*m));
}

/* ---- rules -------------------------------------------------------------- */

static void rule_keys(const struct manifest *m, struct lint_report *r)
{
	for (size_t i = 0; i < m->root->u.dict.n; i++) {
		const struct pyval *k = m->root->u.dict.k[i];

		if (k->kind != PYVAL_STR)
			manifest_add(m, r, k, "manifest-type", "a key is a "
				     "%s: manifest keys are strings",
				     pyval_kind_name(k->kind));
	}
	for (size_t i = 0; i < ARRAY_SIZE(key_types); i++) {
		const struct pyval *v = get(m, key_types[i].key);

		if (v && !(key_types[i].kinds & K(v->kind)))
			manifest_add(m, r, v, "type", "'%s' is a %s: Odoo 19 "
				     "expects %s", key_types[i].key,
				     pyval_kind_name(v->kind),
				     key_types[i].what);
	}
	if (!manifest_valid_name(m->name, strlen(m->name)))
		manifest_add(m, r, NULL, "addon-name", "'%s' is not a module "
			     "name (letters, digits and '_'): Odoo 19 ignores "
			     "this addon", m->name);
}

/* name, author and license: required, non-empty strings. */
static void rule_required(const struct manifest *m, struct lint_report *r,
			  const char *key, const char *missing)
{
	const struct pyval *v = get(m, key);
	const char *s = text(v);

	if (!v)
		manifest_add(m, r, NULL, key, "no '%s': %s", key, missing);
	else if (v->kind != PYVAL_STR)
		manifest_add(m, r, v, key, "'%s' is a %s: write a str", key,
			     pyval_kind_name(v->kind));
	else if (!s || !s[strspn(s, " \t\n")])
		manifest_add(m, r, v, key, "'%s' is empty: %s", key, missing);
}

static void rule_license(const struct manifest *m, struct lint_report *r)
{
	const struct pyval *v = get(m, "license");
	const char *s = text(v);

	rule_required(m, r, "license", "Odoo 19 assumes LGPL-3 and logs a "
		      "warning");
	if (!s || !s[strspn(s, " \t\n")])
		return;
	for (size_t i = 0; i < ARRAY_SIZE(licenses); i++)
		if (!strcmp(s, licenses[i]))
			return;
	manifest_add(m, r, v, "license", "'%.60s' is not a license Odoo 19 "
		     "accepts (GPL-2, GPL-2 or any later version, GPL-3, "
		     "GPL-3 or any later version, AGPL-3, LGPL-3, Other OSI "
		     "approved licence, OEEL-1, OPL-1, Other proprietary)", s);
}

/* Odoo 19's adapt_version() and check_version(). */
static const char *version_problem(const char *s)
{
	size_t parts = 1;

	for (const char *p = s; *p; p++)
		parts += *p == '.';
	if (parts < 2 || parts > 5)
		return "has not 2 to 5 parts: Odoo 19 refuses to load the "
		       "module";
	for (const char *p = s; *p; p += *p == '.') {
		size_t n = strspn(p, "0123456789");

		if (n == 0 || (p[n] && p[n] != '.'))
			return "holds a part that is not a number: Odoo 19 "
			       "refuses to load the module";
		p += n;
	}
	if (parts <= 3 && !str_starts_with(s, ODOO_SERIES))
		return NULL;	/* x.y, x.y.z: Odoo prefixes 19.0. */
	if (!str_starts_with(s, ODOO_SERIES "."))
		return "is not of the " ODOO_SERIES " series: Odoo 19 marks "
		       "the module uninstallable";
	return NULL;
}

static void rule_version(const struct manifest *m, struct lint_report *r)
{
	const struct pyval *v = get(m, "version");
	const char *s = text(v), *why;

	if (!v)
		return;		/* Odoo uses 1.0 */
	if (v->kind != PYVAL_STR) {
		manifest_add(m, r, v, "version", "'version' is a %s: write a "
			     "str such as '" ODOO_SERIES ".1.0.0'",
			     pyval_kind_name(v->kind));
		return;
	}
	why = s ? version_problem(s) : "holds a NUL character";
	if (why)
		manifest_add(m, r, v, "version", "version '%.40s' %s (write "
			     ODOO_SERIES ".x.y.z, or x.y.z which Odoo "
			     "prefixes)", s ? s : "", why);
}

/* Its 'depends' when well-formed (a list or tuple), else NULL. */
static const struct pyval *manifest_depends(const struct manifest *m)
{
	const struct pyval *v = m->root ? get(m, "depends") : NULL;

	return is_seq(v) ? v : NULL;
}

static void rule_depends(const struct manifest *m, struct lint_report *r)
{
	const struct pyval *v = get(m, "depends");

	if (v && !is_seq(v)) {
		manifest_add(m, r, v, "depends", "'depends' is a %s: write a "
			     "list of module names", pyval_kind_name(v->kind));
		return;
	}
	for (size_t i = 0; v && i < v->u.seq.n; i++) {
		const struct pyval *d = v->u.seq.v[i];

		if (d->kind != PYVAL_STR)
			manifest_add(m, r, d, "depends", "a dependency is a "
				     "%s: write the module's name",
				     pyval_kind_name(d->kind));
		else if (!manifest_valid_name(d->u.s.s, d->u.s.len))
			manifest_add(m, r, d, "depends", "'%.60s' is not a "
				     "module name", d->u.s.s);
	}
}

static int depends_on(const struct manifest *m, const struct pyval *name)
{
	const struct pyval *deps = manifest_depends(m);

	for (size_t i = 0; deps && i < deps->u.seq.n; i++)
		if (deps->u.seq.v[i]->kind == PYVAL_STR &&
		    deps->u.seq.v[i]->u.s.len == name->u.s.len &&
		    !memcmp(deps->u.seq.v[i]->u.s.s, name->u.s.s,
			    name->u.s.len))
			return 1;
	return 0;
}

static void rule_auto_install(const struct manifest *m, struct lint_report *r)
{
	const struct pyval *v = get(m, "auto_install");

	if (!v || v->kind == PYVAL_BOOL)
		return;
	if (!is_seq(v) && v->kind != PYVAL_SET) {
		manifest_add(m, r, v, "auto_install", "'auto_install' is a %s: "
			     "write True, False or a list of dependencies",
			     pyval_kind_name(v->kind));
		return;
	}
	if (get(m, "depends") && !manifest_depends(m))
		return;		/* the depends rule said why */
	for (size_t i = 0; i < v->u.seq.n; i++) {
		const struct pyval *d = v->u.seq.v[i];
		char name[80];

		if (d->kind != PYVAL_STR || !depends_on(m, d))
			manifest_add(m, r, d, "auto_install", "auto_install "
				     "lists %s, which is not in 'depends': "
				     "Odoo 19 refuses to load the module",
				     quoted(d, name, sizeof(name)));
	}
}

/* Why path cannot name a file of the addon, before looking; or NULL. */
static const char *path_problem(const char *path)
{
	if (!*path)
		return "is an empty path";
	if (path[0] == '/')
		return "is absolute: paths are relative to the addon";
	if (!strcmp(path, "..") || str_starts_with(path, "../") ||
	    strstr(path, "/../") || (strlen(path) > 2 &&
				     !strcmp(path + strlen(path) - 3, "/..")))
		return "leaves the addon";
	return NULL;
}

static const char *file_problem(const struct manifest_files *files,
				const char *path)
{
	static const char *const exts[] = { ".xml", ".csv", ".sql", ".js" };
	const char *ext = strrchr(path, '.'), *why = path_problem(path);
	int kind;

	if (why)
		return why;
	kind = manifest_files_stat(files, path);
	if (kind < 0)
		return "does not exist";
	if (kind > 0)
		return "is not a file";
	for (size_t i = 0; ext && i < ARRAY_SIZE(exts); i++)
		if (!strcasecmp(ext, exts[i]))
			return NULL;
	return "is not an .xml, .csv or .sql file: Odoo 19 cannot load it";
}

static void rule_files(const struct manifest *m, struct lint_report *r,
		       const struct manifest_files *files, const char *key)
{
	const struct pyval *v = get(m, key);

	if (v && !is_seq(v)) {
		manifest_add(m, r, v, "data-file", "'%s' is a %s: write a list "
			     "of file paths", key, pyval_kind_name(v->kind));
		return;
	}
	for (size_t i = 0; v && i < v->u.seq.n; i++) {
		const struct pyval *f = v->u.seq.v[i];
		const char *why = text(f) ? file_problem(files, f->u.s.s) :
				  "is not a str";

		if (why)
			manifest_add(m, r, f, "data-file", "'%.80s' in '%s' %s",
				     text(f) ? f->u.s.s : "entry", key, why);
	}
}

/* The files rule_files will look for, each directory read at most once. */
static void plan_files(const struct manifest *m, struct manifest_files *files)
{
	manifest_files_init(files, m->dir);
	for (size_t k = 0; k < ARRAY_SIZE(file_keys); k++) {
		const struct pyval *v = get(m, file_keys[k]);

		for (size_t i = 0; is_seq(v) && i < v->u.seq.n; i++) {
			const char *path = text(v->u.seq.v[i]);

			if (path && !path_problem(path))
				manifest_files_want(files, path);
		}
	}
	manifest_files_list(files);
}

/* A PEP 508 requirement's name, then its version or marker if any. */
static int python_requirement(const char *s)
{
	size_t n = 0;

	while (s[n] && (strchr("._-", s[n]) || (s[n] >= '0' && s[n] <= '9') ||
			((s[n] | 0x20) >= 'a' && (s[n] | 0x20) <= 'z')))
		n++;
	if (n == 0 || strchr("._-", s[0]) || strchr("._-", s[n - 1]))
		return 0;
	return !s[n] || strchr(" [(<>=!~;", s[n]);
}

static void external_list(const struct manifest *m, struct lint_report *r,
			  const char *key, const struct pyval *v)
{
	if (!is_seq(v)) {
		manifest_add(m, r, v, "external-dependencies", "external_"
			     "dependencies['%s'] is a %s: write a list", key,
			     pyval_kind_name(v->kind));
		return;
	}
	for (size_t i = 0; i < v->u.seq.n; i++) {
		const struct pyval *e = v->u.seq.v[i];
		const char *s = text(e);

		if (!s || !*s)
			manifest_add(m, r, e, "external-dependencies", "an "
				     "entry of external_dependencies['%s'] is "
				     "%s: write a name", key, s ? "empty" :
				     pyval_kind_name(e->kind));
		else if (!strcmp(key, "python") && !python_requirement(s))
			manifest_add(m, r, e, "external-dependencies",
				     "'%.60s' is not a Python requirement (a "
				     "PyPI name, maybe with a version: "
				     "'lxml>=4.9')", s);
	}
}

static void rule_external(const struct manifest *m, struct lint_report *r)
{
	const struct pyval *v = get(m, "external_dependencies");

	if (!v)
		return;
	if (v->kind != PYVAL_DICT) {
		manifest_add(m, r, v, "external-dependencies", "'external_"
			     "dependencies' is a %s: write {'python': [...], "
			     "'bin': [...]}", pyval_kind_name(v->kind));
		return;
	}
	for (size_t i = 0; i < v->u.dict.n; i++) {
		const struct pyval *k = v->u.dict.k[i];
		char name[80];

		if (pyval_is_str(k, "python") || pyval_is_str(k, "bin"))
			external_list(m, r, k->u.s.s, v->u.dict.v[i]);
		else
			manifest_add(m, r, k, "external-dependencies",
				     "unknown key %s in external_dependencies "
				     "(Odoo 19 reads 'python' and 'bin')",
				     quoted(k, name, sizeof(name)));
	}
}

static void rule_deprecated(const struct manifest *m, struct lint_report *r)
{
	for (size_t j = 0; j < ARRAY_SIZE(deprecated); j++) {
		long i = find_n(m, deprecated[j].key,
				strlen(deprecated[j].key));

		if (i >= 0)
			manifest_add(m, r, m->root->u.dict.k[i],
				     "deprecated-key", "'%s' is deprecated: %s",
				     deprecated[j].key, deprecated[j].why);
	}
}

static void check(const struct manifest *m, struct lint_report *r)
{
	struct manifest_files files;

	rule_keys(m, r);
	rule_required(m, r, "name", "Odoo 19 requires one");
	rule_required(m, r, "author", "Odoo 19 requires one (it logs a "
		      "warning and falls back to 'maintainer')");
	rule_license(m, r);
	rule_version(m, r);
	rule_depends(m, r);
	rule_auto_install(m, r);
	plan_files(m, &files);
	for (size_t i = 0; i < ARRAY_SIZE(file_keys); i++)
		rule_files(m, r, &files, file_keys[i]);
	manifest_files_release(&files);
	rule_external(m, r);
	rule_deprecated(m, r);
}

/* What lint.c needs once the tree is gone: the dependencies' names. */
static void keep_depends(struct manifest *m)
{
	const struct pyval *deps = manifest_depends(m);

	m->deps = xcalloc(deps ? deps->u.seq.n : 0, sizeof(*m->deps));
	for (size_t i = 0; deps && i < deps->u.seq.n; i++) {
		const struct pyval *d = deps->u.seq.v[i];

		if (!text(d) || !manifest_valid_name(d->u.s.s, d->u.s.len))
			continue;
		m->deps[m->ndeps].name = xstrdup(d->u.s.s);
		m->deps[m->ndeps].line = d->line;
		m->deps[m->ndeps++].col = d->col;
	}
}

int manifest_lint(struct manifest *m, const char *dir, struct lint_report *r)
{
	if (load(m, dir, r) < 0)
		return -1;
	if (m->root) {
		check(m, r);
		keep_depends(m);
	}
	pyliteral_free(m->doc);
	m->doc = NULL;
	m->root = NULL;
	return 0;
}
