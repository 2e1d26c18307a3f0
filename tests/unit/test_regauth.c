/* lib/regauth.c: registry credentials from the docker client's config. */
#include <jansson.h>
#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "regauth.h"
#include "util.h"

static char dir[] = "/tmp/odooctl-test-regauth-XXXXXX";

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	setenv("DOCKER_CONFIG", dir, 1);
	return 0;
}

static int teardown(void **state)
{
	char *p = xasprintf("%s/config.json", dir);

	(void)state;
	unlink(p);
	free(p);
	return rmdir(dir);
}

static void write_config(const char *text)
{
	char *p = xasprintf("%s/config.json", dir), *why = NULL;

	assert_int_equal(file_write_atomic(p, text, strlen(text), 0600, &why),
			 0);
	free(p);
}

/* The header decoded back into its JSON object. */
static json_t *decode(const char *h)
{
	size_t n = strlen(h);
	char *std = xstrdup(h);
	unsigned char *out = xcalloc(1, n);
	json_t *j;
	int len;

	for (char *p = std; *p; p++)
		*p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
	len = EVP_DecodeBlock(out, (unsigned char *)std, (int)n);
	assert_true(len > 0);
	j = json_loads((char *)out, JSON_DISABLE_EOF_CHECK, NULL);
	assert_non_null(j);
	free(out);
	free(std);
	return j;
}

static void test_host(void **state)
{
	static const char *const cases[][2] = {
		{ "ghcr.io/acme/seisei-odoo19", "ghcr.io" },
		{ "127.0.0.1:5000/x/y@sha256:00", "127.0.0.1:5000" },
		{ "localhost/x", "localhost" },
		{ "odoo:19.0", "docker.io" },
		{ "acme/odoo", "docker.io" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *h = regauth_host(cases[i][0]);

		assert_string_equal(h, cases[i][1]);
		free(h);
	}
}

static void test_no_config(void **state)
{
	char *why = NULL, *h;

	(void)state;
	h = regauth_header("ghcr.io/acme/x", &why);
	assert_string_equal(h, REGAUTH_NONE);
	assert_null(why);
	free(h);
}

static void test_login(void **state)
{
	char *why = NULL, *h;
	json_t *j;

	(void)state;
	/* base64("octocat:s3cr:et?>") and an entry for another registry */
	write_config("{\"auths\": {\"https://ghcr.io\": {\"auth\": "
		     "\"b2N0b2NhdDpzM2NyOmV0Pz4=\"}, \"quay.io\": "
		     "{\"auth\": \"eDp5\"}}}");
	h = regauth_header("ghcr.io/acme/seisei-odoo19", &why);
	assert_non_null(h);
	assert_null(strpbrk(h, "+/"));
	j = decode(h);
	assert_string_equal(json_string_value(json_object_get(j, "username")),
			    "octocat");
	assert_string_equal(json_string_value(json_object_get(j, "password")),
			    "s3cr:et?>");
	assert_string_equal(json_string_value(json_object_get(
				    j, "serveraddress")), "ghcr.io");
	json_decref(j);
	secret_free(h);

	h = regauth_header("127.0.0.1:5000/acme/x", &why);
	assert_string_equal(h, REGAUTH_NONE);
	free(h);
}

static void test_docker_hub(void **state)
{
	char *why = NULL, *h;
	json_t *j;

	(void)state;
	write_config("{\"auths\": {\"https://index.docker.io/v1/\": "
		     "{\"auth\": \"eDp5\"}}}");
	h = regauth_header("acme/odoo", &why);
	j = decode(h);
	assert_string_equal(json_string_value(json_object_get(j, "username")),
			    "x");
	json_decref(j);
	secret_free(h);
}

static void test_broken(void **state)
{
	static const char *const configs[][2] = {
		{ "{\"auths\": {\"ghcr.io\": {\"auth\": \"!!!!\"}}}",
		  "not base64 of user:password" },
		{ "{\"auths\": {\"ghcr.io\": {\"auth\": \"bm9jb2xvbg==\"}}}",
		  "not base64 of user:password" },
		{ "{\"auths\": {\"ghcr.io\": {}}, \"credsStore\": \"pass\"}",
		  "credential helper 'pass'" },
		{ "[1]", "not a docker config file" },
		{ "{\"auths\": ", "not a docker config file" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(configs); i++) {
		char *why = NULL, *h;

		write_config(configs[i][0]);
		h = regauth_header("ghcr.io/acme/x", &why);
		assert_null(h);
		assert_non_null(why);
		if (!strstr(why, configs[i][1]))
			fail_msg("config %zu: '%s'", i, why);
		assert_non_null(strstr(why, "config.json"));
		free(why);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_no_config),
		cmocka_unit_test(test_login),
		cmocka_unit_test(test_docker_hub),
		cmocka_unit_test(test_broken),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
