/*
 * A parser of what ast.literal_eval() accepts, over pylex's tokens, with
 * literal_eval's rules on the tree: a sign only before a number, '+' or
 * '-' only between a real and an imaginary number, set() the only call,
 * hashable dict keys and set members. Recursion is bounded by the
 * 200-bracket limit the tokenizer enforces.
 */
#include "python/pyliteral.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "python/pyliteral_priv.h"
#include "core/util.h"

struct parser {
	struct pylex lx;
	struct pyarena arena;
	struct buf scratch;	/* a string's text while it is decoded */
};

struct pyliteral {
	struct pyarena arena;
	struct pyval *root;
};

/* How an expression was written: what literal_eval's checks look at. */
enum shape { SH_VALUE, SH_NUM, SH_SIGNED, SH_BINOP, SH_SETNAME };

static int fail_at(struct parser *ps, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail_at(struct parser *ps, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pylex_vfail(&ps->lx, line, col, fmt, ap);
	va_end(ap);
	return -1;
}

#define fail_tok(ps, ...) \
	fail_at(ps, (ps)->lx.tok.line, (ps)->lx.tok.col, __VA_ARGS__)

static int next(struct parser *ps)
{
	return pylex_next(&ps->lx);
}

/* ---- values ------------------------------------------------------------- */

struct vec {
	struct pyval **v;
	size_t n, cap;
};

static void vec_push(struct vec *v, struct pyval *x)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 8;
		v->v = xrealloc(v->v, v->cap * sizeof(*v->v));
	}
	v->v[v->n++] = x;
}

/* The items, moved into the arena. */
static struct pyval **vec_keep(struct parser *ps, struct vec *v)
{
	struct pyval **items = pyarena_alloc(&ps->arena,
					     v->n * sizeof(*items) + 1);

	if (v->n)
		memcpy(items, v->v, v->n * sizeof(*items));
	free(v->v);
	v->v = NULL;
	return items;
}

static struct pyval *node(struct parser *ps, enum pyval_kind kind,
			  const struct pytoken *t)
{
	struct pyval *v = pyarena_alloc(&ps->arena, sizeof(*v));

	memset(v, 0, sizeof(*v));
	v->kind = kind;
	v->line = t->line;
	v->col = t->col;
	return v;
}

static const char *describe(const struct pytoken *t, char *out, size_t n)
{
	size_t len = strcspn(t->start, "\n");

	if (t->kind == T_END)
		return "end of file";
	if (t->kind == T_NEWLINE)
		return "end of line";
	len = len < t->len ? len : t->len;
	snprintf(out, n, "'%.*s'", len > 24 ? 24 : (int)len, t->start);
	return out;
}

static int unexpected(struct parser *ps, const char *wanted)
{
	char tmp[40];

	return fail_at(ps, ps->lx.tok.line, ps->lx.tok.col,
		       "expected %s, found %s", wanted,
		       describe(&ps->lx.tok, tmp, sizeof(tmp)));
}

static struct pyval *number(struct parser *ps)
{
	const struct pytoken *t = &ps->lx.tok;
	const char *s = t->start + (t->base == 10 ? 0 : 2);
	char *digits = xmalloc(t->len + 1), *o = digits;
	struct pyval *v = node(ps, PYVAL_INT, t);

	for (; s < t->start + t->len; s++)
		if (*s != '_' && *s != 'j' && *s != 'J')
			*o++ = *s;
	*o = '\0';
	if (t->num == NUM_FLOAT) {
		v->kind = PYVAL_FLOAT;
		v->u.f = strtod(digits, NULL);
	} else if (t->num == NUM_IMAG) {
		v->kind = PYVAL_COMPLEX;
		v->u.c.im = strtod(digits, NULL);
	} else if (pyval_set_int(v, digits, (size_t)(o - digits), t->base,
				 &ps->arena) < 0) {
		fail_at(ps, t->line, t->col, "exceeds the limit (%d digits) "
			"for integer string conversion",
			PYVAL_MAX_DECIMAL_DIGITS);
		v = NULL;
	}
	free(digits);
	return v;
}

/* Appends c as UTF-8 (surrogates too, as Python's str holds them). */
static void put_cp(struct buf *b, unsigned long c)
{
	unsigned char u[4];
	size_t n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;

	u[0] = n == 1 ? (unsigned char)c :
	       (unsigned char)((0xf00 >> n) | (c >> (6 * (n - 1))));
	for (size_t i = 1; i < n; i++)
		u[i] = (unsigned char)(0x80 |
				       ((c >> (6 * (n - 1 - i))) & 0x3f));
	buf_append(b, u, n);
}

static int hex_escape(struct parser *ps, const struct pytoken *t,
		      const char **sp, const char *end, char kind,
		      unsigned long *v)
{
	int n = kind == 'x' ? 2 : kind == 'u' ? 4 : 8;

	*v = 0;
	for (int i = 0; i < n; i++, (*sp)++) {
		if (*sp == end || !isxdigit((unsigned char)**sp))
			return fail_at(ps, t->line, t->col, "truncated \\%c "
				       "escape: %d hex digits needed", kind, n);
		*v = *v * 16 + (unsigned long)(isdigit((unsigned char)**sp) ?
			**sp - '0' : (**sp | 0x20) - 'a' + 10);
	}
	if (*v > 0x10ffff)
		return fail_at(ps, t->line, t->col, "illegal Unicode "
			       "character in \\U escape");
	return 0;
}

/* One escape after a backslash, as Python decodes str and bytes. */
static int escape(struct parser *ps, const struct pytoken *t, const char **sp,
		  const char *end, struct buf *b)
{
	static const char simple[] = "\\\\''\"\"a\ab\bf\fn\nr\rt\tv\v";
	const char *s = *sp;
	char c = *s++;
	unsigned long v = 0;

	*sp = s;
	if (c == '\n')
		return 0;
	for (const char *p = simple; *p; p += 2)
		if (*p == c)
			return buf_append(b, p + 1, 1);
	if (c >= '0' && c <= '7') {
		v = (unsigned long)(c - '0');
		for (int k = 0; k < 2 && *sp < end && **sp >= '0' &&
		     **sp <= '7'; k++)
			v = v * 8 + (unsigned long)(*(*sp)++ - '0');
	} else if (c == 'x' || (!t->bytes && (c == 'u' || c == 'U'))) {
		if (hex_escape(ps, t, sp, end, c, &v) < 0)
			return -1;
	} else if (c == 'N' && !t->bytes) {
		return fail_at(ps, t->line, t->col, "\\N{...} escapes are not "
			       "supported by odooctl: write the character "
			       "itself");
	} else {
		*sp = s - 1;	/* kept as written, backslash included */
		return buf_append(b, "\\", 1);
	}
	if (t->bytes) {
		char byte = (char)(v & 0xff);

		return buf_append(b, &byte, 1);
	}
	put_cp(b, v);
	return 0;
}

static int decode(struct parser *ps, const struct pytoken *t, struct buf *b)
{
	const char *s = t->body, *end = s + t->body_len;

	for (const char *p = s; t->bytes && p < end; p++)
		if ((unsigned char)*p >= 0x80)
			return fail_at(ps, t->line, t->col, "bytes can only "
				       "contain ASCII literal characters");
	if (t->raw)
		return buf_append(b, s, t->body_len);
	while (s < end) {
		const char *bs = memchr(s, '\\', (size_t)(end - s));

		buf_append(b, s, (size_t)((bs ? bs : end) - s));
		if (!bs)
			break;
		s = bs + 1;
		if (escape(ps, t, &s, end, b) < 0)
			return -1;
	}
	return 0;
}

/* Adjacent strings make one. */
static struct pyval *string(struct parser *ps)
{
	struct pytoken first = ps->lx.tok;
	struct buf *b = &ps->scratch;
	struct pyval *v;

	buf_reset(b);
	while (ps->lx.tok.kind == T_STRING) {
		if (ps->lx.tok.fstring)
			return fail_at(ps, ps->lx.tok.line, ps->lx.tok.col,
				       "f-strings are not literals"), NULL;
		if (ps->lx.tok.bytes != first.bytes)
			return fail_at(ps, ps->lx.tok.line, ps->lx.tok.col,
				       "cannot mix bytes and nonbytes "
				       "literals"), NULL;
		if (decode(ps, &ps->lx.tok, b) < 0 || next(ps) < 0)
			return NULL;
	}
	v = node(ps, first.bytes ? PYVAL_BYTES : PYVAL_STR, &first);
	v->u.s.s = pyarena_memdup(&ps->arena, b->data ? b->data : "", b->len);
	v->u.s.len = b->len;
	return v;
}

static struct pyval *name(struct parser *ps, enum shape *sh)
{
	static const char *const hints[][2] = {
		{ "true", "True" }, { "false", "False" }, { "null", "None" },
		{ "none", "None" },
	};
	const struct pytoken *t = &ps->lx.tok;
	struct pyval *v = node(ps, PYVAL_NONE, t);
	char word[32];

	snprintf(word, sizeof(word), "%.*s", (int)t->len, t->start);
	if (!strcmp(word, "True") || !strcmp(word, "False")) {
		v->kind = PYVAL_BOOL;
		v->u.b = word[0] == 'T';
	} else if (!strcmp(word, "set")) {
		*sh = SH_SETNAME;
	} else if (strcmp(word, "None")) {
		for (size_t i = 0; i < ARRAY_SIZE(hints); i++)
			if (!strcmp(word, hints[i][0]))
				return fail_at(ps, t->line, t->col, "name '%s' "
					       "is not a literal (Python "
					       "writes %s)", word,
					       hints[i][1]), NULL;
		fail_at(ps, t->line, t->col, "name '%.*s' is not a literal",
			t->len > 40 ? 40 : (int)t->len, t->start);
		return NULL;
	}
	return next(ps) < 0 ? NULL : v;
}

static struct pyval *value(struct parser *ps, enum shape *sh);

/* A value where any literal may stand (not a bare 'set'). */
static struct pyval *element(struct parser *ps)
{
	struct pytoken t = ps->lx.tok;
	enum shape sh;
	struct pyval *v = value(ps, &sh);

	if (v && sh == SH_SETNAME) {
		fail_at(ps, t.line, t.col, "name 'set' is not a literal "
			"(only set() is)");
		return NULL;
	}
	return v;
}

static struct pyval *container(struct parser *ps, enum pyval_kind kind,
			       const struct pytoken *open, struct vec *items,
			       struct vec *vals)
{
	struct pyval *v = node(ps, kind, open);
	const struct pyval *bad;

	if (kind == PYVAL_DICT) {
		v->u.dict.n = items->n;
		v->u.dict.k = vec_keep(ps, items);
		v->u.dict.v = vec_keep(ps, vals);
	} else {
		v->u.seq.n = items->n;
		v->u.seq.v = vec_keep(ps, items);
	}
	if ((kind == PYVAL_DICT || kind == PYVAL_SET) &&
	    pyval_dedupe(v, &bad) < 0) {
		fail_at(ps, bad->line, bad->col, "unhashable type: '%s' (as "
			"a %s)", pyval_kind_name(bad->kind), kind == PYVAL_DICT
			? "dict key" : "set member");
		return NULL;
	}
	return v;
}

/* The rest of a sequence after its first item: ", item" ... [","] close. */
static int items(struct parser *ps, struct vec *vec, enum tok_kind close,
		 const char *wanted)
{
	for (;;) {
		struct pyval *v;

		if (ps->lx.tok.kind == close)
			return next(ps);
		if (ps->lx.tok.kind != T_COMMA)
			return unexpected(ps, wanted);
		if (next(ps) < 0)
			return -1;
		if (ps->lx.tok.kind == close)
			return next(ps);
		if (!(v = element(ps)))
			return -1;
		vec_push(vec, v);
	}
}

static struct pyval *sequence(struct parser *ps, enum pyval_kind kind,
			      const struct pytoken *open, struct pyval *first,
			      enum tok_kind close)
{
	struct vec vec = { 0 };

	if (first)
		vec_push(&vec, first);
	if (items(ps, &vec, close, close == T_RPAR ? "',' or ')'" :
		  close == T_RSQB ? "',' or ']'" : "',' or '}'") < 0) {
		free(vec.v);
		return NULL;
	}
	return container(ps, kind, open, &vec, &(struct vec){ 0 });
}

static struct pyval *list(struct parser *ps)
{
	struct pytoken open = ps->lx.tok;
	struct pyval *first = NULL;

	if (next(ps) < 0)
		return NULL;
	if (ps->lx.tok.kind != T_RSQB && !(first = element(ps)))
		return NULL;
	return sequence(ps, PYVAL_LIST, &open, first, T_RSQB);
}

/* (value) keeps the value's shape; (), (x,) and (x, y) are tuples. */
static struct pyval *paren(struct parser *ps, enum shape *sh)
{
	struct pytoken open = ps->lx.tok;
	struct pyval *first;

	if (next(ps) < 0)
		return NULL;
	if (ps->lx.tok.kind == T_RPAR)
		return sequence(ps, PYVAL_TUPLE, &open, NULL, T_RPAR);
	if (!(first = value(ps, sh)))
		return NULL;
	if (ps->lx.tok.kind == T_RPAR)
		return next(ps) < 0 ? NULL : first;
	if (*sh == SH_SETNAME) {
		fail_at(ps, first->line, first->col, "name 'set' is not a "
			"literal (only set() is)");
		return NULL;
	}
	*sh = SH_VALUE;
	return sequence(ps, PYVAL_TUPLE, &open, first, T_RPAR);
}

static int dict_items(struct parser *ps, struct vec *keys, struct vec *vals)
{
	for (;;) {
		struct pyval *k, *v;

		if (ps->lx.tok.kind == T_RBRACE)
			return next(ps);
		if (ps->lx.tok.kind != T_COMMA)
			return unexpected(ps, "',' or '}'");
		if (next(ps) < 0)
			return -1;
		if (ps->lx.tok.kind == T_RBRACE)
			return next(ps);
		if (!(k = element(ps)))
			return -1;
		if (ps->lx.tok.kind != T_COLON)
			return unexpected(ps, "':'");
		if (next(ps) < 0 || !(v = element(ps)))
			return -1;
		vec_push(keys, k);
		vec_push(vals, v);
	}
}

static struct pyval *brace(struct parser *ps)
{
	struct pytoken open = ps->lx.tok;
	struct vec keys = { 0 }, vals = { 0 };
	struct pyval *first, *v;

	if (next(ps) < 0)
		return NULL;
	if (ps->lx.tok.kind == T_RBRACE)
		return next(ps) < 0 ? NULL :
		       container(ps, PYVAL_DICT, &open, &keys, &vals);
	if (!(first = element(ps)))
		return NULL;
	if (ps->lx.tok.kind != T_COLON)
		return sequence(ps, PYVAL_SET, &open, first, T_RBRACE);
	if (next(ps) < 0 || !(v = element(ps)))
		return NULL;
	vec_push(&keys, first);
	vec_push(&vals, v);
	if (dict_items(ps, &keys, &vals) < 0) {
		free(keys.v);
		free(vals.v);
		return NULL;
	}
	return container(ps, PYVAL_DICT, &open, &keys, &vals);
}

static struct pyval *atom(struct parser *ps, enum shape *sh)
{
	struct pyval *v;

	*sh = SH_VALUE;
	switch (ps->lx.tok.kind) {
	case T_NUMBER:
		*sh = SH_NUM;
		v = number(ps);
		return v && next(ps) == 0 ? v : NULL;
	case T_STRING:
		return string(ps);
	case T_NAME:
		return name(ps, sh);
	case T_ELLIPSIS:
		v = node(ps, PYVAL_ELLIPSIS, &ps->lx.tok);
		return next(ps) == 0 ? v : NULL;
	case T_LPAR:
		return paren(ps, sh);
	case T_LSQB:
		return list(ps);
	case T_LBRACE:
		return brace(ps);
	default:
		unexpected(ps, "a value");
		return NULL;
	}
}

/* An atom and what may follow it: only set's "()". */
static struct pyval *primary(struct parser *ps, enum shape *sh)
{
	struct pyval *v = atom(ps, sh);

	if (v && *sh == SH_SETNAME && ps->lx.tok.kind == T_LPAR) {
		if (next(ps) < 0)
			return NULL;
		if (ps->lx.tok.kind != T_RPAR)
			return fail_tok(ps, "set() "
				       "takes no argument in a literal"), NULL;
		if (next(ps) < 0)
			return NULL;
		v->kind = PYVAL_SET;
		*sh = SH_VALUE;
	}
	if (v && (ps->lx.tok.kind == T_LPAR || ps->lx.tok.kind == T_LSQB)) {
		fail_tok(ps, "calls and subscripts "
			"are not literals (only set() is)");
		return NULL;
	}
	return v;
}

/* A sign applies to a number only, once: -1, -(1), not - -1 or -True. */
static struct pyval *factor(struct parser *ps, enum shape *sh)
{
	struct pytoken op = ps->lx.tok;
	struct pyval *v;

	if (op.kind != T_PLUS && op.kind != T_MINUS)
		return primary(ps, sh);
	if (next(ps) < 0)
		return NULL;
	if (ps->lx.tok.kind == T_PLUS || ps->lx.tok.kind == T_MINUS) {
		fail_tok(ps, "a sign may only "
			"precede a number");
		return NULL;
	}
	if (!(v = primary(ps, sh)))
		return NULL;
	if (*sh != SH_NUM) {
		fail_at(ps, op.line, op.col, "a sign may only precede a "
			"number");
		return NULL;
	}
	if (op.kind == T_MINUS)
		pyval_negate(v, &ps->arena);
	v->line = op.line;
	v->col = op.col;
	*sh = SH_SIGNED;
	return v;
}

/* The one binary operation literal_eval allows: real +/- imaginary. */
static struct pyval *value(struct parser *ps, enum shape *sh)
{
	struct pyval *l = factor(ps, sh), *r;
	struct pytoken op = ps->lx.tok;
	enum shape rsh;
	double re;

	if (!l || (op.kind != T_PLUS && op.kind != T_MINUS))
		return l;
	if (next(ps) < 0 || !(r = factor(ps, &rsh)))
		return NULL;
	if ((*sh != SH_NUM && *sh != SH_SIGNED) || l->kind == PYVAL_COMPLEX ||
	    rsh != SH_NUM || r->kind != PYVAL_COMPLEX)
		return fail_at(ps, op.line, op.col, "'%c' may only join a "
			       "real and an imaginary number, as in 1+2j",
			       *op.start), NULL;
	if (pyval_to_double(l, &re) < 0)
		return fail_at(ps, l->line, l->col, "int too large to "
			       "convert to float"), NULL;
	l->kind = PYVAL_COMPLEX;
	l->u.c.re = op.kind == T_PLUS ? re + r->u.c.re : re - r->u.c.re;
	l->u.c.im = op.kind == T_PLUS ? 0.0 + r->u.c.im : 0.0 - r->u.c.im;
	*sh = SH_BINOP;
	if (ps->lx.tok.kind == T_PLUS || ps->lx.tok.kind == T_MINUS)
		return fail_tok(ps, "only one '+' "
			       "or '-' may join numbers"), NULL;
	return l;
}

static int starts_value(enum tok_kind k)
{
	return k == T_NUMBER || k == T_STRING || k == T_NAME ||
	       k == T_ELLIPSIS || k == T_LPAR || k == T_LSQB ||
	       k == T_LBRACE || k == T_PLUS || k == T_MINUS;
}

/* The whole text: one value, or a tuple without parentheses. */
static struct pyval *top(struct parser *ps)
{
	struct pytoken first = ps->lx.tok;
	struct vec vec = { 0 };
	struct pyval *v;

	if (first.kind == T_END)
		return fail_at(ps, first.line, first.col, "no value: the file "
			       "holds only blanks and comments"), NULL;
	if (!(v = element(ps)))
		return NULL;
	if (ps->lx.tok.kind == T_COMMA) {
		vec_push(&vec, v);
		while (ps->lx.tok.kind == T_COMMA) {
			if (next(ps) < 0)
				goto fail;
			if (!starts_value(ps->lx.tok.kind))
				break;
			if (!(v = element(ps)))
				goto fail;
			vec_push(&vec, v);
		}
		v = container(ps, PYVAL_TUPLE, &first, &vec,
			      &(struct vec){ 0 });
	}
	while (v && ps->lx.tok.kind == T_NEWLINE)
		if (next(ps) < 0)
			return NULL;
	if (v && ps->lx.tok.kind != T_END)
		return unexpected(ps, "the end of the value"), NULL;
	return v;
fail:
	free(vec.v);
	return NULL;
}

struct pyliteral *pyliteral_parse(const char *src, size_t len,
				  struct pyliteral_error *err)
{
	struct parser ps = { .arena = { NULL } };
	struct pyliteral *doc;
	struct pyval *root = NULL;

	if (pylex_init(&ps.lx, src, len, err) < 0)
		return NULL;
	buf_init(&ps.scratch, (size_t)(ps.lx.end - ps.lx.text) + 16);
	if (next(&ps) == 0)
		root = top(&ps);
	buf_release(&ps.scratch);
	pylex_release(&ps.lx);
	if (!root || ps.lx.failed) {
		pyarena_release(&ps.arena);
		return NULL;
	}
	doc = xmalloc(sizeof(*doc));
	doc->arena = ps.arena;
	doc->root = root;
	return doc;
}

const struct pyval *pyliteral_root(const struct pyliteral *doc)
{
	return doc->root;
}

void pyliteral_free(struct pyliteral *doc)
{
	if (!doc)
		return;
	pyarena_release(&doc->arena);
	free(doc);
}
