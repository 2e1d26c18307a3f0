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

#include <stddef.h>

enum lint_severity {
	LINT_NOTE,
	LINT_WARNING,
	LINT_ERROR,
};

struct lint_finding {
	char *file;
	int line, col;
	enum lint_severity severity;
	char *rule;
	char *message;
};

struct lint_report {
	struct lint_finding *v;
	size_t n, cap;
	size_t addons;		/* how many addons were linted */
	long py_files;		/* Python files compiled; -1: python3 missing */
};

void lint_report_init(struct lint_report *r);
void lint_report_release(struct lint_report *r);
void lint_add(struct lint_report *r, enum lint_severity severity,
	      const char *file, int line, int col, const char *rule,
	      const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* "error", "warning", "note"; lint_severity_parse: -1 for another word. */
const char *lint_severity_name(enum lint_severity s);
int lint_severity_parse(const char *s);
/* How many findings are at least as severe as s. */
size_t lint_report_count(const struct lint_report *r, enum lint_severity s);
/* By file, line, column, rule, message. */
void lint_report_sort(struct lint_report *r);

/* lint_paths' flags */
#define LINT_PYTHON	1u	/* compile the addons' Python files */
#define LINT_FILES	2u	/* the files manifests name must exist */

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
