/*
 * What lint finds: a finding is one line for people,
 * FILE:LINE:COL: SEVERITY: RULE: MESSAGE; a report holds them, sorted by
 * file and place. The severity is what Odoo 19 does (doc/lint.md). Every
 * rule (manifest.c, lint_assets.c, pycompile.c, lint.c) adds to a report.
 */
#ifndef ODOOCTL_LINT_REPORT_H
#define ODOOCTL_LINT_REPORT_H

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

/* What lint_paths and the rules check besides the manifests themselves. */
#define LINT_PYTHON	1u	/* compile the addons' Python files */
#define LINT_FILES	2u	/* the files manifests name must exist */

#endif
