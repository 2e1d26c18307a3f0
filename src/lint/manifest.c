#include "lint/manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lint/manifest_files.h"
#include "core/util.h"

#define K(kind) (1u << (kind))

/* ir.module.module's license selection in Odoo 19 (ir_module.py:296). */
static const char *const licenses[] = {
	"GPL-2", "GPL-2 or any later version", "GPL-3",
	"GPL-3 or any later version", "AGPL-3", "LGPL-3",
	"Other OSI approved licence", "OEEL-1", "OPL-1", "Other proprietary",
};

/*
 * Keys whose type Odoo 19 relies on when they are set (truthy): anything
 * else raises where it reads them. A str is taken where Python iterates
 * one (contributors, countries).
 */
static const struct {
	const char *key;
	unsigned kinds;
	const char *what, *where;
} key_types[] = {
	{ "category", K(PYVAL_STR), "a str",
	  "ir_module.py:856 splits it on '/'" },
	{ "description", K(PYVAL_STR), "a str",
	  "ir_module.py:737 dedents it" },
	{ "contributors", K(PYVAL_LIST) | K(PYVAL_TUPLE) | K(PYVAL_SET) |
	  K(PYVAL_STR), "a list of str", "ir_module.py:741 joins it" },
	{ "countries", K(PYVAL_LIST) | K(PYVAL_TUPLE) | K(PYVAL_STR),
	  "a list of country codes", "ir_module.py:826 upper-cases each" },
	{ "icon", K(PYVAL_STR), "a str (a path)",
	  "module.py:388 strips its '/'" },
	{ "post_load", K(PYVAL_STR), "a str (a function name)",
	  "module.py:512 looks it up with getattr" },
	{ "pre_init_hook", K(PYVAL_STR), "a str (a function name)",
	  "loading.py:177 looks it up with getattr" },
	{ "post_init_hook", K(PYVAL_STR), "a str (a function name)",
	  "loading.py:235 looks it up with getattr" },
	{ "uninstall_hook", K(PYVAL_STR), "a str (a function name)",
	  "loading.py:536 looks it up with getattr" },
	{ "sequence", K(PYVAL_INT) | K(PYVAL_BOOL) | K(PYVAL_FLOAT) |
	  K(PYVAL_STR), "an int", "ir_asset.py:300 calls int() on it" },
};

/* Keys Odoo 19 no longer reads, though older versions loaded files with
 * them: notes (a known trap, nothing Odoo says). */
static const struct {
	const char *key;
	const char *why;
} ignored[] = {
	{ "update_xml", "Odoo 19 loads no file from it (loading.py:47 reads "
	  "'init_xml', 'data' and 'demo'): list the files in 'data'" },
	{ "demo_xml", "Odoo 19 loads no file from it (loading.py:47 reads "
	  "'init_xml', 'data' and 'demo'): list the files in 'demo'" },
	{ "qweb", "Odoo 19 reads templates from 'assets' only "
	  "(ir_asset.py:189)" },
	{ "js", "Odoo 19 reads asset files from 'assets' only "
	  "(ir_asset.py:189)" },
	{ "css", "Odoo 19 reads asset files from 'assets' only "
	  "(ir_asset.py:189)" },
	{ "active", "Odoo 19 installs automatically from 'auto_install' only "
	  "(ir_module.py:746)" },
};

/* The file lists Odoo 19 loads (loading.py:47) and how bad a missing
 * file is: data aborts the install, demo is logged and skipped. */
static const struct {
	const char *key;
	enum lint_severity severity;
	const char *effect;
} file_keys[] = {
	{ "data", LINT_ERROR, "Odoo 19 cannot install the module" },
	{ "init_xml", LINT_ERROR, "Odoo 19 cannot install the module" },
	{ "demo", LINT_WARNING, "Odoo 19 logs a warning and installs "
	  "without demo data" },
};

void manifest_add(const struct manifest *m, struct lint_report *r,
		  enum lint_severity severity, const struct pyval *v,
		  const char *rule, const char *fmt, ...)
{
	const struct pyval *at = v ? v : m->root;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	lint_add(r, severity, m->path, at ? at->line : 1, at ? at->col : 1,
		 rule, "%s", msg);
	free(msg);
}

/*
 * The index of key (len bytes) among the manifest's dict keys, or -1.
 * get() and its callers pass mostly literal keys: their length costs
 * nothing then, and a manifest is asked for about 50 keys. The last of
 * equal keys wins, as in dict.update() of a list of pairs (a dict literal
 * has them merged already).
 */
static long find_n(const struct manifest *m, const char *key, size_t len)
{
	const struct pyval *d = m->root;
	long found = -1;

	for (size_t i = 0; d && d->kind == PYVAL_DICT && i < d->u.dict.n;
	     i++) {
		const struct pyval *k = d->u.dict.k[i];

		if (k->kind == PYVAL_STR && k->u.s.len == len &&
		    !memcmp(k->u.s.s, key, len))
			found = (long)i;
	}
	return found;
}

static const struct pyval *get_n(const struct manifest *m, const char *key,
				 size_t len)
{
	long i = find_n(m, key, len);

	return i < 0 ? NULL : m->root->u.dict.v[i];
}

#define get(m, key) get_n((m), (key), strlen(key))

const struct pyval *manifest_get(const struct manifest *m, const char *key)
{
	return get(m, key);
}

const char *manifest_text(const struct pyval *v)
{
	if (!v || v->kind != PYVAL_STR || strlen(v->u.s.s) != v->u.s.len)
		return NULL;
	return v->u.s.s;
}

#define text manifest_text

int manifest_truthy(const struct pyval *v)
{
	switch (v->kind) {
	case PYVAL_NONE:
		return 0;
	case PYVAL_BOOL:
		return v->u.b;
	case PYVAL_INT:
		return v->u.i.v != 0 || v->u.i.big;
	case PYVAL_FLOAT:
		return v->u.f != 0;
	case PYVAL_COMPLEX:
		return v->u.c.re != 0 || v->u.c.im != 0;
	case PYVAL_STR:
	case PYVAL_BYTES:
		return v->u.s.len > 0;
	case PYVAL_ELLIPSIS:
		return 1;
	case PYVAL_TUPLE:
	case PYVAL_LIST:
	case PYVAL_SET:
		return v->u.seq.n > 0;
	case PYVAL_DICT:
		return v->u.dict.n > 0;
	}
	return 1;
}

struct pyval *const *manifest_items(const struct pyval *v, size_t *n)
{
	*n = 0;
	if (!v)
		return NULL;
	if (v->kind == PYVAL_DICT) {
		*n = v->u.dict.n;
		return v->u.dict.k;
	}
	if (v->kind != PYVAL_LIST && v->kind != PYVAL_TUPLE &&
	    v->kind != PYVAL_SET)
		return NULL;
	*n = v->u.seq.n;
	return v->u.seq.v;
}

/* The value of key when set (truthy), else NULL: what Odoo acts on. */
static const struct pyval *get_set(const struct manifest *m, const char *key)
{
	const struct pyval *v = get(m, key);

	return v && manifest_truthy(v) ? v : NULL;
}

const char *manifest_quoted(const struct pyval *v, char *buf, size_t size)
{
	if (text(v))
		snprintf(buf, size, "'%.60s'", v->u.s.s);
	else
		snprintf(buf, size, "a %s", pyval_kind_name(v->kind));
	return buf;
}

#define quoted manifest_quoted

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

/* Whether dict() takes v as a key: hashable. */
static int hashable(const struct pyval *v)
{
	if (v->kind == PYVAL_LIST || v->kind == PYVAL_SET ||
	    v->kind == PYVAL_DICT)
		return 0;
	for (size_t i = 0; v->kind == PYVAL_TUPLE && i < v->u.seq.n; i++)
		if (!hashable(v->u.seq.v[i]))
			return 0;
	return 1;
}

/* A str of two code points (UTF-8): dict.update() takes it as a pair. */
static int two_chars(const struct pyval *v)
{
	size_t n = 0;

	if (v->kind != PYVAL_STR)
		return 0;
	for (size_t i = 0; i < v->u.s.len; i++)
		n += ((unsigned char)v->u.s.s[i] & 0xc0) != 0x80;
	return n == 2;
}

/* Why dict.update() refuses member v of a list of pairs, or NULL. */
static const char *pair_problem(const struct pyval *v)
{
	if (v->kind == PYVAL_BYTES && v->u.s.len == 2)
		return NULL;
	if (v->kind == PYVAL_STR)
		return two_chars(v) ? NULL : "a str that is not 2 characters";
	if (!is_seq(v) && v->kind != PYVAL_SET && v->kind != PYVAL_DICT)
		return "not a (key, value) pair";
	if (v->u.seq.n != 2 && v->kind != PYVAL_DICT)
		return "a sequence that is not 2 long";
	if (v->kind == PYVAL_DICT && v->u.dict.n != 2)
		return "a dict that is not 2 long";
	if (v->kind == PYVAL_SET || v->kind == PYVAL_DICT)
		return NULL;	/* hashable members or keys */
	return hashable(v->u.seq.v[0]) ? NULL : "a pair whose key is "
	       "unhashable";
}

/*
 * A manifest that is not a dict: Odoo 19 does dict.update() with it
 * (module.py:421), which takes a list, tuple or set of (key, value)
 * pairs. Those make the dict that is linted (m->pairs, its tuples' keys
 * and values); anything else, Odoo refuses.
 */
static void load_pairs(struct manifest *m, const struct pyval *root,
		       struct lint_report *r)
{
	struct pyval *d;
	const char *why = NULL;
	size_t n = 0, i;

	if (!is_seq(root) && root->kind != PYVAL_SET)
		why = "not a dict";
	for (i = 0; !why && i < root->u.seq.n; i++)
		why = pair_problem(root->u.seq.v[i]);
	if (why) {
		lint_add(r, LINT_ERROR, m->path, root->line, root->col,
			 "manifest-type", "the manifest is a %s%s%s: Odoo 19 "
			 "cannot make a dict of it (module.py:421)",
			 pyval_kind_name(root->kind), i ? " holding " : "",
			 i ? why : "");
		return;
	}
	d = m->pairs = xcalloc(1, sizeof(*d));
	*d = (struct pyval){ .kind = PYVAL_DICT, .line = root->line,
			     .col = root->col };
	d->u.dict.k = xcalloc(root->u.seq.n + 1, sizeof(*d->u.dict.k));
	d->u.dict.v = xcalloc(root->u.seq.n + 1, sizeof(*d->u.dict.v));
	for (i = 0; i < root->u.seq.n; i++) {
		const struct pyval *p = root->u.seq.v[i];

		if (!is_seq(p))
			continue;	/* its key is no str: never read */
		d->u.dict.k[n] = p->u.seq.v[0];
		d->u.dict.v[n++] = p->u.seq.v[1];
	}
	d->u.dict.n = n;
	m->root = d;
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
		lint_add(r, LINT_ERROR, m->path, 1, 1, "syntax", "%s", why);
		free(why);
		return 0;
	}
	m->doc = pyliteral_parse(src, len, &err);
	free(heap);
	if (!m->doc) {
		lint_add(r, LINT_ERROR, m->path, err.line, err.col, "syntax",
			 "%s: Odoo 19 does not see this addon (module.py:307)",
			 err.msg);
		return 0;
	}
	root = pyliteral_root(m->doc);
	if (root->kind == PYVAL_DICT)
		m->root = root;
	else
		load_pairs(m, root, r);
	return 0;
}

static void release_pairs(struct manifest *m)
{
	if (m->pairs) {
		free(m->pairs->u.dict.k);
		free(m->pairs->u.dict.v);
	}
	free(m->pairs);
	m->pairs = NULL;
}

void manifest_release(struct manifest *m)
{
	for (size_t i = 0; i < m->ndeps; i++)
		free(m->deps[i].name);
	free(m->deps);
	for (size_t i = 0; i < m->nxml; i++)
		free(m->xml[i]);
	free(m->xml);
	manifest_assets_release(m);
	pyliteral_free(m->doc);
	release_pairs(m);
	free(m->name);
	free(m->dir);
	free(m->path);
	memset(m, 0, sizeof(*m));
}

/* ---- rules -------------------------------------------------------------- */

static void rule_types(const struct manifest *m, struct lint_report *r)
{
	for (size_t i = 0; i < ARRAY_SIZE(key_types); i++) {
		const struct pyval *v = get_set(m, key_types[i].key);
		struct pyval *const *items;
		size_t n;

		if (v && !(key_types[i].kinds & K(v->kind))) {
			manifest_add(m, r, LINT_ERROR, v, "type", "'%s' is a "
				     "%s: Odoo 19 needs %s (%s)",
				     key_types[i].key, pyval_kind_name(v->kind),
				     key_types[i].what, key_types[i].where);
			continue;
		}
		items = v && v->kind != PYVAL_STR ? manifest_items(v, &n) :
			NULL;
		for (size_t j = 0; items && j < n; j++)
			if (items[j]->kind != PYVAL_STR)
				manifest_add(m, r, LINT_ERROR, items[j],
					     "type", "an entry of '%s' is a "
					     "%s: Odoo 19 needs a str (%s)",
					     key_types[i].key,
					     pyval_kind_name(items[j]->kind),
					     key_types[i].where);
	}
	if (!manifest_valid_name(m->name, strlen(m->name)))
		manifest_add(m, r, LINT_ERROR, NULL, "addon-name", "'%s' is "
			     "not a module name (letters, digits and '_'): "
			     "Odoo 19 refuses this addon (module.py:183)",
			     m->name);
}

/* int() of a str: blanks, a sign, digits with single '_' between them. */
static int python_int(const char *s, size_t len)
{
	size_t i = 0, end = len, digits = 0;

	while (i < end && strchr(" \t\n\v\f\r", s[i]))
		i++;
	while (end > i && strchr(" \t\n\v\f\r", s[end - 1]))
		end--;
	i += i < end && (s[i] == '+' || s[i] == '-');
	for (; i < end; i++, digits++)
		if (!(s[i] >= '0' && s[i] <= '9') &&
		    !(s[i] == '_' && digits && i + 1 < end &&
		      s[i + 1] >= '0' && s[i + 1] <= '9'))
			return 0;
	return digits > 0;
}

static void rule_sequence(const struct manifest *m, struct lint_report *r)
{
	const struct pyval *v = get(m, "sequence");
	const char *s = text(v);

	if (s && !python_int(s, strlen(s)))
		manifest_add(m, r, LINT_ERROR, v, "type", "'sequence' is "
			     "'%.40s': Odoo 19 needs an int (ir_asset.py:300 "
			     "calls int() on it)", s);
}

/* name, author, license: Odoo 19 wants them set (truthy). */
static int unset(const struct manifest *m, struct lint_report *r,
		 enum lint_severity severity, const char *key,
		 const char *what)
{
	const struct pyval *v = get(m, key);

	if (v && manifest_truthy(v))
		return 0;
	manifest_add(m, r, severity, v, key, "%s '%s': %s", v ? "an empty" :
		     "no", key, what);
	return 1;
}

static void rule_license(const struct manifest *m, struct lint_report *r)
{
	const struct pyval *v = get(m, "license");
	const char *s = text(v);
	char name[80];

	if (unset(m, r, LINT_WARNING, "license", "Odoo 19 logs a warning and "
		  "takes LGPL-3 (module.py:433)"))
		return;
	for (size_t i = 0; s && i < ARRAY_SIZE(licenses); i++)
		if (!strcmp(s, licenses[i]))
			return;
	manifest_add(m, r, LINT_ERROR, v, "license", "%s is not a license Odoo "
		     "19 accepts, and its list of modules cannot be updated "
		     "(ir_module.py:296: GPL-2, GPL-2 or any later version, "
		     "GPL-3, GPL-3 or any later version, AGPL-3, LGPL-3, "
		     "Other OSI approved licence, OEEL-1, OPL-1, Other "
		     "proprietary)", quoted(v, name, sizeof(name)));
}

/*
 * Odoo 19's adapt_version() and check_version() (module.py:549-578) on
 * str(version). A part that holds a non-ASCII byte may be a digit Python
 * reads: not judged.
 */
static const char *version_problem(const char *s)
{
	size_t parts = 1;

	for (const char *p = s; *p; p++)
		parts += *p == '.';
	if (parts < 2 || parts > 5)
		return "has not 2 to 5 parts: Odoo 19 refuses to load the "
		       "module (module.py:463)";
	for (const char *p = s; *p; p += *p == '.') {
		size_t n = strcspn(p, ".");
		int ascii = 1;

		for (size_t i = 0; i < n; i++)
			ascii &= (unsigned char)p[i] < 0x80;
		if (ascii && !python_int(p, n))
			return "holds a part that is not a number: Odoo 19 "
			       "refuses to load the module (module.py:463)";
		p += n;
	}
	if (parts <= 3 && !str_starts_with(s, ODOO_SERIES))
		return NULL;	/* x.y, x.y.z: Odoo prefixes 19.0. */
	if (!str_starts_with(s, ODOO_SERIES "."))
		return "is not of the " ODOO_SERIES " series: Odoo 19 marks "
		       "the module uninstallable (module.py:464)";
	return NULL;
}

static void rule_version(const struct manifest *m, struct lint_report *r)
{
	const struct pyval *v = get(m, "version"), *inst;
	char *num = NULL;
	const char *s, *why;

	inst = get(m, "installable");
	if (!v || (inst && !manifest_truthy(inst)))
		return;		/* Odoo uses 1.0; or checks nothing */
	if (v->kind == PYVAL_INT || v->kind == PYVAL_FLOAT)
		num = pyval_canonical_json(v);	/* Python's str() */
	s = num ? num : text(v);
	if (!s) {
		manifest_add(m, r, LINT_ERROR, v, "version", "'version' is a "
			     "%s: Odoo 19 refuses to load the module "
			     "(module.py:463; write a str such as '"
			     ODOO_SERIES ".1.0.0')", pyval_kind_name(v->kind));
		return;
	}
	why = version_problem(s);
	if (why)
		manifest_add(m, r, LINT_ERROR, v, "version", "version '%.40s' "
			     "%s (write " ODOO_SERIES ".x.y.z, or x.y.z which "
			     "Odoo prefixes)", s, why);
	free(num);
}

/* 'depends' when Odoo iterates module names in it, else NULL. */
static struct pyval *const *depends_items(const struct manifest *m,
					  size_t *n)
{
	const struct pyval *v = m->root ? get_set(m, "depends") : NULL;

	*n = 0;
	return v ? manifest_items(v, n) : NULL;
}

static void rule_depends(const struct manifest *m, struct lint_report *r)
{
	const struct pyval *v = get_set(m, "depends");
	struct pyval *const *deps;
	size_t n;

	if (!v)
		return;		/* Odoo takes ['base'] (module.py:439) */
	deps = manifest_items(v, &n);
	if (!deps) {
		manifest_add(m, r, LINT_ERROR, v, "depends", "'depends' is a "
			     "%s: write a list of module names (%s)",
			     pyval_kind_name(v->kind), v->kind == PYVAL_STR ?
			     "Odoo 19 takes each character for a module, "
			     "finds none and skips this one: "
			     "module_graph.py:262" : "Odoo 19 refuses to load "
			     "the module: module.py:442");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct pyval *d = deps[i];

		if (d->kind != PYVAL_STR)
			manifest_add(m, r, LINT_ERROR, d, "depends", "a "
				     "dependency is a %s: Odoo 19 finds no "
				     "such module and skips this one "
				     "(module_graph.py:262)",
				     pyval_kind_name(d->kind));
		else if (!manifest_valid_name(d->u.s.s, d->u.s.len))
			manifest_add(m, r, LINT_ERROR, d, "depends", "'%.60s' "
				     "is not a module name: Odoo 19 finds no "
				     "such module and skips this one "
				     "(module_graph.py:262)", d->u.s.s);
	}
}

/* Whether name is in 'depends' as Odoo 19 sets it (module.py:435-439). */
static int depends_on(const struct manifest *m, const struct pyval *name)
{
	struct pyval *const *deps;
	size_t n;

	if (!get_set(m, "depends"))
		return strcmp(m->name, "base") &&
		       pyval_is_str(name, "base");
	deps = depends_items(m, &n);
	for (size_t i = 0; i < n; i++)
		if (deps[i]->kind == PYVAL_STR &&
		    deps[i]->u.s.len == name->u.s.len &&
		    !memcmp(deps[i]->u.s.s, name->u.s.s, name->u.s.len))
			return 1;
	return 0;
}

static void rule_auto_install(const struct manifest *m, struct lint_report *r)
{
	const struct pyval *v = get(m, "auto_install"), *dv;
	struct pyval *const *items;
	size_t n;

	if (!v)
		return;
	if (v->kind == PYVAL_STR || v->kind == PYVAL_BYTES) {
		manifest_add(m, r, LINT_ERROR, v, "auto_install",
			     "'auto_install' is a %s: Odoo 19 takes each "
			     "character for a dependency and refuses to load "
			     "the module (module.py:452; write True or a "
			     "list)",
			     pyval_kind_name(v->kind));
		return;
	}
	items = manifest_items(v, &n);
	dv = get_set(m, "depends");
	if (!items || (dv && !manifest_items(dv, &(size_t){ 0 })))
		return;	/* True, False; or the depends rule said why */
	for (size_t i = 0; i < n; i++) {
		const struct pyval *d = items[i];
		char name[80];

		if (d->kind != PYVAL_STR || !depends_on(m, d))
			manifest_add(m, r, LINT_ERROR, d, "auto_install",
				     "auto_install lists %s, which is not in "
				     "'depends': Odoo 19 refuses to load the "
				     "module (module.py:452)",
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
		return "does not exist (convert.py:687)";
	if (kind > 0)
		return "is not a file (convert.py:687)";
	for (size_t i = 0; ext && i < ARRAY_SIZE(exts); i++)
		if (!strcasecmp(ext, exts[i]))
			return NULL;
	return "is not an .xml, .csv, .sql or .js file (convert.py:697)";
}

static void rule_files(const struct manifest *m, struct lint_report *r,
		       const struct manifest_files *files, size_t k)
{
	const char *key = file_keys[k].key;
	const struct pyval *v = get_set(m, key);

	if (v && !is_seq(v)) {
		manifest_add(m, r, file_keys[k].severity, v, "data-file",
			     "'%s' is a %s: write a list of file paths (%s)",
			     key, pyval_kind_name(v->kind),
			     file_keys[k].effect);
		return;
	}
	for (size_t i = 0; files && v && i < v->u.seq.n; i++) {
		const struct pyval *f = v->u.seq.v[i];
		const char *why = text(f) ? file_problem(files, f->u.s.s) :
				  "is not a str";

		if (why)
			manifest_add(m, r, file_keys[k].severity, f,
				     "data-file", "'%.80s' in '%s' %s: %s",
				     text(f) ? f->u.s.s : "entry", key, why,
				     file_keys[k].effect);
	}
}

/* The files rule_files will look for, each directory read at most once. */
static void plan_files(const struct manifest *m, struct manifest_files *files)
{
	manifest_files_init(files, m->dir);
	for (size_t k = 0; k < ARRAY_SIZE(file_keys); k++) {
		const struct pyval *v = get(m, file_keys[k].key);

		for (size_t i = 0; is_seq(v) && i < v->u.seq.n; i++) {
			const char *path = text(v->u.seq.v[i]);

			if (path && !path_problem(path))
				manifest_files_want(files, path);
		}
	}
	manifest_files_list(files);
}

/*
 * A PEP 508 requirement's name, then its extras, version, URL or marker
 * if any: what packaging's Requirement() parses (module.py:589). Only the
 * name is checked: what follows it is not judged.
 */
static int python_requirement(const char *s)
{
	size_t n;

	s += strspn(s, " \t");
	n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789._-");
	if (n == 0 || strchr("._-", s[0]) || strchr("._-", s[n - 1]))
		return 0;
	return !s[n] || strchr(" \t[(<>=!~;@", s[n]);
}

static void external_list(const struct manifest *m, struct lint_report *r,
			  const char *key, const struct pyval *v)
{
	if (!manifest_truthy(v))
		return;
	if (!is_seq(v) && v->kind != PYVAL_SET) {
		manifest_add(m, r, LINT_ERROR, v, "external-dependencies",
			     "external_dependencies['%s'] is a %s: write a "
			     "list (module.py:%s)", key,
			     pyval_kind_name(v->kind), strcmp(key, "bin") ?
			     "256 iterates it" : "259 iterates it");
		return;
	}
	for (size_t i = 0; i < v->u.seq.n; i++) {
		const struct pyval *e = v->u.seq.v[i];
		const char *s = text(e);

		if (!s || !*s)
			manifest_add(m, r, LINT_ERROR, e,
				     "external-dependencies", "an entry of "
				     "external_dependencies['%s'] is %s: Odoo "
				     "19 cannot install the module (write a "
				     "name)", key, s ? "empty" :
				     pyval_kind_name(e->kind));
		else if (!strcmp(key, "python") && !python_requirement(s))
			manifest_add(m, r, LINT_ERROR, e,
				     "external-dependencies", "'%.60s' is not "
				     "a Python requirement (a PyPI name, maybe "
				     "with a version: 'lxml>=4.9'): Odoo 19 "
				     "cannot install the module "
				     "(module.py:592)", s);
	}
}

/* Odoo 19 reads 'python', 'bin' and 'apt' (ir_module.py:360); the rest
 * of the dict it ignores. */
static void rule_external(const struct manifest *m, struct lint_report *r)
{
	const struct pyval *v = get_set(m, "external_dependencies");

	if (!v)
		return;
	if (v->kind != PYVAL_DICT) {
		manifest_add(m, r, LINT_ERROR, v, "external-dependencies",
			     "'external_dependencies' is a %s: Odoo 19 cannot "
			     "install the module (module.py:256 calls its "
			     ".get); write {'python': [...], 'bin': [...]}",
			     pyval_kind_name(v->kind));
		return;
	}
	for (size_t i = 0; i < v->u.dict.n; i++) {
		const struct pyval *k = v->u.dict.k[i];

		if (pyval_is_str(k, "python") || pyval_is_str(k, "bin"))
			external_list(m, r, k->u.s.s, v->u.dict.v[i]);
	}
}

static void rule_old_keys(const struct manifest *m, struct lint_report *r)
{
	long i = find_n(m, "init_xml", 8);

	if (i >= 0 && manifest_truthy(m->root->u.dict.v[i]))
		manifest_add(m, r, LINT_WARNING, m->root->u.dict.k[i],
			     "deprecated-key", "'init_xml' is deprecated: Odoo "
			     "19 logs a warning (loading.py:52); list the "
			     "files in 'data'");
	for (size_t j = 0; j < ARRAY_SIZE(ignored); j++) {
		i = find_n(m, ignored[j].key, strlen(ignored[j].key));
		if (i >= 0 && manifest_truthy(m->root->u.dict.v[i]))
			manifest_add(m, r, LINT_NOTE, m->root->u.dict.k[i],
				     "ignored-key", "'%s' is ignored: %s",
				     ignored[j].key, ignored[j].why);
	}
}

static void check(struct manifest *m, unsigned flags, struct lint_report *r)
{
	struct manifest_files files;

	rule_types(m, r);
	rule_sequence(m, r);
	unset(m, r, LINT_NOTE, "name", "Odoo 19 lists it with no name "
	      "(ir_module.py:738), though its manifest defaults call it "
	      "mandatory (module.py:57)");
	unset(m, r, LINT_WARNING, "author", "Odoo 19 logs a warning and "
	      "falls back to 'contributors' or 'maintainer' (module.py:429)");
	rule_license(m, r);
	rule_version(m, r);
	rule_depends(m, r);
	rule_auto_install(m, r);
	if (flags & LINT_FILES)
		plan_files(m, &files);
	for (size_t i = 0; i < ARRAY_SIZE(file_keys); i++)
		rule_files(m, r, flags & LINT_FILES ? &files : NULL, i);
	if (flags & LINT_FILES)
		manifest_files_release(&files);
	rule_external(m, r);
	rule_old_keys(m, r);
	manifest_assets(m, r);
}

/* What lint.c needs once the tree is gone: the dependencies' names. */
static void keep_depends(struct manifest *m)
{
	size_t n;
	struct pyval *const *deps = depends_items(m, &n);

	m->deps = xcalloc(n ? n : 1, sizeof(*m->deps));
	for (size_t i = 0; i < n; i++) {
		const struct pyval *d = deps[i];

		if (!text(d) || !manifest_valid_name(d->u.s.s, d->u.s.len))
			continue;
		m->deps[m->ndeps].name = xstrdup(d->u.s.s);
		m->deps[m->ndeps].line = d->line;
		m->deps[m->ndeps++].col = d->col;
	}
}

/*
 * For lint_assets.c: the XML files of 'data', where a record may declare
 * an ir.attachment whose url an 'assets' entry names (web does).
 */
static void keep_xml(struct manifest *m)
{
	const struct pyval *v = get(m, "data");

	m->xml = xcalloc(is_seq(v) ? v->u.seq.n + 1 : 1, sizeof(*m->xml));
	for (size_t i = 0; is_seq(v) && i < v->u.seq.n; i++) {
		const char *s = text(v->u.seq.v[i]);
		size_t len = s ? strlen(s) : 0;

		if (len > 4 && !strcasecmp(s + len - 4, ".xml") &&
		    !path_problem(s))
			m->xml[m->nxml++] = xstrdup(s);
	}
}

int manifest_lint(struct manifest *m, const char *dir, unsigned flags,
		  struct lint_report *r)
{
	if (load(m, dir, r) < 0)
		return -1;
	if (m->root) {
		check(m, flags, r);
		keep_depends(m);
		keep_xml(m);
	}
	pyliteral_free(m->doc);
	release_pairs(m);
	m->doc = NULL;
	m->root = NULL;
	return 0;
}
