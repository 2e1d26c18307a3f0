/*
 * odooctl lint: the findings on a tree of addons, from their manifests
 * (manifest.c), their dependency graph, their assets (lint_assets.c) and
 * the syntax of their Python files (pycompile.c). A finding is one line
 * for people: FILE:LINE:COL: SEVERITY: RULE: MESSAGE. Its severity is
 * what Odoo 19 does (doc/lint.md): an error, it refuses or skips the addon
 * (or what it names); a warning, it logs one; a note, it does nothing, yet
 * the manifest is a known trap.
 */
#ifndef ODOOCTL_LINT_H
#define ODOOCTL_LINT_H

#include "lint/report.h"

#include <stddef.h>

/*
 * Lints the addons under each path: an addons directory (every directory
 * in it holding a __manifest__.py) or one addon's directory (its siblings
 * then count as installed). Dependencies resolve against the addons found
 * and Odoo 19's own modules. With LINT_PYTHON, the addons' Python files
 * are compiled too; without LINT_FILES, the data, demo and asset files the
 * manifests name are not looked for (a tree of manifests only). -1 with
 * *cause when a path is not a directory or holds no addon (nothing was
 * linted); -2 with *cause when python3 failed to run.
 */
int lint_paths(const char *const *paths, size_t n, unsigned flags,
	       struct lint_report *r, char **cause);

#endif
