/* lib/secrets.c: KEY=VALUE parsing, env file rendering, required keys;
 * lib/log.c: the redaction the secrets feed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "monitor/alert.h"
#include "core/config.h"
#include "core/log.h"
#include "core/proc.h"
#include "secrets/secrets.h"
#include "core/util.h"

static int parse(const char *text, struct secrets *s, char **cause)
{
	return secrets_parse(text, strlen(text), "t", s, cause);
}

static void test_parse(void **state)
{
	struct secrets s = { 0 };
	char *cause = NULL;

	(void)state;
	assert_int_equal(parse("# comment\n\nA=1\nexport B = two words \n"
			       "C='x=y # z'\nD=\"q\"\nE=\nA=again\n", &s,
			       &cause), 0);
	assert_int_equal(s.n, 5);
	assert_string_equal(secrets_get(&s, "A"), "again");
	assert_string_equal(secrets_get(&s, "B"), "two words");
	assert_string_equal(secrets_get(&s, "C"), "x=y # z");
	assert_string_equal(secrets_get(&s, "D"), "q");
	assert_string_equal(secrets_get(&s, "E"), "");
	assert_null(secrets_get(&s, "F"));
	secrets_release(&s);
}

static void test_parse_errors_hide_values(void **state)
{
	struct secrets s = { 0 };
	char *cause = NULL;

	(void)state;
	assert_int_equal(parse("A=1\nhunter2-no-equals\n", &s, &cause), -1);
	assert_non_null(strstr(cause, "t line 2"));
	assert_null(strstr(cause, "hunter2"));
	free(cause);
	cause = NULL;
	assert_int_equal(parse("1BAD=x\n", &s, &cause), -1);
	assert_non_null(strstr(cause, "'1BAD'"));
	free(cause);
	cause = NULL;
	assert_int_equal(secrets_parse("A=1\0B=2", 7, "t", &s, &cause), -1);
	assert_non_null(strstr(cause, "NUL"));
	free(cause);
	secrets_release(&s);
}

static void test_key_valid(void **state)
{
	(void)state;
	assert_true(secrets_key_valid("POSTGRES_PASSWORD"));
	assert_true(secrets_key_valid("_x1"));
	assert_false(secrets_key_valid(""));
	assert_false(secrets_key_valid("9A"));
	assert_false(secrets_key_valid("A-B"));
	assert_false(secrets_key_valid("A B"));
}

static void test_render_merges_and_quotes(void **state)
{
	struct secrets s = { 0 };
	char *cause = NULL, *out;

	(void)state;
	secrets_set(&s, "POSTGRES_PASSWORD", "p@ss word");
	secrets_set(&s, "TOKEN", "abc/def+1");
	secrets_set(&s, "Q", "it's");
	out = secrets_render("# keep me\nPROXY_PORT=80\n"
			     "POSTGRES_PASSWORD=old\nexport TOKEN=x\n", &s,
			     &cause);
	assert_non_null(out);
	assert_string_equal(out, "# keep me\nPROXY_PORT=80\n"
				 "POSTGRES_PASSWORD='p@ss word'\n"
				 "TOKEN=abc/def+1\nQ=\"it's\"\n");
	free(out);
	secrets_set(&s, "BAD", "a\nb");
	assert_null(secrets_render(NULL, &s, &cause));
	assert_non_null(strstr(cause, "'BAD'"));
	free(cause);
	cause = NULL;
	secrets_set(&s, "BAD", "it's \"both\"");
	assert_null(secrets_render(NULL, &s, &cause));
	free(cause);
	secrets_release(&s);
}

/* What render writes, parse reads back unchanged. */
static void test_render_round_trip(void **state)
{
	static const char *const values[] = { "plain", "with space", "a'b",
		"#hash", "x=y", " lead", "é", "" };
	struct secrets s = { 0 }, back = { 0 };
	char *cause = NULL, *out, key[8];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
		snprintf(key, sizeof(key), "K%zu", i);
		secrets_set(&s, key, values[i]);
	}
	out = secrets_render(NULL, &s, &cause);
	assert_non_null(out);
	assert_int_equal(parse(out, &back, &cause), 0);
	for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
		snprintf(key, sizeof(key), "K%zu", i);
		assert_string_equal(secrets_get(&back, key), values[i]);
	}
	free(out);
	secrets_release(&s);
	secrets_release(&back);
}

static void test_missing(void **state)
{
	struct config_env env = { .secrets_required = "A, B,C" };
	struct secrets s = { 0 };
	char **missing;
	size_t n;

	(void)state;
	secrets_set(&s, "A", "1");
	secrets_set(&s, "C", "");
	n = secrets_missing(&env, &s, &missing);
	assert_int_equal(n, 2);
	assert_string_equal(missing[0], "B");
	assert_string_equal(missing[1], "C");
	for (size_t i = 0; i < n; i++)
		free(missing[i]);
	free(missing);
	secrets_release(&s);
}

static void test_read_private(void **state)
{
	char path[] = "/tmp/odooctl-test-secrets-XXXXXX", *cause = NULL, *t;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "A=1\n", 4), 4);
	close(fd);
	assert_int_equal(chmod(path, 0644), 0);
	assert_null(secrets_read_private(path, &cause));
	assert_non_null(strstr(cause, "mode 0644"));
	assert_non_null(strstr(cause, "refused"));
	free(cause);
	assert_int_equal(chmod(path, 0400), 0);
	t = secrets_read_private(path, &cause);
	assert_string_equal(t, "A=1\n");
	secret_free(t);
	unlink(path);
}

static void test_redact(void **state)
{
	char *r;

	(void)state;
	log_redact_clear();
	assert_null(log_redact("nothing to hide"));
	log_redact_add("abc");	/* too short: ordinary text */
	log_redact_add("hunter2");
	log_redact_add("hunter2-long");
	assert_null(log_redact("abc"));
	r = log_redact("pw=hunter2-long and hunter2.");
	assert_string_equal(r, "pw=[redacted] and [redacted].");
	free(r);
	log_redact_clear();
	assert_null(log_redact("hunter2"));
}

/* A history or journal line never carries a registered value. */
static void test_append_redacted(void **state)
{
	char path[] = "/tmp/odooctl-test-secrets-XXXXXX", *cause = NULL, *t;
	int fd = mkstemp(path);

	(void)state;
	close(fd);
	log_redact_add("s3cr3t-value");
	assert_int_equal(log_append_redacted(path, "a | s3cr3t-value | b\n",
					     &cause), 0);
	t = file_read(path, 4096, NULL, &cause);
	assert_string_equal(t, "a | [redacted] | b\n");
	free(t);
	unlink(path);
	log_redact_clear();
}

/* Every alert the monitor queues is a copy: its body is redacted. */
static void test_alert_redacted(void **state)
{
	struct alert a = { .event = "down", .env = "production",
			   .check = "db.server",
			   .value = "s3cr3t-value",
			   .detail = "connection to postgres://odoo:s3cr3t-value@db "
				     "refused" }, q;
	char *body;

	(void)state;
	log_redact_add("s3cr3t-value");
	alert_copy(&q, &a);
	body = alert_json(&q);
	assert_null(strstr(body, "s3cr3t-value"));
	assert_non_null(strstr(body, "odoo:[redacted]@db"));
	free(body);
	body = alert_slack(&q);
	assert_null(strstr(body, "s3cr3t-value"));
	free(body);
	alert_release(&q);
	log_redact_clear();
}

/*
 * stdout through the redaction, in a child (cmocka prints on stdout): a
 * value split over two writes is still caught, a partial line that may
 * begin one is held and then printed at exit, a chunk with a NUL passes.
 */
static void test_stdout_redacted(void **state)
{
	char path[] = "/tmp/odooctl-test-secrets-XXXXXX", *cause = NULL, *t;
	int fd = mkstemp(path), status;
	size_t len;
	pid_t pid;

	(void)state;
	assert_true(fd >= 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(fd, STDOUT_FILENO);
		log_redact_add("hunter2-xyz");
		log_redact_stdout();
		printf("a hunter2-");
		fflush(stdout);
		printf("xyz b\n");
		fflush(stdout);
		fwrite("\0bin", 1, 4, stdout);
		fflush(stdout);
		printf("\nend hunter2-x");
		exit(0);
	}
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	t = file_read(path, 4096, &len, &cause);
	assert_int_equal(len, 33);
	assert_memory_equal(t, "a [redacted] b\n\0bin\nend hunter2-x", 33);
	free(t);
	unlink(path);
}

static int sink_buf(const void *p, size_t n, void *arg, char **cause)
{
	(void)cause;
	return buf_append(arg, p, n);
}

/*
 * The SSM provider takes AWS credentials out of odooctl's environment as
 * it reads them: a child started afterwards (here cat, reading its own
 * /proc/PID/environ) inherits none. The endpoint refuses connections: the
 * credentials are read, and forgotten, before any request.
 */
static void test_ssm_env_creds_not_inherited(void **state)
{
	struct config_env env = { .name = (char *)"t",
		.ssm_path = (char *)"/odoo19/t/",
		.ssm_region = (char *)"eu-west-3",
		.ssm_endpoint = (char *)"http://127.0.0.1:1/",
		.secrets_timeout = 5 };
	const char *const argv[] = { "/bin/sh", "-c",
				     "cat /proc/$$/environ", NULL };
	struct secrets s = { 0 };
	struct buf out;
	struct proc_io io = { .out = sink_buf, .out_arg = &out };
	char *cause = NULL;
	int code = -1;

	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "AKIATESTKEYID0000000", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "test-secret-wJalrXUtnFEMI", 1);
	setenv("AWS_SESSION_TOKEN", "test-session-token-FQoGZX", 1);
	setenv("ODOOCTL_TEST_KEPT", "kept", 1);
	assert_int_equal(secrets_fetch_ssm(&env, &s, &cause), -1);
	assert_non_null(strstr(cause, "127.0.0.1"));
	free(cause);
	secrets_release(&s);
	assert_null(getenv("AWS_ACCESS_KEY_ID"));
	assert_null(getenv("AWS_SECRET_ACCESS_KEY"));
	assert_null(getenv("AWS_SESSION_TOKEN"));
	buf_init(&out, 1 << 20);
	assert_int_equal(proc_stream(argv, environ, &io, &code, &cause), 0);
	assert_int_equal(code, 0);
	for (size_t i = 0; i < out.len; i++)	/* NUL-separated */
		if (!out.data[i])
			out.data[i] = '\n';
	buf_append(&out, "", 1);
	assert_non_null(strstr(out.data, "ODOOCTL_TEST_KEPT=kept"));
	assert_null(strstr(out.data, "AWS_ACCESS_KEY_ID="));
	assert_null(strstr(out.data, "AWS_SECRET_ACCESS_KEY="));
	assert_null(strstr(out.data, "AWS_SESSION_TOKEN="));
	assert_null(strstr(out.data, "AKIATESTKEYID"));
	assert_null(strstr(out.data, "wJalrXUtnFEMI"));
	assert_null(strstr(out.data, "FQoGZX"));
	buf_release(&out);
	unsetenv("ODOOCTL_TEST_KEPT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors_hide_values),
		cmocka_unit_test(test_key_valid),
		cmocka_unit_test(test_render_merges_and_quotes),
		cmocka_unit_test(test_render_round_trip),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_read_private),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_append_redacted),
		cmocka_unit_test(test_alert_redacted),
		cmocka_unit_test(test_stdout_redacted),
		cmocka_unit_test(test_ssm_env_creds_not_inherited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
