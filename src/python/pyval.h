/*
 * What the literal parser (pyliteral.c) needs from pyval.c: an arena that
 * owns every node, Python's int semantics (any size, as "0x..." beyond 64
 * bits) and Python's dict/set semantics (hashable members, 1 == 1.0 ==
 * True). Internal to those two files.
 */
#ifndef ODOOCTL_PYVAL_H
#define ODOOCTL_PYVAL_H

#include "python/pyliteral.h"

#define PYVAL_MAX_DECIMAL_DIGITS 4300	/* sys.get_int_max_str_digits() */

struct pyarena_chunk;

struct pyarena {
	struct pyarena_chunk *head;
};

void *pyarena_alloc(struct pyarena *a, size_t n);
char *pyarena_memdup(struct pyarena *a, const void *p, size_t n);
void pyarena_release(struct pyarena *a);

/*
 * Sets v to the int whose digits (no underscores, no prefix) are in base
 * 2, 8, 10 or 16. -1 when a decimal has more significant digits than
 * Python converts.
 */
int pyval_set_int(struct pyval *v, const char *digits, size_t n, int base,
		  struct pyarena *a);
/* -v for an int, float or complex, as Python computes it. */
void pyval_negate(struct pyval *v, struct pyarena *a);
/* An int or float as a double; -1 when an int is too large for one. */
int pyval_to_double(const struct pyval *v, double *d);
/*
 * Python's dict and set construction: equal keys (by Python's ==) merge,
 * the first key stays and the last value wins; equal set members merge
 * into the first. -1 with *bad set when a key or member is unhashable.
 */
int pyval_dedupe(struct pyval *v, const struct pyval **bad);

#endif
