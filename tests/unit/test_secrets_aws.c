/*
 * lib/secrets_aws.c: what AWS answers the SSM provider, on answers shaped
 * as AWS documents them (tests/fuzz/seeds-aws/, the fuzz target's seeds)
 * and on broken ones: every message on one line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/log.h"
#include "secrets/secrets_priv.h"
#include "core/util.h"

#define SEEDS "tests/fuzz/seeds-aws/"

static void load(struct buf *b, const char *path)
{
	size_t len;
	char *why = NULL, *text = file_read(path, 1 << 20, &len, &why);

	if (!text)
		fail_msg("%s", why);
	buf_init(b, 1 << 20);
	buf_append(b, text, len);
	free(text);
}

static void text(struct buf *b, const char *s)
{
	buf_init(b, 1 << 20);
	buf_append(b, s, strlen(s));
}

static void test_ssm_pages(void **state)
{
	struct secrets s = { 0 };
	struct buf b;
	char *next = NULL, *why = NULL;

	(void)state;
	load(&b, SEEDS "ssm-page");
	assert_int_equal(secrets_aws_ssm_page(&b, &s, &next, &why), 0);
	assert_string_equal(secrets_get(&s, "ADMIN_PASSWD"),
			    "correct horse battery staple");
	assert_string_equal(secrets_get(&s, "PGPASSWORD"), "p'\"g$pass");
	assert_string_equal(next, "AAEAAXoWK0lAa3Nwg1Xn7dYfQ8cYtmG2aSUu2qvpqD"
			    "mWlQ==");
	free(next);
	buf_release(&b);
	load(&b, SEEDS "ssm-last-page");
	assert_int_equal(secrets_aws_ssm_page(&b, &s, &next, &why), 0);
	assert_null(next);
	assert_int_equal(s.n, 3);
	buf_release(&b);
	secrets_release(&s);
	log_redact_clear();
}

static void test_ssm_page_refused(void **state)
{
	struct secrets s = { 0 };
	struct buf b;
	char *next = NULL, *why = NULL;

	(void)state;
	load(&b, SEEDS "ssm-bad-name");
	assert_int_equal(secrets_aws_ssm_page(&b, &s, &next, &why), -1);
	assert_string_equal(why, "ssm: parameter '/odoo/production/not a key' "
			    "has no value or is not named like an env key");
	free(why);
	buf_release(&b);
	text(&b, "{\"Parameters\":[{\"Name\":\"/a/b\\nc\",\"Value\":\"v\"}]}");
	assert_int_equal(secrets_aws_ssm_page(&b, &s, &next, &why), -1);
	assert_string_equal(why, "ssm: parameter '/a/b c' has no value or is "
			    "not named like an env key");
	free(why);
	buf_release(&b);
	text(&b, "<html>\n<body>Bad Gateway</body>");
	assert_int_equal(secrets_aws_ssm_page(&b, &s, &next, &why), -1);
	assert_true(str_starts_with(why, "ssm: GetParametersByPath answered no "
				    "Parameters list: "));
	assert_null(strchr(why, '\n'));
	free(why);
	buf_release(&b);
	assert_int_equal(s.n, 0);
}

/*
 * A finding of fuzz_aws: an error answer's message went into the error
 * as it came, newlines and all; every message is one line.
 */
static void test_ssm_errors(void **state)
{
	struct buf b;
	char *e;

	(void)state;
	load(&b, SEEDS "ssm-throttled");
	e = secrets_aws_ssm_error(400, &b);
	assert_string_equal(e, "ssm: GetParametersByPath answered HTTP 400 "
			    "ThrottlingException: Rate exceeded");
	free(e);
	buf_release(&b);
	load(&b, SEEDS "ssm-access-denied");
	e = secrets_aws_ssm_error(400, &b);
	assert_true(str_starts_with(e, "ssm: GetParametersByPath answered HTTP "
				    "400 AccessDeniedException: User: arn:"));
	free(e);
	buf_release(&b);
	text(&b, "{\"__type\":\"Denied\",\"message\":\"no\\r\\nway\\n\"}");
	e = secrets_aws_ssm_error(403, &b);
	assert_string_equal(e, "ssm: GetParametersByPath answered HTTP 403 "
			    "Denied: no  way");
	free(e);
	buf_release(&b);
	text(&b, "");
	e = secrets_aws_ssm_error(500, &b);
	assert_string_equal(e, "ssm: GetParametersByPath answered HTTP 500");
	free(e);
	buf_release(&b);
}

static void test_imds_creds(void **state)
{
	struct aws_creds c = { 0 };
	struct buf b;
	char *why = NULL;

	(void)state;
	load(&b, SEEDS "imds-role-creds");
	assert_int_equal(secrets_aws_creds_imds(b.data, &c, &why), 0);
	assert_string_equal(c.id, "ASIAIOSFODNN7EXAMPLE");
	assert_string_equal(c.secret,
			    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
	assert_true(str_starts_with(c.token, "IQoJb3JpZ2luX2VjE"));
	secrets_aws_creds_release(&c);
	buf_release(&b);
	assert_int_equal(secrets_aws_creds_imds("{\"AccessKeyId\":\"A\"}", &c,
						&why), -1);
	assert_non_null(strstr(why, "not JSON with AccessKeyId and "
			       "SecretAccessKey"));
	assert_null(c.id);
	free(why);
}

static void test_credentials_file(void **state)
{
	struct aws_creds c = { 0 };
	struct buf b;

	(void)state;
	load(&b, SEEDS "credentials");
	assert_int_equal(secrets_aws_creds_ini(b.data, "default", &c), 1);
	assert_string_equal(c.id, "AKIAIOSFODNN7EXAMPLE");
	assert_null(c.token);
	assert_string_equal(c.from, "the shared credentials file");
	secrets_aws_creds_release(&c);
	assert_int_equal(secrets_aws_creds_ini(b.data, "prod", &c), 1);
	assert_string_equal(c.id, "ASIAIOSFODNN7EXAMPLE");
	assert_true(str_starts_with(c.token, "IQoJb3JpZ2luX2VjE"));
	secrets_aws_creds_release(&c);
	assert_int_equal(secrets_aws_creds_ini(b.data, "staging", &c), 0);
	assert_null(c.id);
	assert_int_equal(secrets_aws_creds_ini("[default\naws_access_key_id="
					       "A\n", "default", &c), -1);
	assert_null(c.id);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ssm_pages),
		cmocka_unit_test(test_ssm_page_refused),
		cmocka_unit_test(test_ssm_errors),
		cmocka_unit_test(test_imds_creds),
		cmocka_unit_test(test_credentials_file),
	};

	return cmocka_run_group_tests_name("secrets_aws", tests, NULL, NULL);
}
