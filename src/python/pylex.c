/*
 * The tokenizer of the literal parser, after CPython 3.11's: the text as
 * Odoo reads it (strict UTF-8, universal newlines), numbers, string
 * extents and prefixes, indentation, continuations, the 200-bracket limit.
 */
#include "python/pyliteral_priv.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL

static uint64_t load8(const void *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

int pylex_col(struct pylex *ps, const char *at)
{
	/* no multi-byte character from the line's start to at (while the
	 * text is normalized, line_start and at are in the source instead) */
	if (ps->text && (!ps->hi_first || at <= ps->hi_first ||
			 ps->line_start > ps->hi_last))
		return (int)(at - ps->line_start) + 1;
	/* counted on from the last column asked on this line: linear */
	if (ps->col_line != ps->line_start || ps->col_at > at) {
		ps->col_line = ps->col_at = ps->line_start;
		ps->col = 1;
	}
	/* a character per byte but the continuation bytes, 10xxxxxx */
	for (; at - ps->col_at >= 8; ps->col_at += 8) {
		uint64_t w = load8(ps->col_at);

		ps->col += 8 - (int)((((w & ~(w << 1) & HIGHS) >> 7) * ONES)
				     >> 56);
	}
	for (; ps->col_at < at; ps->col_at++)
		ps->col += ((unsigned char)*ps->col_at & 0xc0) != 0x80;
	return ps->col;
}

int pylex_vfail(struct pylex *ps, int line, int col, const char *fmt,
		va_list ap)
{
	if (ps->failed++)
		return -1;
	ps->err->line = line;
	ps->err->col = col;
	vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
	return -1;
}

static int fail_at(struct pylex *ps, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail_at(struct pylex *ps, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pylex_vfail(ps, line, col, fmt, ap);
	va_end(ap);
	return -1;
}

#define fail_here(ps, at, ...) \
	fail_at(ps, (ps)->line, pylex_col(ps, at), __VA_ARGS__)

/* ---- text --------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (Python's strict decoder), or 0. */
static size_t utf8_len(const unsigned char *s, const unsigned char *end)
{
	unsigned c = s[0];
	size_t n = c < 0x80 ? 1 : c < 0xc2 ? 0 : c < 0xe0 ? 2 : c < 0xf0 ? 3 :
		   c < 0xf5 ? 4 : 0;
	unsigned lo = 0x80, hi = 0xbf;

	if (n == 0 || (size_t)(end - s) < n)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;	/* no surrogates */
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (size_t i = 1; i < n; i++, lo = 0x80, hi = 0xbf)
		if (s[i] < lo || s[i] > hi)
			return 0;
	return n;
}

/*
 * The text as Odoo's open(..., encoding='utf-8') gives it to literal_eval:
 * strict UTF-8, "\r\n" and "\r" read as "\n". Leading blanks are skipped
 * as literal_eval's lstrip(" \t") does.
 */
static char *normalize(struct pylex *ps, const char *src, size_t len,
		       size_t *out_len)
{
	const unsigned char *s = (const unsigned char *)src, *end = s + len;
	char *out = xmalloc(len + 1), *o = out;
	char *hi_first = NULL, *hi_last = NULL;

	ps->line_start = src;
	while (s < end) {
		size_t n;

		/* most of a manifest: 8 bytes, none below 0x20 or above 0x7f */
		if (end - s >= 8 &&
		    !((load8(s) | (load8(s) - 0x20 * ONES)) & HIGHS)) {
			memcpy(o, s, 8);
			o += 8;
			s += 8;
			continue;
		}
		if ((*s >= 0x20 && *s < 0x80) || *s == '\t') {
			*o++ = (char)*s++;
			continue;
		}
		n = utf8_len(s, end);

		if (*s == '\0' || n == 0) {
			fail_here(ps, (const char *)s, *s ? "invalid UTF-8 "
				  "byte 0x%02x (Odoo reads manifests as UTF-8)"
				  : "source cannot contain null bytes", *s);
			free(out);
			return NULL;
		}
		if (*s == '\r' || *s == '\n') {
			s += *s == '\r' && s + 1 < end && s[1] == '\n' ? 2 : 1;
			*o++ = '\n';
			ps->line++;
			ps->line_start = (const char *)s;
			continue;
		}
		if (n > 1 && !hi_first)
			hi_first = o;
		if (n > 1)
			hi_last = o + n - 1;
		memcpy(o, s, n);
		o += n;
		s += n;
	}
	*o = '\0';
	*out_len = (size_t)(o - out);
	ps->hi_first = hi_first;
	ps->hi_last = hi_last;
	return out;
}

/* ---- tokens ------------------------------------------------------------- */

static int is_ident(int c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

static void newline(struct pylex *ps)
{
	ps->line++;
	ps->line_start = ps->p;
}

/* Past a backslash that must end its line and not the text. */
static int continuation(struct pylex *ps)
{
	if (ps->p + 1 >= ps->end || ps->p[1] != '\n')
		return fail_here(ps, ps->p, ps->p + 1 >= ps->end ?
				 "unexpected end of file after '\\'" :
				 "unexpected character after line "
				 "continuation character");
	ps->p += 2;
	newline(ps);
	if (ps->p == ps->end)
		return fail_here(ps, ps->p, "unexpected end of file after "
				 "a line continuation");
	return 0;
}

/*
 * The start of a line: its indentation (CPython counts tabs to multiples
 * of 8, a form feed resets; a continuation at the start keeps the column
 * it was found at). Only the first line of the value may hold tokens at
 * the top level, and it must not be indented.
 */
static int line_start(struct pylex *ps)
{
	int col = 0, cont_col = 0;

	for (;; ps->p++) {
		char c = ps->p < ps->end ? *ps->p : '\0';

		if (c == ' ') {
			col++;
		} else if (c == '\t') {
			col = (col / 8 + 1) * 8;
		} else if (c == '\f') {
			col = 0;
		} else if (c == '\\') {
			cont_col = cont_col ? cont_col : col;
			if (continuation(ps) < 0)
				return -1;
			ps->p--;
		} else {
			break;
		}
	}
	/* CPython counts a last line of blanks without '\n' as indented */
	ps->blank = ps->p < ps->end && (*ps->p == '#' || *ps->p == '\n');
	if (!ps->blank && ps->depth == 0 && (cont_col ? cont_col : col))
		return fail_here(ps, ps->p, "unexpected indent");
	return 0;
}

static int decimal_tail(struct pylex *ps, const char **p)
{
	while (isdigit((unsigned char)**p)) {
		(*p)++;
		if (**p == '_') {
			(*p)++;
			if (!isdigit((unsigned char)**p))
				return fail_here(ps, *p, "invalid decimal "
						 "literal");
		}
	}
	return 0;
}

static int base_digit(int c, int base)
{
	if (base == 16)
		return isxdigit(c);
	return c >= '0' && c < '0' + base;
}

static int lex_based(struct pylex *ps, struct pytoken *t, const char *p)
{
	static const char *const names[] = { [2] = "binary", [8] = "octal",
					     [16] = "hexadecimal" };
	int base = (p[1] | 0x20) == 'x' ? 16 : (p[1] | 0x20) == 'o' ? 8 : 2;

	p += 2;
	if (*p == '_')
		p++;
	while (base_digit((unsigned char)*p, base)) {
		p++;
		if (*p == '_' && !base_digit((unsigned char)*++p, base))
			break;
	}
	if (isdigit((unsigned char)*p) && base_digit((unsigned char)p[-1],
						      base))
		return fail_here(ps, p, "invalid digit '%c' in %s literal",
				 *p, names[base]);
	if (!base_digit((unsigned char)p[-1], base) || is_ident(*p))
		return fail_here(ps, p, "invalid %s literal", names[base]);
	t->num = NUM_INT;
	t->base = base;
	t->len = (size_t)(p - t->start);
	return 0;
}

/* A number, as CPython's tokenizer reads it. */
static int lex_number(struct pylex *ps, struct pytoken *t)
{
	const char *p = t->start;
	int nonzero = 0;

	if (p[0] == '0' && strchr("xXoObB", p[1]) && p[1])
		return lex_based(ps, t, p);
	t->num = NUM_INT;
	t->base = 10;
	if (*p == '0') {
		while (*p == '0' || *p == '_')
			if (*p++ == '_' && !isdigit((unsigned char)*p))
				return fail_here(ps, p, "invalid decimal "
						 "literal");
		nonzero = isdigit((unsigned char)*p);
	}
	if (decimal_tail(ps, &p) < 0)
		return -1;
	if (*p == '.') {
		t->num = NUM_FLOAT;
		p++;
		if (decimal_tail(ps, &p) < 0)
			return -1;
	}
	if (*p == 'e' || *p == 'E') {
		p += p[1] == '+' || p[1] == '-' ? 2 : 1;
		if (!isdigit((unsigned char)*p))
			return fail_here(ps, p, "invalid decimal literal");
		t->num = NUM_FLOAT;
		if (decimal_tail(ps, &p) < 0)
			return -1;
	}
	if (*p == 'j' || *p == 'J') {
		t->num = NUM_IMAG;
		p++;
	} else if (nonzero && t->num == NUM_INT) {
		return fail_here(ps, t->start, "leading zeros in decimal "
				 "integer literals are not permitted; use an "
				 "0o prefix for octal integers");
	}
	if (is_ident(*p))
		return fail_here(ps, p, "invalid decimal literal");
	t->len = (size_t)(p - t->start);
	return 0;
}

static int lex_string(struct pylex *ps, struct pytoken *t, const char *q)
{
	char quote = *q;
	int triple = q[1] == quote && q[2] == quote;
	const char *p = q + (triple ? 3 : 1);

	t->body = p;
	for (;; p++) {
		/* the plain characters in between, quickly */
		while (p < ps->end && *p != quote && *p != '\\' && *p != '\n')
			p++;
		if (p == ps->end || (*p == '\n' && !triple))
			return fail_at(ps, t->line, t->col, "unterminated %s"
				       "string literal", triple ?
				       "triple-quoted " : "");
		if (*p == '\\' && p + 1 < ps->end) {
			p++;
		} else if (*p == quote && (!triple ||
			   (p[1] == quote && p[2] == quote))) {
			break;
		}
		if (*p == '\n') {
			ps->p = p + 1;
			newline(ps);
		}
	}
	t->body_len = (size_t)(p - t->body);
	t->len = (size_t)(p + (triple ? 3 : 1) - t->start);
	return 0;
}

/* A name, or the prefix of a string: b, r, u, f, br, rb, fr, rf. */
static int lex_name(struct pylex *ps, struct pytoken *t)
{
	const char *p = t->start;
	char pre[3] = "";

	while (is_ident(*p)) {
		if ((unsigned char)*p >= 0x80)
			return fail_here(ps, p, "names are not literals");
		p++;
	}
	t->len = (size_t)(p - t->start);
	if ((*p == '\'' || *p == '"') && t->len <= 2) {
		for (size_t i = 0; i < t->len; i++)
			pre[i] = (char)(t->start[i] | 0x20);
		if (!strcmp(pre, "b") || !strcmp(pre, "r") ||
		    !strcmp(pre, "u") || !strcmp(pre, "f") ||
		    !strcmp(pre, "br") || !strcmp(pre, "rb") ||
		    !strcmp(pre, "fr") || !strcmp(pre, "rf")) {
			t->kind = T_STRING;
			t->bytes = strchr(pre, 'b') != NULL;
			t->raw = strchr(pre, 'r') != NULL;
			t->fstring = strchr(pre, 'f') != NULL;
			return lex_string(ps, t, p);
		}
	}
	return 0;
}

static int lex_bracket(struct pylex *ps, struct pytoken *t, char c)
{
	static const char open[] = "([{", close[] = ")]}";
	const char *o = strchr(open, c);

	if (o && ps->depth >= PYLITERAL_MAX_DEPTH)
		return fail_here(ps, t->start, "too many nested parentheses "
				 "(Python allows %d)", PYLITERAL_MAX_DEPTH);
	if (o)
		ps->depth++;
	else if (ps->depth > 0)
		ps->depth--;
	t->kind = o ? T_LPAR + 2 * (enum tok_kind)(o - open) :
		  T_RPAR + 2 * (enum tok_kind)(strchr(close, c) - close);
	return 0;
}

static int lex_other(struct pylex *ps, struct pytoken *t)
{
	const unsigned char *s = (const unsigned char *)t->start;

	if (*s == '.' && s[1] == '.' && s[2] == '.') {
		t->kind = T_ELLIPSIS;
		t->len = 3;
		return 0;
	}
	if (*s >= 0x80)
		return fail_here(ps, t->start, "invalid character '%.*s' "
				 "(a manifest holds one literal; only "
				 "strings and comments may hold non-ASCII)",
				 (int)utf8_len(s, (const unsigned char *)
					       ps->end), t->start);
	if (*s < 0x20 || *s == 0x7f)
		return fail_here(ps, t->start, "invalid non-printable "
				 "character U+%04X", *s);
	return fail_here(ps, t->start, "'%c' is not allowed in a literal "
			 "(ast.literal_eval accepts only constants, "
			 "containers and set())", *s);
}

static int lex_token(struct pylex *ps, struct pytoken *t)
{
	const char *p = ps->p;
	char c = *p;

	t->start = p;
	t->len = 1;
	t->line = ps->line;
	t->col = pylex_col(ps, p);
	switch (c) {
	case '(': case ')': case '[': case ']': case '{': case '}':
		return lex_bracket(ps, t, c);
	}
	t->kind = c == ',' ? T_COMMA : c == ':' ? T_COLON : c == '+' ?
		  T_PLUS : c == '-' ? T_MINUS : T_END;
	if (t->kind != T_END)
		return 0;
	if (isdigit((unsigned char)c) ||
	    (c == '.' && isdigit((unsigned char)p[1]))) {
		t->kind = T_NUMBER;
		return lex_number(ps, t);
	}
	if (c == '\'' || c == '"') {
		t->kind = T_STRING;
		t->bytes = t->raw = t->fstring = 0;
		return lex_string(ps, t, p);
	}
	if (isalpha((unsigned char)c) || c == '_' ||
	    (unsigned char)c >= 0x80) {
		t->kind = T_NAME;
		if ((unsigned char)c < 0x80)
			return lex_name(ps, t);
	}
	return lex_other(ps, t);
}

int pylex_next(struct pylex *ps)
{
	struct pytoken *t = &ps->tok;

	for (;;) {
		if (ps->atbol) {
			ps->atbol = 0;
			if (line_start(ps) < 0)
				return -1;
		}
		while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
					   *ps->p == '\f'))
			ps->p++;
		if (ps->p == ps->end) {
			t->kind = T_END;
			t->line = ps->line;
			t->col = pylex_col(ps, ps->p);
			return ps->depth ? fail_at(ps, t->line, t->col,
				"unexpected end of file: a bracket is not "
				"closed") : 0;
		}
		if (*ps->p == '#') {
			ps->p += strcspn(ps->p, "\n");
		} else if (*ps->p == '\n') {
			t->kind = T_NEWLINE;
			t->line = ps->line;
			t->col = pylex_col(ps, ps->p);
			ps->p++;
			newline(ps);
			ps->atbol = 1;
			if (!ps->blank && ps->depth == 0)
				return 0;
		} else if (*ps->p == '\\') {
			if (continuation(ps) < 0)
				return -1;
		} else {
			break;
		}
	}
	ps->blank = 0;
	if (lex_token(ps, t) < 0)
		return -1;
	ps->p = t->start + t->len;
	return 0;
}


int pylex_init(struct pylex *lx, const char *src, size_t len,
	       struct pyliteral_error *err)
{
	size_t n;

	memset(lx, 0, sizeof(*lx));
	memset(err, 0, sizeof(*err));
	lx->err = err;
	lx->line = 1;
	lx->text = normalize(lx, src, len, &n);
	if (!lx->text)
		return -1;
	lx->p = lx->line_start = lx->text;
	lx->end = lx->text + n;
	lx->line = 1;
	lx->atbol = 1;
	/* literal_eval strips these first, so they never indent */
	while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t'))
		lx->p++;
	return 0;
}

void pylex_release(struct pylex *lx)
{
	free(lx->text);
	lx->text = NULL;
}
