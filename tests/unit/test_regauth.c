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

#include "secrets/regauth.h"
#include "core/util.h"

static char dir[] = "/tmp/odooctl-test-regauth-XXXXXX";

/*
 * A fake credential helper on PATH, as `docker login` with a helper
 * would leave one: it records its stdin and answers as $dir/mode says.
 */
static const char helper[] =
	"#!/bin/sh\n"
	"[ \"$1\" = get ] || exit 9\n"
	"d=$(dirname \"$0\")\n"
	"cat >\"$d/stdin\"\n"
	"case $(cat \"$d/mode\") in\n"
	"ok) printf '{\"ServerURL\":\"x\",\"Username\":\"bot\","
	"\"Secret\":\"h3lp:er\"}' ;;\n"
	"token) printf '{\"Username\":\"<token>\",\"Secret\":\"idt\"}' ;;\n"
	"notfound) echo 'credentials not found in native keychain'; exit 1 ;;\n"
	"fail) echo boom >&2; exit 2 ;;\n"
	"*) echo notjson ;;\n"
	"esac\n";

static const char *const files[] = { "config.json", "stdin", "mode",
				     "docker-credential-fake" };

static int setup(void **state)
{
	char *p, *path, *why = NULL;

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	setenv("DOCKER_CONFIG", dir, 1);
	p = xasprintf("%s/docker-credential-fake", dir);
	if (file_write_atomic(p, helper, strlen(helper), 0700, &why) < 0)
		return -1;
	free(p);
	path = xasprintf("%s:%s", dir, getenv("PATH"));
	setenv("PATH", path, 1);
	free(path);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char *p = xasprintf("%s/%s", dir, files[i]);

		unlink(p);
		free(p);
	}
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
		  "credential helper 'pass' (docker-credential-pass) is not" },
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

static void set_mode(const char *mode)
{
	char *p = xasprintf("%s/mode", dir), *why = NULL;

	assert_int_equal(file_write_atomic(p, mode, strlen(mode), 0600, &why),
			 0);
	free(p);
}

static char *helper_stdin(void)
{
	char *p = xasprintf("%s/stdin", dir), *why = NULL;
	char *t = file_read(p, 4096, NULL, &why);

	free(p);
	assert_non_null(t);
	return t;
}

static void test_helper(void **state)
{
	char *why = NULL, *h, *in;
	json_t *j;

	(void)state;
	write_config("{\"auths\": {\"ghcr.io\": {}}, "
		     "\"credHelpers\": {\"ghcr.io\": \"fake\"}, "
		     "\"credsStore\": \"absent\"}");
	set_mode("ok");
	h = regauth_header("ghcr.io/acme/x@sha256:00", &why);
	assert_non_null(h);
	in = helper_stdin();
	assert_string_equal(in, "ghcr.io");
	free(in);
	j = decode(h);
	assert_string_equal(json_string_value(json_object_get(j, "username")),
			    "bot");
	assert_string_equal(json_string_value(json_object_get(j, "password")),
			    "h3lp:er");
	assert_string_equal(json_string_value(json_object_get(
				    j, "serveraddress")), "ghcr.io");
	json_decref(j);
	secret_free(h);

	/* credHelpers names ghcr.io only: quay.io goes to credsStore */
	h = regauth_header("quay.io/acme/x", &why);
	assert_null(h);
	assert_non_null(strstr(why, "'absent' (docker-credential-absent) "
				    "is not in PATH"));
	free(why);
}

static void test_helper_token_and_hub(void **state)
{
	char *why = NULL, *h, *in;
	json_t *j;

	(void)state;
	write_config("{\"credsStore\": \"fake\"}");
	set_mode("token");
	h = regauth_header("acme/odoo", &why);
	assert_non_null(h);
	in = helper_stdin();
	assert_string_equal(in, "https://index.docker.io/v1/");
	free(in);
	j = decode(h);
	assert_string_equal(json_string_value(json_object_get(
				    j, "identitytoken")), "idt");
	assert_null(json_object_get(j, "username"));
	json_decref(j);
	secret_free(h);
}

static void test_helper_fallback_and_errors(void **state)
{
	static const char *const modes[][2] = {
		{ "fail", "exited with status 2" },
		{ "garbage", "not JSON with Username and Secret" },
	};
	char *why = NULL, *h;
	json_t *j;

	(void)state;
	write_config("{\"credsStore\": \"fake\", \"auths\": "
		     "{\"ghcr.io\": {\"auth\": \"eDp5\"}}}");
	set_mode("notfound");
	h = regauth_header("ghcr.io/acme/x", &why);
	assert_null(why);
	j = decode(h);
	assert_string_equal(json_string_value(json_object_get(j, "username")),
			    "x");
	json_decref(j);
	secret_free(h);
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		set_mode(modes[i][0]);
		h = regauth_header("ghcr.io/acme/x", &why);
		assert_null(h);
		if (!why || !strstr(why, modes[i][1]))
			fail_msg("mode %s: '%s'", modes[i][0], why);
		free(why);
		why = NULL;
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
		cmocka_unit_test(test_helper),
		cmocka_unit_test(test_helper_token_and_hub),
		cmocka_unit_test(test_helper_fallback_and_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
