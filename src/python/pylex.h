/*
 * The tokenizer behind pyliteral.c (internal to the literal parser).
 * Errors go to the pyliteral_error given to pylex_init; only the first
 * one is kept.
 */
#ifndef ODOOCTL_PYLEX_H
#define ODOOCTL_PYLEX_H

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

#endif
