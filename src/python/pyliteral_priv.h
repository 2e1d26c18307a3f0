/*
 * The tokenizer behind pyliteral.c (internal to the literal parser).
 * Errors go to the pyliteral_error given to pylex_init; only the first
 * one is kept.
 */
#ifndef ODOOCTL_PYLITERAL_PRIV_H
#define ODOOCTL_PYLITERAL_PRIV_H

#include <stdarg.h>
#include <stddef.h>

#include "python/pyliteral.h"

enum tok_kind {
	T_END, T_NEWLINE, T_LPAR, T_RPAR, T_LSQB, T_RSQB, T_LBRACE, T_RBRACE,
	T_COMMA, T_COLON, T_PLUS, T_MINUS, T_ELLIPSIS, T_NUMBER, T_STRING,
	T_NAME,
};

enum num_form { NUM_INT, NUM_FLOAT, NUM_IMAG };

struct pytoken {
	enum tok_kind kind;
	const char *start;
	size_t len;
	int line, col;
	enum num_form num;	/* T_NUMBER */
	int base;
	int bytes, raw, fstring;	/* T_STRING */
	const char *body;	/* between the quotes */
	size_t body_len;
};

struct pylex {
	char *text;		/* normalized: UTF-8, '\n' line ends */
	const char *p, *end, *line_start;
	int line;
	int depth;		/* open brackets */
	int atbol, blank;
	struct pytoken tok;	/* the current token */
	struct pyliteral_error *err;
	int failed;
	const char *col_line, *col_at;	/* pylex_col's last answer */
	int col;
	/* the first and last byte of a multi-byte character in text (NULL
	 * when it is ASCII): elsewhere a column is an offset */
	const char *hi_first, *hi_last;
};

/* Reads src as Odoo does; -1 (err set) when it is not strict UTF-8. */
int pylex_init(struct pylex *lx, const char *src, size_t len,
	       struct pyliteral_error *err);
void pylex_release(struct pylex *lx);
/* The next token into lx->tok; -1 on a lexical error. */
int pylex_next(struct pylex *lx);
/* Records an error (the first only); returns -1. */
int pylex_vfail(struct pylex *lx, int line, int col, const char *fmt,
		va_list ap) __attribute__((format(printf, 4, 0)));
/* The 1-based column of at, in characters, on the current line. */
int pylex_col(struct pylex *lx, const char *at);

/*
 * pyval.c: an arena that owns every node, Python's int semantics (any
 * size, as "0x..." beyond 64 bits) and Python's dict/set semantics
 * (hashable members, 1 == 1.0 == True).
 */
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
