/*
 * The Python literal syntax that ast.literal_eval() accepts (Python 3.11
 * and later), without Python: what Odoo reads a __manifest__.py with.
 *
 * Accepted: dicts, lists, tuples (also unparenthesized at the top level),
 * sets and set(); str and bytes in every form (single, double and
 * triple quotes; r, u, b, br/rb prefixes in any case; adjacent literals
 * concatenated; every escape except \N{NAME}, which is refused with a
 * message saying so); ints (decimal, 0x, 0o, 0b, underscores, any size),
 * floats, imaginary numbers and the complex sums literal_eval allows
 * (1+2j, -1.5-2j); a sign before a number; True, False, None and ...;
 * comments, blank lines, backslash continuations, trailing commas,
 * parentheses. The text is read as Odoo reads it: strict UTF-8, universal
 * newlines.
 *
 * Refused as Python refuses them: anything else (names, calls other than
 * set(), operators, f-strings), unhashable dict keys or set members, an
 * indented first line, decimal ints of more than 4300 digits, more than 200
 * nested brackets, invalid escapes and numbers, NUL bytes, a BOM.
 *
 * Dict keys and set members keep Python's semantics: 1, 1.0 and True are
 * one key, the first key stays and the last value wins.
 */
#ifndef ODOOCTL_PYLITERAL_H
#define ODOOCTL_PYLITERAL_H

#include <stddef.h>

#define PYLITERAL_MAX_DEPTH 200	/* Python's limit on nested brackets */

enum pyval_kind {
	PYVAL_NONE,
	PYVAL_BOOL,
	PYVAL_INT,
	PYVAL_FLOAT,
	PYVAL_COMPLEX,
	PYVAL_STR,
	PYVAL_BYTES,
	PYVAL_ELLIPSIS,
	PYVAL_TUPLE,
	PYVAL_LIST,
	PYVAL_SET,
	PYVAL_DICT,
};

/* A parsed value. Every pointer is owned by the pyliteral it came from. */
struct pyval {
	enum pyval_kind kind;
	int line, col;		/* 1-based; col counts characters */
	union {
		int b;
		struct {
			long long v;
			/* beyond 64 bits: "0x..." or "-0x...", else NULL */
			const char *big;
		} i;
		double f;
		struct {
			double re, im;
		} c;
		struct {
			/* str: UTF-8 (lone surrogates encoded like any code
			 * point); bytes: the bytes. NUL-terminated. */
			const char *s;
			size_t len;
		} s;
		struct {
			struct pyval **v;
			size_t n;
		} seq;		/* tuple, list, set */
		struct {
			struct pyval **k, **v;
			size_t n;
		} dict;
	} u;
};

struct pyliteral_error {
	int line, col;
	char msg[192];
};

struct pyliteral;

/*
 * Parses src (len bytes, any content). NULL with *err set (line:col and a
 * one-line message) when Python would refuse it too.
 */
struct pyliteral *pyliteral_parse(const char *src, size_t len,
				  struct pyliteral_error *err);
const struct pyval *pyliteral_root(const struct pyliteral *doc);
void pyliteral_free(struct pyliteral *doc);

/* The value of key in a dict, or NULL (also when d is not a dict). */
const struct pyval *pyval_dict_get(const struct pyval *d, const char *key);
/* "str", "list", "dict" ...: Python's type names. */
const char *pyval_kind_name(enum pyval_kind kind);
/* A str whose text is s. */
int pyval_is_str(const struct pyval *v, const char *s);

/*
 * The value as one line of canonical JSON (caller frees), the form the
 * corpus test compares with Python's ast.literal_eval:
 * None, bools, str, lists and ints of 64 bits are plain JSON; floats are
 * Python's repr (Infinity for inf); a dict with only str keys is an object
 * with sorted keys; everything else is tagged: {"$int":"0x..."},
 * {"$complex":[re,im]}, {"$bytes":"hex"}, {"$ellipsis":true},
 * {"$tuple":[...]}, {"$set":[sorted members]}, {"$dict":[[k,v],...]}.
 * Strings are escaped to ASCII as Python's json.dumps does.
 */
char *pyval_canonical_json(const struct pyval *v);

#endif
