/*
 * An addon's __manifest__.py against what Odoo 19 does with it
 * (odoo/modules/module.py, loading.py, module_graph.py,
 * addons/base/models/ir_module.py and ir_asset.py; each rule's line of
 * Odoo is in doc/lint.md): parsed as a Python literal (pyliteral.c), then
 * author, license, version, the types Odoo relies on, depends,
 * auto_install, data and demo files, external_dependencies, assets
 * (manifest_assets.c), deprecated and ignored keys. What needs the other
 * addons (dependencies, their cycles, asset paths and bundles) is lint.c's
 * and lint_assets.c's.
 */
#ifndef ODOOCTL_MANIFEST_H
#define ODOOCTL_MANIFEST_H

#include "lint/report.h"
#include "python/pyliteral.h"

#define MANIFEST_NAME "__manifest__.py"
#define MANIFEST_MAX_SIZE (4u << 20)
#define ODOO_SERIES "19.0"

/* A dependency as the manifest lists it. */
struct manifest_dep {
	char *name;
	int line, col;
};

/* An entry of 'assets' (ir_asset.py's _process_command), for lint_assets.c */
struct manifest_asset {
	char *bundle;		/* the bundle it is listed in */
	char *directive;	/* append, prepend, before, after, remove,
				 * replace or include */
	char *path;		/* a path or glob; include: a bundle */
	char *target;		/* before, after, replace: the file */
	int line, col;
};

struct manifest {
	char *name;		/* the addon: its directory's name */
	char *dir;		/* the addon's directory */
	char *path;		/* dir/__manifest__.py */
	struct manifest_dep *deps;	/* its str 'depends' entries */
	size_t ndeps;
	struct manifest_asset *assets;	/* its well-formed 'assets' */
	size_t nassets;
	char **bundles;		/* the bundles its 'assets' declares */
	size_t nbundles;
	char **xml;		/* the .xml files 'data' lists (relative) */
	size_t nxml;
	/* while it is checked: */
	struct pyliteral *doc;	/* NULL when it does not parse */
	const struct pyval *root;	/* the dict; NULL when it is not one */
	struct pyval *pairs;	/* root made of a list of (key, value) */
};

/*
 * Reads, parses and checks dir's manifest with every rule but those that
 * need the other addons (lint.c's), then keeps only what those need
 * (m->deps, m->assets, m->bundles, m->xml); findings go to r. flags:
 * lint_paths' (LINT_FILES: look for the data and demo files). -1 when dir
 * holds no manifest: it is not an addon, nothing is reported.
 */
int manifest_lint(struct manifest *m, const char *dir, unsigned flags,
		  struct lint_report *r);
void manifest_release(struct manifest *m);
/* A finding at v (or at the manifest's dict when v is NULL). */
void manifest_add(const struct manifest *m, struct lint_report *r,
		  enum lint_severity severity, const struct pyval *v,
		  const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Whether name is one Odoo accepts for a module (^\w{1,256}$). */
int manifest_valid_name(const char *name, size_t len);

/* For manifest*.c: */
/* The value of key in the manifest's dict, or NULL. */
const struct pyval *manifest_get(const struct manifest *m, const char *key);
/* A str that holds no NUL, so C can use it as a string; else NULL. */
const char *manifest_text(const struct pyval *v);
/* Python's bool(v). */
int manifest_truthy(const struct pyval *v);
/*
 * What Python iterates in v: a list's, tuple's or set's members, a dict's
 * keys; NULL for another kind (a str's characters are not pyvals).
 */
struct pyval *const *manifest_items(const struct pyval *v, size_t *n);
/* How a finding names v: 'its text' for a str, else "a <type>". */
const char *manifest_quoted(const struct pyval *v, char *buf, size_t size);
/* The 'assets' rule (manifest_assets.c); keeps m->assets, m->bundles. */
void manifest_assets(struct manifest *m, struct lint_report *r);
void manifest_assets_release(struct manifest *m);

#endif
