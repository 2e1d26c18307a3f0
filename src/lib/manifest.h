/*
 * An addon's __manifest__.py against Odoo 19's rules, as Odoo 19 loads it
 * (odoo/modules/module.py): parsed as a Python literal (pyliteral.c), then
 * name, author, version, license, types of the known keys, depends,
 * auto_install, data and demo files, external_dependencies, deprecated keys.
 * Dependencies across addons and their cycles are lint.c's.
 */
#ifndef ODOOCTL_MANIFEST_H
#define ODOOCTL_MANIFEST_H

#include "lint.h"
#include "pyliteral.h"

#define MANIFEST_NAME "__manifest__.py"
#define MANIFEST_MAX_SIZE (4u << 20)
#define ODOO_SERIES "19.0"

/* A dependency as the manifest lists it. */
struct manifest_dep {
	char *name;
	int line, col;
};

struct manifest {
	char *name;		/* the addon: its directory's name */
	char *dir;		/* the addon's directory */
	char *path;		/* dir/__manifest__.py */
	struct manifest_dep *deps;	/* its str 'depends' entries */
	size_t ndeps;
	/* while it is checked: */
	struct pyliteral *doc;	/* NULL when it does not parse */
	const struct pyval *root;	/* the dict; NULL when it is not one */
};

/*
 * Reads, parses and checks dir's manifest with every rule but the
 * resolution of its dependencies (lint.c's), then keeps only what that
 * needs (m->deps); findings go to r. -1 when dir holds no manifest: it is
 * not an addon, nothing is reported.
 */
int manifest_lint(struct manifest *m, const char *dir, struct lint_report *r);
void manifest_release(struct manifest *m);
/* A finding at v (or at the manifest's dict when v is NULL). */
void manifest_add(const struct manifest *m, struct lint_report *r,
		  const struct pyval *v, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Whether name is a module of Odoo 19 Community (manifest_core.c). */
int manifest_core_module(const char *name);
/* Whether name is one Odoo accepts for a module (^\w{1,256}$). */
int manifest_valid_name(const char *name, size_t len);

#endif
