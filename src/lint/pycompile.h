/*
 * The syntax of the addons' Python files, checked by Python itself:
 * `python3 -m py_compile`, its byte code written under a temporary
 * PYTHONPYCACHEPREFIX that is removed afterwards, so the addons are left
 * as they were.
 */
#ifndef ODOOCTL_PYCOMPILE_H
#define ODOOCTL_PYCOMPILE_H

#include <stddef.h>

#include "lint/report.h"

#define PYCOMPILE_BATCH 100	/* files per python3 run */

/*
 * Compiles every .py file under dirs (their top-level __manifest__.py
 * excepted: the literal parser reads those), adding a python-syntax
 * finding for each one that does not compile. Returns how many files were
 * checked; -1 when python3 is not on PATH (nothing was checked); -2 with
 * *cause when python3 could not be run.
 */
long pycompile_addons(const char *const *dirs, size_t n,
		      struct lint_report *r, char **cause);

#endif
