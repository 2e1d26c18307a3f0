/*
 * The 'assets' entries of the linted addons (manifest_assets.c kept them)
 * resolved as Odoo 19 resolves them (ir_asset.py): each path or glob
 * against the static/ files of the addon it names, among the linted ones
 * or, where the tarball held its tree, Odoo 19's own (odoo19.h); each
 * included bundle against the bundles the linted manifests and Odoo 19's
 * declare. Internal to lint.c.
 */
#ifndef ODOOCTL_LINT_ASSETS_H
#define ODOOCTL_LINT_ASSETS_H

#include "lint/manifest.h"

/* m: the n linted addons (the first of a name is the one Odoo takes). */
void lint_assets(const struct manifest *m, size_t n, unsigned flags,
		 struct lint_report *r);
/*
 * Whether path ("addon/static/x.js", '/'-separated, no empty, "." or ".."
 * component) matches the glob pattern as Python's glob(recursive=True)
 * matches it: fnmatch per component, '*' and '?' not across '/' nor on a
 * leading '.', a "**" component any number of non-hidden directories.
 */
int lint_glob_match(const char *pattern, const char *path);

#endif
