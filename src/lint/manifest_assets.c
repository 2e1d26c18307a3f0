/*
 * A manifest's 'assets' as Odoo 19 reads it (ir_asset.py): a dict of
 * bundles, each a list of commands: a path (or glob), or a tuple
 * (directive, path) or (directive, target, path). What is malformed is
 * reported here; the well-formed entries are kept for lint_assets.c, which
 * resolves their paths and bundles against the other addons.
 */
#include <stdlib.h>
#include <string.h>

#include "lint/manifest.h"
#include "core/util.h"

static const char *const directives[] = {
	"append", "prepend", "before", "after", "remove", "replace",
	"include",
};

static int has_target(const char *directive)
{
	return !strcmp(directive, "before") || !strcmp(directive, "after") ||
	       !strcmp(directive, "replace");
}

static int known_directive(const char *directive)
{
	for (size_t i = 0; i < ARRAY_SIZE(directives); i++)
		if (!strcmp(directive, directives[i]))
			return 1;
	return 0;
}

static void keep(struct manifest *m, const char *bundle, const char *directive,
		 const char *target, const struct pyval *path)
{
	struct manifest_asset *a;

	m->assets = xrealloc(m->assets, (m->nassets + 1) * sizeof(*m->assets));
	a = &m->assets[m->nassets++];
	a->bundle = xstrdup(bundle);
	a->directive = xstrdup(directive);
	a->path = xstrdup(path->u.s.s);
	a->target = target ? xstrdup(target) : NULL;
	a->line = path->line;
	a->col = path->col;
}

/*
 * Why Odoo 19 cannot process command (ir_asset.py:375-385, then 244), or
 * NULL. A tuple's members are a directive, maybe a target, and a path.
 */
static const char *command_problem(const struct pyval *c, const char **dir,
				   const char **target,
				   const struct pyval **path)
{
	size_t want;

	*dir = "append";
	*target = NULL;
	*path = c;
	if (c->kind == PYVAL_STR)
		return manifest_text(c) ? NULL : "holds a NUL character";
	if (c->kind != PYVAL_LIST && c->kind != PYVAL_TUPLE)
		return "is neither a path nor a (directive, path) tuple";
	if (c->u.seq.n == 0 || !manifest_text(c->u.seq.v[0]))
		return "does not start with a directive (a str)";
	*dir = c->u.seq.v[0]->u.s.s;
	if (!known_directive(*dir))
		return "has an unknown directive: Odoo 19 raises 'Unexpected "
		       "directive' (ir_asset.py:244)";
	want = has_target(*dir) ? 3 : 2;
	if (c->u.seq.n != want)
		return want == 3 ? "is not (directive, target, path)" :
		       "is not (directive, path)";
	*path = c->u.seq.v[want - 1];
	if (want == 3 && !manifest_text(c->u.seq.v[1]))
		return "has a target that is not a str";
	if (want == 3)
		*target = c->u.seq.v[1]->u.s.s;
	return manifest_text(*path) ? NULL : "has a path that is not a str";
}

static void bundle(struct manifest *m, struct lint_report *r,
		   const char *name, const struct pyval *list)
{
	char what[80];

	if (list->kind != PYVAL_LIST && list->kind != PYVAL_TUPLE &&
	    list->kind != PYVAL_SET) {
		manifest_add(m, r, LINT_ERROR, list, "assets", "bundle '%.60s' "
			     "is %s: write a list of paths and directives "
			     "(ir_asset.py:189 iterates it)", name,
			     manifest_quoted(list, what, sizeof(what)));
		return;
	}
	for (size_t i = 0; i < list->u.seq.n; i++) {
		const struct pyval *c = list->u.seq.v[i], *path;
		const char *dir, *target, *why;

		why = command_problem(c, &dir, &target, &path);
		if (why)
			manifest_add(m, r, LINT_ERROR, c, "assets", "an entry "
				     "of bundle '%.60s' %s: Odoo 19 cannot "
				     "build the bundle", name, why);
		else
			keep(m, name, dir, target, path);
	}
}

void manifest_assets(struct manifest *m, struct lint_report *r)
{
	const struct pyval *v = manifest_get(m, "assets");

	if (!v)
		return;
	if (v->kind != PYVAL_DICT) {
		manifest_add(m, r, LINT_ERROR, v, "assets", "'assets' is a %s: "
			     "Odoo 19 cannot build any bundle while this "
			     "module is installed (ir_asset.py:189 calls its "
			     ".get); write a dict of bundles",
			     pyval_kind_name(v->kind));
		return;
	}
	m->bundles = xcalloc(v->u.dict.n + 1, sizeof(*m->bundles));
	for (size_t i = 0; i < v->u.dict.n; i++) {
		const char *name = manifest_text(v->u.dict.k[i]);

		if (!name)
			continue;	/* no template names it */
		m->bundles[m->nbundles++] = xstrdup(name);
		bundle(m, r, name, v->u.dict.v[i]);
	}
}

void manifest_assets_release(struct manifest *m)
{
	for (size_t i = 0; i < m->nassets; i++) {
		free(m->assets[i].bundle);
		free(m->assets[i].directive);
		free(m->assets[i].path);
		free(m->assets[i].target);
	}
	for (size_t i = 0; i < m->nbundles; i++)
		free(m->bundles[i]);
	free(m->assets);
	free(m->bundles);
	m->assets = NULL;
	m->bundles = NULL;
	m->nassets = m->nbundles = 0;
}
