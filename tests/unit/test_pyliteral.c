#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "python/pyliteral.h"
#include "core/util.h"

/* The canonical JSON of src, or NULL with err set. */
static char *parse(const char *src, size_t len, struct pyliteral_error *err)
{
	struct pyliteral *doc = pyliteral_parse(src, len, err);
	char *json;

	if (!doc)
		return NULL;
	json = pyval_canonical_json(pyliteral_root(doc));
	pyliteral_free(doc);
	return json;
}

static void assert_value(const char *src, const char *want)
{
	struct pyliteral_error err;
	char *got = parse(src, strlen(src), &err);

	if (!got)
		fail_msg("%s: refused: %d:%d: %s", src, err.line, err.col,
			 err.msg);
	if (strcmp(got, want))
		fail_msg("%s: got %s, want %s", src, got, want);
	free(got);
}

static void assert_refused(const char *src, int line, int col,
			   const char *msg)
{
	struct pyliteral_error err;
	char *got = parse(src, strlen(src), &err);

	if (got)
		fail_msg("%s: accepted as %s", src, got);
	if (err.line != line || err.col != col || !strstr(err.msg, msg))
		fail_msg("%s: got %d:%d: %s; want %d:%d: ...%s...", src,
			 err.line, err.col, err.msg, line, col, msg);
}

static void test_containers(void **state)
{
	(void)state;
	assert_value("{'name': 'x', 'depends': ['base',],}",
		     "{\"depends\":[\"base\"],\"name\":\"x\"}");
	assert_value("()", "{\"$tuple\":[]}");
	assert_value("(1,)", "{\"$tuple\":[1]}");
	assert_value("(1)", "1");
	assert_value("1, 2", "{\"$tuple\":[1,2]}");
	assert_value("{}", "{}");
	assert_value("set()", "{\"$set\":[]}");
	assert_value("(set)( )", "{\"$set\":[]}");
	assert_value("{3, 1, 2}", "{\"$set\":[1,2,3]}");
	assert_value("[None, True, False, ...]",
		     "[null,true,false,{\"$ellipsis\":true}]");
	assert_value("{1: 'a'}", "{\"$dict\":[[1,\"a\"]]}");
}

static void test_python_equality(void **state)
{
	(void)state;
	/* the first key stays, the last value wins; 1 == 1.0 == True */
	assert_value("{1: 'a', 1.0: 'b', True: 'c'}",
		     "{\"$dict\":[[1,\"c\"]]}");
	assert_value("{True, 1, 1.0}", "{\"$set\":[true]}");
	assert_value("{'a': 1, 'a': 2}", "{\"a\":2}");
	assert_value("{(1, 2): 'x', (1.0, 2): 'y'}",
		     "{\"$dict\":[[{\"$tuple\":[1,2]},\"y\"]]}");
	assert_value("{0: 1, -0.0: 2, 0j: 3}", "{\"$dict\":[[0,3]]}");
	assert_value("{9007199254740993: 1, 9007199254740992.0: 2}",
		     "{\"$dict\":[[9007199254740993,1],"
		     "[9007199254740992.0,2]]}");
	assert_value("{18446744073709551616: 1, 18446744073709551616.0: 2}",
		     "{\"$dict\":[[{\"$int\":\"0x10000000000000000\"},2]]}");
}

static void test_strings(void **state)
{
	(void)state;
	assert_value("'a' \"b\" '''c''' \"\"\"d\"\"\"", "\"abcd\"");
	assert_value("u'x' r'\\n' R'\\''", "\"x\\\\n\\\\'\"");
	assert_value("'\\x41\\101\\u00e9\\U0001F600\\n\\t\\\\\\q'",
		     "\"AA\\u00e9\\ud83d\\ude00\\n\\t\\\\\\\\q\"");
	assert_value("'\\777'", "\"\\u01ff\"");
	assert_value("'\\ud800'", "\"\\ud800\"");
	assert_value("b'\\xff\\777' B'a' rb'\\x'",
		     "{\"$bytes\":\"ffff615c78\"}");
	assert_value("('a'\n 'b')", "\"ab\"");
	assert_value("'a\\\nb'", "\"ab\"");
	assert_value("'''l1\r\nl2\rl3'''", "\"l1\\nl2\\nl3\"");
	assert_value("'\xc3\xa9\x7f'", "\"\\u00e9\\u007f\"");
}

static void test_numbers(void **state)
{
	(void)state;
	assert_value("[0, 00, 0_0, 1_000, 0x_ff, 0o17, 0B101]",
		     "[0,0,0,1000,255,15,5]");
	assert_value("[9223372036854775807, 9223372036854775808]",
		     "[9223372036854775807,{\"$int\":\"0x8000000000000000\"}]");
	assert_value("[-9223372036854775808, -9223372036854775809]",
		     "[-9223372036854775808,"
		     "{\"$int\":\"-0x8000000000000001\"}]");
	assert_value("[1., .5, 1e16, 1e15, 1e-5, 1e-4, 1e999, -0.0, 5e-324]",
		     "[1.0,0.5,1e+16,1000000000000000.0,1e-05,0.0001,"
		     "Infinity,-0.0,5e-324]");
	assert_value("[0.1, 1.5e300, 123456789.123456789, 012e1]",
		     "[0.1,1.5e+300,123456789.12345679,120.0]");
	assert_value("[1j, -1j, 1+2j, -1.5-2J, (1)+(2j), 1-0j]",
		     "[{\"$complex\":[0.0,1.0]},{\"$complex\":[-0.0,-1.0]},"
		     "{\"$complex\":[1.0,2.0]},{\"$complex\":[-1.5,-2.0]},"
		     "{\"$complex\":[1.0,2.0]},{\"$complex\":[1.0,0.0]}]");
	assert_value("[-1, +1, - 1, -(1), (-1)]", "[-1,1,-1,-1,-1]");
}

static void test_refusals(void **state)
{
	(void)state;
	assert_refused("", 1, 1, "no value");
	assert_refused("# only a comment\n", 2, 1, "no value");
	assert_refused("{'a': x}", 1, 7, "name 'x' is not a literal");
	assert_refused("{'a': true}", 1, 7, "Python writes True");
	assert_refused("[1, 2", 1, 6, "bracket is not closed");
	assert_refused("{'a' 'b': }", 1, 11, "expected a value");
	assert_refused("{1: 2, 3}", 1, 9, "expected ':'");
	assert_refused("- -1", 1, 3, "a sign may only precede a number");
	assert_refused("-True", 1, 1, "a sign may only precede a number");
	assert_refused("1 + 2", 1, 3, "real and an imaginary");
	assert_refused("1 + 2j + 3j", 1, 8, "only one");
	assert_refused("set([1])", 1, 5, "set() takes no argument");
	assert_refused("dict(a=1)", 1, 1, "name 'dict'");
	assert_refused("[1][0]", 1, 4, "subscripts");
	assert_refused("{[1]: 2}", 1, 2, "unhashable type: 'list'");
	assert_refused("{(1, {2}), 3}", 1, 6, "unhashable type: 'set'");
	assert_refused("f'x'", 1, 1, "f-strings");
	assert_refused("'a' b'b'", 1, 5, "cannot mix bytes");
	assert_refused("b'\xc3\xa9'", 1, 1, "ASCII");
	assert_refused("'\\x4'", 1, 1, "truncated \\x");
	assert_refused("'\\N{EM DASH}'", 1, 1, "not supported");
	assert_refused("'a\nb'", 1, 1, "unterminated string");
	assert_refused("'''a", 1, 1, "unterminated triple-quoted");
	assert_refused("012", 1, 1, "leading zeros");
	assert_refused("1__0", 1, 3, "invalid decimal literal");
	assert_refused("0b102", 1, 5, "invalid digit '2' in binary");
	assert_refused("0x", 1, 3, "invalid hexadecimal");
	assert_refused("1 # ok\n2", 2, 1, "expected the end of the value");
	assert_refused("# c\n  {}", 2, 3, "unexpected indent");
	assert_refused("{}\n  ", 2, 3, "unexpected indent");
	assert_refused("1 \\\n", 2, 1, "end of file");
	assert_refused("1 \\ 2", 1, 3, "continuation");
	assert_refused("1; 2", 1, 2, "';' is not allowed");
	assert_refused("[1\x0b]", 1, 3, "non-printable");
}

static void test_encoding(void **state)
{
	struct pyliteral_error err;

	(void)state;
	assert_null(parse("{'a': 1}\0", 9, &err));
	assert_string_equal(err.msg, "source cannot contain null bytes");
	assert_int_equal(err.col, 9);
	assert_null(parse("\n'\xff'", 5, &err));
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "invalid UTF-8 byte 0xff"));
	assert_null(parse("'\xed\xa0\x80'", 5, &err));	/* a surrogate */
	assert_null(parse("\xef\xbb\xbf{}", 5, &err));	/* a BOM */
	assert_non_null(strstr(err.msg, "invalid character"));
	assert_value("# -*- coding: latin-1 -*-\r\n{'a':\r\n 1}\r\n",
		     "{\"a\":1}");
	assert_value("  \t{'leading blanks': 1}", "{\"leading blanks\":1}");
	assert_value("\\\n1", "1");
	assert_value("{}\n\f\n  # trailing comment\n", "{}");
}

static void test_limits(void **state)
{
	char *deep = xmalloc(1024), *digits = xmalloc(5000);
	struct pyliteral_error err;
	char *got;

	(void)state;
	memset(deep, '[', 200);
	memset(deep + 200, ']', 200);
	deep[400] = '\0';
	got = parse(deep, 400, &err);
	assert_non_null(got);
	free(got);
	memset(deep, '[', 201);
	memset(deep + 201, ']', 201);
	assert_null(parse(deep, 402, &err));
	assert_non_null(strstr(err.msg, "too many nested parentheses"));
	memset(digits, '7', 4301);
	assert_null(parse(digits, 4300 + 1, &err));
	assert_non_null(strstr(err.msg, "4300 digits"));
	got = parse(digits, 4300, &err);
	assert_non_null(got);
	free(got);
	digits[0] = '1';
	memset(digits + 1, '0', 400);
	strcpy(digits + 401, " + 1j");	/* 10**400 + 1j */
	assert_null(parse(digits, strlen(digits), &err));
	assert_non_null(strstr(err.msg, "int too large to convert to float"));
	free(deep);
	free(digits);
}

static void test_locations_and_lookup(void **state)
{
	const char *src = "# header\n{\n    'name': 'x',\n"
			  "    'depends': ['base',\n"
			  "                'mail'],\n}\n";
	struct pyliteral_error err;
	struct pyliteral *doc = pyliteral_parse(src, strlen(src), &err);
	const struct pyval *root, *deps;

	(void)state;
	assert_non_null(doc);
	root = pyliteral_root(doc);
	assert_int_equal(root->kind, PYVAL_DICT);
	assert_int_equal(root->line, 2);
	assert_int_equal(root->col, 1);
	assert_true(pyval_is_str(pyval_dict_get(root, "name"), "x"));
	assert_null(pyval_dict_get(root, "version"));
	deps = pyval_dict_get(root, "depends");
	assert_int_equal(deps->kind, PYVAL_LIST);
	assert_int_equal(deps->line, 4);
	assert_int_equal(deps->col, 16);
	assert_int_equal(deps->u.seq.v[1]->line, 5);
	assert_int_equal(deps->u.seq.v[1]->col, 17);
	assert_string_equal(pyval_kind_name(deps->kind), "list");
	pyliteral_free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_python_equality),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_encoding),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_locations_and_lookup),
	};

	return cmocka_run_group_tests_name("pyliteral", tests, NULL, NULL);
}
