#include "lint/report.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lint_report_init(struct lint_report *r)
{
	memset(r, 0, sizeof(*r));
}

void lint_report_release(struct lint_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].file);
		free(r->v[i].rule);
		free(r->v[i].message);
	}
	free(r->v);
	lint_report_init(r);
}

void lint_add(struct lint_report *r, enum lint_severity severity,
	      const char *file, int line, int col, const char *rule,
	      const char *fmt, ...)
{
	struct lint_finding *f;
	va_list ap;

	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	f = &r->v[r->n++];
	f->file = xstrdup(file);
	f->line = line;
	f->col = col;
	f->severity = severity;
	f->rule = xstrdup(rule);
	va_start(ap, fmt);
	f->message = xvasprintf(fmt, ap);
	va_end(ap);
	/* one finding, one line */
	for (char *s = f->message; *s; s++)
		if (*s == '\n' || *s == '\r' || *s == '\t')
			*s = ' ';
}

static const char *const severity_names[] = {
	[LINT_NOTE] = "note", [LINT_WARNING] = "warning",
	[LINT_ERROR] = "error",
};

const char *lint_severity_name(enum lint_severity s)
{
	return severity_names[s];
}

int lint_severity_parse(const char *s)
{
	return str_index(severity_names, ARRAY_SIZE(severity_names), s);
}

size_t lint_report_count(const struct lint_report *r, enum lint_severity s)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += r->v[i].severity >= s;
	return n;
}

static int cmp_finding(const void *a, const void *b)
{
	const struct lint_finding *x = a, *y = b;
	int c = strcmp(x->file, y->file);

	if (!c)
		c = (x->line > y->line) - (x->line < y->line);
	if (!c)
		c = (x->col > y->col) - (x->col < y->col);
	if (!c)
		c = strcmp(x->rule, y->rule);
	return c ? c : strcmp(x->message, y->message);
}

void lint_report_sort(struct lint_report *r)
{
	if (r->n)
		qsort(r->v, r->n, sizeof(*r->v), cmp_finding);
}
