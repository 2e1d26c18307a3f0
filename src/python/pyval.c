/*
 * Python values for the literal parser: the arena that owns them, ints of
 * any size, Python's == and hash for dict keys and set members, and the
 * canonical JSON the corpus test compares with Python.
 */
#include "python/pyliteral_priv.h"

#include <math.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* ---- arena -------------------------------------------------------------- */

#define PYARENA_CHUNK 4096

struct pyarena_chunk {
	struct pyarena_chunk *next;
	size_t used, cap;
	alignas(max_align_t) unsigned char data[];
};

void *pyarena_alloc(struct pyarena *a, size_t n)
{
	struct pyarena_chunk *c = a->head;
	void *p;

	n = (n + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
	if (!c || c->cap - c->used < n) {
		size_t cap = n > PYARENA_CHUNK ? n : PYARENA_CHUNK;

		c = xmalloc(sizeof(*c) + cap);
		c->used = 0;
		c->cap = cap;
		c->next = a->head;
		a->head = c;
	}
	p = c->data + c->used;
	c->used += n;
	return p;
}

char *pyarena_memdup(struct pyarena *a, const void *p, size_t n)
{
	char *s = pyarena_alloc(a, n + 1);

	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

void pyarena_release(struct pyarena *a)
{
	while (a->head) {
		struct pyarena_chunk *next = a->head->next;

		free(a->head);
		a->head = next;
	}
}

/* ---- ints of any size --------------------------------------------------- */

/* A magnitude in 32-bit limbs, least significant first. */
struct limbs {
	uint32_t *d;
	size_t n;
};

static void limbs_muladd(struct limbs *l, uint32_t mul, uint32_t add)
{
	uint64_t carry = add;

	for (size_t i = 0; i < l->n; i++) {
		uint64_t t = (uint64_t)l->d[i] * mul + carry;

		l->d[i] = (uint32_t)t;
		carry = t >> 32;
	}
	if (carry)
		l->d[l->n++] = (uint32_t)carry;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return (c | 0x20) - 'a' + 10;
}

static void limbs_from_decimal(struct limbs *l, const char *s, size_t n)
{
	size_t first = n % 9 ? n % 9 : 9;

	for (size_t i = 0; i < n;) {
		size_t k = i == 0 ? first : 9;
		uint32_t chunk = 0, mul = 1;

		for (size_t j = 0; j < k; j++, i++) {
			chunk = chunk * 10 + (uint32_t)digit_value(s[i]);
			mul *= 10;
		}
		limbs_muladd(l, mul, chunk);
	}
}

static void limbs_from_pow2(struct limbs *l, const char *s, size_t n,
			    int bits)
{
	size_t pos = 0;

	for (size_t i = n; i-- > 0; pos += (size_t)bits) {
		uint64_t d = (uint64_t)digit_value(s[i]) << (pos % 32);

		l->d[pos / 32] |= (uint32_t)d;
		if (d >> 32)
			l->d[pos / 32 + 1] |= (uint32_t)(d >> 32);
	}
	l->n = (pos + 31) / 32 + 1;
	while (l->n && !l->d[l->n - 1])
		l->n--;
}

static char *limbs_hex(const struct limbs *l, int negative, struct pyarena *a)
{
	char *s = pyarena_alloc(a, l->n * 8 + 4), *p = s;

	if (negative)
		*p++ = '-';
	p += sprintf(p, "0x%x", l->d[l->n - 1]);
	for (size_t i = l->n - 1; i-- > 0;)
		p += sprintf(p, "%08x", l->d[i]);
	return s;
}

static void set_from_limbs(struct pyval *v, const struct limbs *l,
			   struct pyarena *a)
{
	uint64_t m = 0;

	v->kind = PYVAL_INT;
	v->u.i.big = NULL;
	if (l->n > 2 || (l->n == 2 && l->d[1] >> 31)) {
		v->u.i.big = limbs_hex(l, 0, a);
		return;
	}
	for (size_t i = l->n; i-- > 0;)
		m = m << 32 | l->d[i];
	v->u.i.v = (long long)m;
}

int pyval_set_int(struct pyval *v, const char *digits, size_t n, int base,
		  struct pyarena *a)
{
	struct limbs l;

	while (n > 1 && digits[0] == '0')
		digits++, n--;
	if (base == 10 && n > PYVAL_MAX_DECIMAL_DIGITS)
		return -1;
	l.d = xcalloc(n + 3, sizeof(*l.d));
	l.n = 0;
	if (base == 10)
		limbs_from_decimal(&l, digits, n);
	else
		limbs_from_pow2(&l, digits, n,
				base == 16 ? 4 : base == 8 ? 3 : 1);
	set_from_limbs(v, &l, a);
	free(l.d);
	return 0;
}

void pyval_negate(struct pyval *v, struct pyarena *a)
{
	if (v->kind == PYVAL_FLOAT) {
		v->u.f = -v->u.f;
	} else if (v->kind == PYVAL_COMPLEX) {
		v->u.c.re = -v->u.c.re;
		v->u.c.im = -v->u.c.im;
	} else if (v->u.i.big && !strcmp(v->u.i.big, "0x8000000000000000")) {
		v->u.i.big = NULL;
		v->u.i.v = INT64_MIN;
	} else if (v->u.i.big) {
		size_t n = strlen(v->u.i.big);
		char *s = pyarena_alloc(a, n + 2);

		s[0] = '-';
		memcpy(s + 1, v->u.i.big, n + 1);
		v->u.i.big = s;
	} else if (v->u.i.v == INT64_MIN) {
		v->u.i.big = "0x8000000000000000";
	} else {
		v->u.i.v = -v->u.i.v;
	}
}

int pyval_to_double(const struct pyval *v, double *d)
{
	if (v->kind == PYVAL_FLOAT) {
		*d = v->u.f;
		return 0;
	}
	if (!v->u.i.big) {
		*d = (double)v->u.i.v;
		return 0;
	}
	*d = strtod(v->u.i.big, NULL);
	return isinf(*d) ? -1 : 0;
}

/* ---- Python's == and hash ----------------------------------------------- */

#define TWO_63 9223372036854775808.0

enum num_kind { KIND_INT, KIND_BIG, KIND_DBL };

struct num {
	enum num_kind kind;
	long long i;
	const char *big;
	double d;
};

static int is_number(const struct pyval *v)
{
	return v->kind == PYVAL_BOOL || v->kind == PYVAL_INT ||
	       v->kind == PYVAL_FLOAT || v->kind == PYVAL_COMPLEX;
}

/* The real part of a number, and its imaginary part in *im. */
static struct num num_split(const struct pyval *v, double *im)
{
	struct num r = { .kind = KIND_INT };

	*im = 0;
	if (v->kind == PYVAL_BOOL) {
		r.i = v->u.b;
	} else if (v->kind == PYVAL_INT) {
		r.kind = v->u.i.big ? KIND_BIG : KIND_INT;
		r.i = v->u.i.v;
		r.big = v->u.i.big;
	} else {
		r.kind = KIND_DBL;
		r.d = v->kind == PYVAL_FLOAT ? v->u.f : v->u.c.re;
		*im = v->kind == PYVAL_FLOAT ? 0 : v->u.c.im;
	}
	return r;
}

/* The exact value of an integral double of at least 2^63, as "0x...". */
static void double_hex(double d, char *out, size_t size)
{
	uint32_t limb[40] = { 0 };
	struct limbs l = { limb, 0 };
	int e;
	uint64_t m = (uint64_t)ldexp(frexp(fabs(d), &e), 53);
	struct pyarena a = { NULL };

	for (int k = 0; k < 53; k++) {
		size_t pos = (size_t)(e - 53 + k);

		if (m >> k & 1)
			limb[pos / 32] |= 1u << (pos % 32);
	}
	l.n = ARRAY_SIZE(limb);
	while (l.n && !limb[l.n - 1])
		l.n--;
	snprintf(out, size, "%s", limbs_hex(&l, d < 0, &a));
	pyarena_release(&a);
}

static int double_is_int(double d)
{
	return isfinite(d) && d == floor(d);
}

static int real_equal(struct num a, struct num b)
{
	char hex[300];

	if (a.kind > b.kind) {
		struct num t = a;

		a = b;
		b = t;
	}
	if (b.kind == KIND_INT)
		return a.i == b.i;
	if (a.kind == KIND_INT && b.kind == KIND_BIG)
		return 0;
	if (a.kind == KIND_DBL)
		return a.d == b.d;
	if (!double_is_int(b.d))
		return 0;
	if (a.kind == KIND_INT)
		return b.d >= -TWO_63 && b.d < TWO_63 && (long long)b.d == a.i;
	if (a.kind == KIND_BIG && b.kind == KIND_BIG)
		return !strcmp(a.big, b.big);
	if (fabs(b.d) < TWO_63)
		return 0;
	double_hex(b.d, hex, sizeof(hex));
	return !strcmp(hex, a.big);
}

static int pyval_equal(const struct pyval *a, const struct pyval *b)
{
	if (is_number(a) && is_number(b)) {
		double ima, imb;
		struct num ra = num_split(a, &ima), rb = num_split(b, &imb);

		return ima == imb && real_equal(ra, rb);
	}
	if (a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case PYVAL_STR:
	case PYVAL_BYTES:
		return a->u.s.len == b->u.s.len &&
		       !memcmp(a->u.s.s, b->u.s.s, a->u.s.len);
	case PYVAL_TUPLE:
		if (a->u.seq.n != b->u.seq.n)
			return 0;
		for (size_t i = 0; i < a->u.seq.n; i++)
			if (!pyval_equal(a->u.seq.v[i], b->u.seq.v[i]))
				return 0;
		return 1;
	default:
		return 1;	/* None, Ellipsis */
	}
}

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static uint64_t hash_double(double d)
{
	uint64_t u;

	if (d == 0)
		return 0;	/* 0.0 == -0.0 */
	memcpy(&u, &d, sizeof(u));
	return mix(u);
}

/* Equal values (by pyval_equal) hash alike: numbers hash as doubles. */
static uint64_t pyval_hash(const struct pyval *v)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)v->kind;

	if (is_number(v)) {
		double im, d;
		struct num r = num_split(v, &im);

		d = r.kind == KIND_INT ? (double)r.i :
		    r.kind == KIND_BIG ? strtod(r.big, NULL) : r.d;
		return hash_double(d) ^
		       (im != 0 ? mix(hash_double(im) + 1) : 0);
	}
	if (v->kind == PYVAL_STR || v->kind == PYVAL_BYTES) {
		for (size_t i = 0; i < v->u.s.len; i++)
			h = (h ^ (unsigned char)v->u.s.s[i]) * 0x100000001b3ULL;
	} else if (v->kind == PYVAL_TUPLE) {
		for (size_t i = 0; i < v->u.seq.n; i++)
			h = mix(h + pyval_hash(v->u.seq.v[i]));
	}
	return h;
}

/* The unhashable value in v (a list, set or dict), or NULL. */
static const struct pyval *unhashable(const struct pyval *v)
{
	if (v->kind == PYVAL_LIST || v->kind == PYVAL_SET ||
	    v->kind == PYVAL_DICT)
		return v;
	if (v->kind == PYVAL_TUPLE)
		for (size_t i = 0; i < v->u.seq.n; i++) {
			const struct pyval *bad = unhashable(v->u.seq.v[i]);

			if (bad)
				return bad;
		}
	return NULL;
}

/* key's slot in table (a power of two in size): its own, or a free one. */
static size_t probe(size_t *table, size_t size, struct pyval **keys,
		    const struct pyval *key)
{
	size_t i = (size_t)pyval_hash(key) & (size - 1);

	while (table[i] != SIZE_MAX && !pyval_equal(keys[table[i]], key))
		i = (i + 1) & (size - 1);
	return i;
}

int pyval_dedupe(struct pyval *v, const struct pyval **bad)
{
	int dict = v->kind == PYVAL_DICT;
	struct pyval **keys = dict ? v->u.dict.k : v->u.seq.v;
	struct pyval **vals = dict ? v->u.dict.v : NULL;
	size_t n = dict ? v->u.dict.n : v->u.seq.n, size = 8, m = 0;
	size_t *table;

	for (size_t i = 0; i < n; i++)
		if ((*bad = unhashable(keys[i])))
			return -1;
	while (size < 2 * n)
		size *= 2;
	table = xmalloc(size * sizeof(*table));
	memset(table, 0xff, size * sizeof(*table));
	for (size_t i = 0; i < n; i++) {
		size_t slot = probe(table, size, keys, keys[i]);

		if (table[slot] != SIZE_MAX) {
			if (dict)
				vals[table[slot]] = vals[i];
			continue;
		}
		table[slot] = m;
		keys[m] = keys[i];
		if (dict)
			vals[m] = vals[i];
		m++;
	}
	free(table);
	if (dict)
		v->u.dict.n = m;
	else
		v->u.seq.n = m;
	return 0;
}

/* ---- canonical JSON ----------------------------------------------------- */

#define JSON_MAX ((size_t)1 << 30)

static void put(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

/* Decodes one code point of our UTF-8 (which may encode surrogates). */
static unsigned long utf8_next(const unsigned char **p)
{
	const unsigned char *s = *p;
	unsigned long c = *s;
	int n = c < 0x80 ? 0 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;

	if (n)
		c &= 0x3f >> n;
	for (int i = 1; i <= n; i++)
		c = c << 6 | (s[i] & 0x3f);
	*p = s + n + 1;
	return c;
}

/* As Python's json.dumps(s) with ensure_ascii. */
static void json_str(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	char tmp[32];

	put(b, "\"");
	while (p < end) {
		unsigned long c = utf8_next(&p);
		const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" :
				  c == '\n' ? "\\n" : c == '\r' ? "\\r" :
				  c == '\t' ? "\\t" : c == '\b' ? "\\b" :
				  c == '\f' ? "\\f" : NULL;

		if (esc) {
			put(b, esc);
		} else if (c >= 0x20 && c < 0x7f) {
			tmp[0] = (char)c;
			buf_append(b, tmp, 1);
		} else if (c < 0x10000) {
			snprintf(tmp, sizeof(tmp), "\\u%04lx", c);
			put(b, tmp);
		} else {
			c -= 0x10000;
			snprintf(tmp, sizeof(tmp), "\\u%04lx\\u%04lx",
				 0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
			put(b, tmp);
		}
	}
	put(b, "\"");
}

static int reads_back(const char *digits, int decpt, double d)
{
	char tmp[64];

	snprintf(tmp, sizeof(tmp), "%se%d", digits,
		 decpt - (int)strlen(digits));
	return strtod(tmp, NULL) == d;
}

/* digits +1 or -1 in the last place; 0 when that leaves no digit. */
static int bump(char *digits, int *decpt, int dir)
{
	size_t n = strlen(digits), i = n;

	while (i-- > 0) {
		if (digits[i] == (dir > 0 ? '9' : '0')) {
			digits[i] = dir > 0 ? '0' : '9';
			continue;
		}
		digits[i] = (char)(digits[i] + dir);
		break;
	}
	if (i == SIZE_MAX) {		/* 99 + 1 */
		memmove(digits + 1, digits, n + 1);
		digits[0] = '1';
		(*decpt)++;
	}
	if (digits[0] == '0') {		/* 10 - 1 */
		if (n == 1)
			return 0;
		memmove(digits, digits + 1, n);
		(*decpt)--;
	}
	return 1;
}

/*
 * The shortest digits that read back as d (> 0), as Python's repr picks
 * them: d = 0.DIGITS * 10^*decpt. The nearest p digits can miss where the
 * gap below d is half the gap above (powers of two) while a neighbour
 * reads back.
 */
static void shortest_digits(double d, char digits[24], int *decpt)
{
	char tmp[40], alt[24];

	for (int p = 1; p <= 17; p++) {
		char *e;
		int dp;

		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, d);
		e = strchr(tmp, 'e');
		*decpt = atoi(e + 1) + 1;
		*e = '\0';
		digits[0] = tmp[0];
		memcpy(digits + 1, tmp + 2, (size_t)(p - 1));
		digits[p] = '\0';
		if (reads_back(digits, *decpt, d))
			break;
		for (int dir = 1; dir >= -1; dir -= 2) {
			memcpy(alt, digits, 24);
			dp = *decpt;
			if (bump(alt, &dp, dir) && reads_back(alt, dp, d)) {
				memcpy(digits, alt, 24);
				*decpt = dp;
				p = 18;
				break;
			}
		}
	}
	for (size_t n = strlen(digits); n > 1 && digits[n - 1] == '0'; n--)
		digits[n - 1] = '\0';
}

static void put_zeros(struct buf *b, int n)
{
	while (n-- > 0)
		put(b, "0");
}

/* As Python's repr(float), which json.dumps uses. */
static void json_float(struct buf *b, double d)
{
	char digits[24];
	int decpt, n;

	if (isinf(d) || isnan(d)) {
		put(b, isnan(d) ? "NaN" : d < 0 ? "-Infinity" : "Infinity");
		return;
	}
	put(b, signbit(d) ? "-" : "");
	if (d == 0) {
		put(b, "0.0");
		return;
	}
	shortest_digits(fabs(d), digits, &decpt);
	n = (int)strlen(digits);
	if (decpt <= -4 || decpt > 16) {
		buf_printf(b, "%c%s%se%+03d", digits[0], n > 1 ? "." : "",
			   digits + 1, decpt - 1);
	} else if (decpt <= 0) {
		put(b, "0.");
		put_zeros(b, -decpt);
		put(b, digits);
	} else if (decpt < n) {
		buf_printf(b, "%.*s.%s", decpt, digits, digits + decpt);
	} else {
		put(b, digits);
		put_zeros(b, decpt - n);
		put(b, ".0");
	}
}

static void json_value(struct buf *b, const struct pyval *v);

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void json_set(struct buf *b, const struct pyval *v)
{
	char **items = xcalloc(v->u.seq.n, sizeof(*items));

	for (size_t i = 0; i < v->u.seq.n; i++) {
		struct buf one;

		buf_init(&one, JSON_MAX);
		json_value(&one, v->u.seq.v[i]);
		items[i] = buf_detach(&one, NULL);
	}
	qsort(items, v->u.seq.n, sizeof(*items), cmp_str);
	put(b, "{\"$set\":[");
	for (size_t i = 0; i < v->u.seq.n; i++) {
		put(b, i ? "," : "");
		put(b, items[i]);
		free(items[i]);
	}
	put(b, "]}");
	free(items);
}

static void json_seq(struct buf *b, const struct pyval *v, const char *open,
		     const char *close)
{
	put(b, open);
	for (size_t i = 0; i < v->u.seq.n; i++) {
		put(b, i ? "," : "");
		json_value(b, v->u.seq.v[i]);
	}
	put(b, close);
}

static const struct pyval *const *sort_keys;

static int cmp_key(const void *a, const void *b)
{
	const struct pyval *x = sort_keys[*(const size_t *)a];
	const struct pyval *y = sort_keys[*(const size_t *)b];
	size_t n = x->u.s.len < y->u.s.len ? x->u.s.len : y->u.s.len;
	int c = memcmp(x->u.s.s, y->u.s.s, n);

	return c ? c : (x->u.s.len > y->u.s.len) - (x->u.s.len < y->u.s.len);
}

static void json_dict(struct buf *b, const struct pyval *v)
{
	size_t n = v->u.dict.n, *order;
	int plain = 1;

	for (size_t i = 0; i < n; i++)
		plain &= v->u.dict.k[i]->kind == PYVAL_STR;
	if (!plain) {
		put(b, "{\"$dict\":[");
		for (size_t i = 0; i < n; i++) {
			put(b, i ? ",[" : "[");
			json_value(b, v->u.dict.k[i]);
			put(b, ",");
			json_value(b, v->u.dict.v[i]);
			put(b, "]");
		}
		put(b, "]}");
		return;
	}
	order = xcalloc(n, sizeof(*order));
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	sort_keys = (const struct pyval *const *)v->u.dict.k;
	qsort(order, n, sizeof(*order), cmp_key);
	put(b, "{");
	for (size_t i = 0; i < n; i++) {
		const struct pyval *k = v->u.dict.k[order[i]];

		put(b, i ? "," : "");
		json_str(b, k->u.s.s, k->u.s.len);
		put(b, ":");
		json_value(b, v->u.dict.v[order[i]]);
	}
	put(b, "}");
	free(order);
}

static void json_number(struct buf *b, const struct pyval *v)
{
	if (v->kind == PYVAL_INT && v->u.i.big) {
		buf_printf(b, "{\"$int\":\"%s\"}", v->u.i.big);
	} else if (v->kind == PYVAL_INT) {
		buf_printf(b, "%lld", v->u.i.v);
	} else if (v->kind == PYVAL_FLOAT) {
		json_float(b, v->u.f);
	} else {
		put(b, "{\"$complex\":[");
		json_float(b, v->u.c.re);
		put(b, ",");
		json_float(b, v->u.c.im);
		put(b, "]}");
	}
}

static void json_value(struct buf *b, const struct pyval *v)
{
	switch (v->kind) {
	case PYVAL_NONE:
		put(b, "null");
		break;
	case PYVAL_BOOL:
		put(b, v->u.b ? "true" : "false");
		break;
	case PYVAL_STR:
		json_str(b, v->u.s.s, v->u.s.len);
		break;
	case PYVAL_BYTES:
		put(b, "{\"$bytes\":\"");
		for (size_t i = 0; i < v->u.s.len; i++)
			buf_printf(b, "%02x", (unsigned char)v->u.s.s[i]);
		put(b, "\"}");
		break;
	case PYVAL_ELLIPSIS:
		put(b, "{\"$ellipsis\":true}");
		break;
	case PYVAL_TUPLE:
		json_seq(b, v, "{\"$tuple\":[", "]}");
		break;
	case PYVAL_LIST:
		json_seq(b, v, "[", "]");
		break;
	case PYVAL_SET:
		json_set(b, v);
		break;
	case PYVAL_DICT:
		json_dict(b, v);
		break;
	default:
		json_number(b, v);
	}
}

char *pyval_canonical_json(const struct pyval *v)
{
	struct buf b;

	buf_init(&b, JSON_MAX);
	json_value(&b, v);
	return buf_detach(&b, NULL);
}

/* ---- lookups ------------------------------------------------------------ */

int pyval_is_str(const struct pyval *v, const char *s)
{
	return v && v->kind == PYVAL_STR && strlen(s) == v->u.s.len &&
	       !memcmp(v->u.s.s, s, v->u.s.len);
}

const struct pyval *pyval_dict_get(const struct pyval *d, const char *key)
{
	size_t len = strlen(key);

	if (!d || d->kind != PYVAL_DICT)
		return NULL;
	/* keys are unique: the parser merged equal ones */
	for (size_t i = 0; i < d->u.dict.n; i++) {
		const struct pyval *k = d->u.dict.k[i];

		if (k->kind == PYVAL_STR && k->u.s.len == len &&
		    !memcmp(k->u.s.s, key, len))
			return d->u.dict.v[i];
	}
	return NULL;
}

const char *pyval_kind_name(enum pyval_kind kind)
{
	static const char *const names[] = {
		"NoneType", "bool", "int", "float", "complex", "str", "bytes",
		"ellipsis", "tuple", "list", "set", "dict",
	};

	return (size_t)kind < ARRAY_SIZE(names) ? names[kind] : "?";
}
