/*
 * libFuzzer target for the manifest literal parser (pylex.c, pyliteral.c,
 * pyval.c): any bytes in, a value or a one-line error out, never a crash,
 * a leak or undefined behaviour. `make fuzz` builds it with
 * -fsanitize=fuzzer,address,undefined and runs it for FUZZ_SECONDS.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "python/pyliteral.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Walks the tree the way the manifest rules do. */
static size_t walk(const struct pyval *v)
{
	size_t n = 1;

	if (v->kind == PYVAL_DICT) {
		for (size_t i = 0; i < v->u.dict.n; i++)
			n += walk(v->u.dict.k[i]) + walk(v->u.dict.v[i]);
	} else if (v->kind == PYVAL_TUPLE || v->kind == PYVAL_LIST ||
		   v->kind == PYVAL_SET) {
		for (size_t i = 0; i < v->u.seq.n; i++)
			n += walk(v->u.seq.v[i]);
	} else if (v->kind == PYVAL_STR || v->kind == PYVAL_BYTES) {
		n += v->u.s.s[v->u.s.len] != '\0';	/* NUL-ended */
	}
	return n + (v->line < 1) + (v->col < 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pyliteral_error err;
	struct pyliteral *doc = pyliteral_parse((const char *)data, size, &err);
	const struct pyval *root;
	char *json;

	if (!doc) {
		/* the error is one terminated line with a position */
		if (err.line < 1 || err.col < 1 || !err.msg[0] ||
		    strchr(err.msg, '\n') ||
		    strnlen(err.msg, sizeof(err.msg)) == sizeof(err.msg))
			abort();
		return 0;
	}
	root = pyliteral_root(doc);
	if (walk(root) == 0)
		abort();
	(void)pyval_dict_get(root, "depends");
	json = pyval_canonical_json(root);
	if (!json[0] || strchr(json, '\n'))
		abort();
	free(json);
	pyliteral_free(doc);
	return 0;
}
