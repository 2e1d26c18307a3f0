/*
 * odooctl lint: the findings on a tree of addons, from their manifests
 * (manifest.c), their dependency graph and the syntax of their Python
 * files (pycompile.c). A finding is one line for people:
 * FILE:LINE:COL: RULE: MESSAGE.
 */
#ifndef ODOOCTL_LINT_H
#define ODOOCTL_LINT_H

#include <stddef.h>

struct lint_finding {
	char *file;
	int line, col;
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
void lint_add(struct lint_report *r, const char *file, int line, int col,
	      const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* By file, line, column, rule, message. */
void lint_report_sort(struct lint_report *r);

/*
 * Lints the addons under each path: an addons directory (every directory
 * in it holding a __manifest__.py) or one addon's directory (its siblings
 * then count as installed). Dependencies resolve against the addons found
 * and Odoo 19's own modules. With python set, the addons' Python files are
 * compiled too. -1 with *cause when a path is not a directory or holds no
 * addon (nothing was linted); -2 with *cause when python3 failed to run.
 */
int lint_paths(const char *const *paths, size_t n, int python,
	       struct lint_report *r, char **cause);

#endif
