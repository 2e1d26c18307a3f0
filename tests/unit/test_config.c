#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/util.h"

static char *write_conf(const char *text)
{
	char *path = xstrdup("/tmp/odooctl-test-conf-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* Loads text; returns the error or NULL, and leaves cfg loaded on success. */
static char *load(const char *text, struct config *cfg)
{
	char *path = write_conf(text), *why = NULL;
	int rc = config_load(cfg, path, &why);

	unlink(path);
	free(path);
	if (rc == 0)
		assert_null(why);
	else
		assert_non_null(why);
	return why;
}

static const char *base =
	"; central service\n"
	"[defaults]\n"
	"image_repository = 127.0.0.1:5000/seisei-odoo19\n"
	"db_name = central\n"
	"health_retries = 5\n"
	"\n"
	"[production]\n"
	"state_dir = /srv/p\n"
	"\n"
	"[staging]\n"
	"health_retries = 7\n"
	"smoke = GET /web/login 200\n";

static void test_inherits_defaults(void **state)
{
	struct config cfg;
	const struct config_env *p, *s;
	char *why = NULL;

	(void)state;
	assert_null(load(base, &cfg));
	assert_int_equal(cfg.nenvs, 2);
	p = config_env(&cfg, "production", &why);
	s = config_env(&cfg, "staging", &why);
	assert_non_null(p);
	assert_non_null(s);
	assert_string_equal(p->db_name, "central");
	assert_int_equal(p->health_retries, 5);
	assert_int_equal(s->health_retries, 7);
	assert_int_equal(p->health_interval, 2);
	assert_int_equal(p->health_timeout, 10);
	assert_string_equal(p->state_dir, "/srv/p");
	assert_string_equal(s->state_dir, "/srv/deployments/odoo19-staging");
	assert_string_equal(p->compose_project, "odoo19-production");
	/* the default smoke list: login and the webhook */
	assert_int_equal(p->nsmoke, 2);
	assert_string_equal(p->smoke[1].path, "/ocr_billing/webhook");
	assert_string_equal(p->smoke[1].method, "POST");
	assert_string_equal(p->smoke[1].body, "{}");
	/* an empty event: 400, or 401 where a token is set; no record */
	assert_int_equal(p->smoke[1].nstatus, 2);
	assert_int_equal(p->smoke[1].status[0], 400);
	assert_int_equal(p->smoke[1].status[1], 401);
	/* an explicit list replaces it */
	assert_int_equal(s->nsmoke, 1);
	assert_int_equal(s->smoke[0].nstatus, 1);
	assert_int_equal(s->smoke[0].status[0], 200);
	config_release(&cfg);
}

static void assert_error(const char *text, const char *expect)
{
	struct config cfg;
	char *why = load(text, &cfg);

	assert_non_null(why);
	if (!strstr(why, expect))
		fail_msg("error '%s' does not contain '%s'", why, expect);
	free(why);
}

static void test_unknown_key_names_line(void **state)
{
	(void)state;
	assert_error("[production]\nimage_repository = r\ndb_name = d\n"
		     "helth_timeout = 3\n",
		     ":4: unknown key 'helth_timeout' in [production]");
}

static void test_bad_values(void **state)
{
	(void)state;
	assert_error("[p]\nimage_repository = r\ndb_name = d\n"
		     "health_timeout = ten\n", ":4: health_timeout: 'ten' is "
		     "not a number");
	assert_error("[p]\nimage_repository = r\ndb_name = d\n"
		     "db_port = 70000\n", ":4: db_port: 70000 is out of range");
	assert_error("[p]\nimage_repository = r\ndb_name = d\n"
		     "smoke = FETCH /x 200\n", "unknown method 'FETCH'");
	assert_error("[p]\nimage_repository = r\ndb_name = d\n"
		     "smoke = GET /x\n", "is not 'METHOD /path STATUS");
	assert_error("[p]\nimage_repository = r\ndb_name = d\n"
		     "smoke = GET /x 200|99\n", "99 is out of range");
	assert_error("[p]\nimage_repository = r\ndb_name = d\n"
		     "smoke = GET /x |\n", "no status");
	assert_error("[p]\nimage_repository = r\ndb_name = d\n"
		     "smoke = GET /x 200|201|202|203|204\n",
		     "more than 4 statuses");
	assert_error("[p]\nimage_repository = r\ndb_name = d\n"
		     "proxy_url = 127.0.0.1\n", "not an http(s) URL");
	assert_error("[p]\nimage_repository = r\ndb_name = d\n"
		     "db_name = e\n", ":4: duplicate key 'db_name'");
}

static void test_syntax_and_structure(void **state)
{
	(void)state;
	assert_error("[p]\nimage_repository = r\nthis is not ini\n",
		     ":3: syntax error");
	assert_error("[p]\ndb_name = d\n", "[p] has no image_repository");
	assert_error("[defaults]\ndb_name = d\n", "no environment section");
	assert_error("[a]\nimage_repository = r\ndb_name = d\nstate_dir = /x\n"
		     "[b]\nimage_repository = r\ndb_name = d\nstate_dir = /x\n",
		     "share state_dir '/x'");
	assert_error("[p]\nimage_repository = r\ndb_name = d\n"
		     "webhook_path = /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		     ":4: line longer than");
}

/* backup_dir follows state_dir; retention has defaults and bounds. */
static void test_backup_keys(void **state)
{
	static const char text[] =
		"[defaults]\nimage_repository = r\ndb_name = central\n"
		"[production]\nstate_dir = /srv/p\n"
		"[staging]\nbackup_dir = /b\nbackup_keep = 3\n"
		"backup_max_age_days = 0\n";
	struct config cfg;
	const struct config_env *p, *s;
	char *why = NULL;

	(void)state;
	assert_null(load(text, &cfg));
	p = config_env(&cfg, "production", &why);
	s = config_env(&cfg, "staging", &why);
	assert_string_equal(p->backup_dir, "/srv/p/backups");
	assert_int_equal(p->backup_keep, 7);
	assert_int_equal(p->backup_max_age_days, 14);
	assert_string_equal(s->backup_dir, "/b");
	assert_int_equal(s->backup_keep, 3);
	assert_int_equal(s->backup_max_age_days, 0);
	config_release(&cfg);
	why = load("[production]\nimage_repository = r\ndb_name = c\n"
		   "backup_keep = 0\n", &cfg);
	assert_non_null(strstr(why, "backup_keep: 0 is out of range [1, "));
	free(why);
}

/* The monitor's keys: defaults, choices, the listen address, and a
 * webhook URL that is never printed, not even when it is wrong. */
static void test_monitor_keys(void **state)
{
	static const char text[] =
		"[p]\nimage_repository = r\ndb_name = c\n"
		"alert_webhook_url = https://hooks.example/T0/SECRETTOKEN\n"
		"alert_webhook_format = slack\nmetrics_listen = 0.0.0.0:9100\n";
	struct config cfg;
	const struct config_env *p;
	char *why = NULL, *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_null(load(text, &cfg));
	p = config_env(&cfg, "p", &why);
	assert_int_equal(p->monitor_interval, 30);
	assert_int_equal(p->monitor_retries, 3);
	assert_int_equal(p->monitor_reminder, 3600);
	assert_string_equal(p->alert_webhook_format, "slack");
	assert_string_equal(p->metrics_listen, "0.0.0.0:9100");
	assert_null(p->alert_command);
	f = open_memstream(&out, &len);
	config_env_print(p, f);
	fclose(f);
	assert_null(strstr(out, "SECRETTOKEN"));
	assert_non_null(strstr(out, "alert_webhook_url = (set, hidden)"));
	free(out);
	config_release(&cfg);
	assert_error("[p]\nimage_repository = r\ndb_name = d\n"
		     "alert_webhook_format = xml\n", ":4: alert_webhook_format: "
		     "'xml' is not one of slack|json");
	assert_error("[p]\nimage_repository = r\ndb_name = d\n"
		     "metrics_listen = localhost:9469\n",
		     "'localhost:9469' is not IPV4ADDR:PORT or off");
	assert_error("[p]\nimage_repository = r\ndb_name = d\n"
		     "metrics_listen = 127.0.0.1:0\n", "is not IPV4ADDR:PORT");
	why = load("[p]\nimage_repository = r\ndb_name = d\n"
		   "alert_webhook_url = hooks/SECRETTOKEN\n", &cfg);
	assert_non_null(strstr(why, "alert_webhook_url: not an http(s) URL"));
	assert_null(strstr(why, "SECRETTOKEN"));
	free(why);
	assert_null(load("[p]\nimage_repository = r\ndb_name = d\n"
			 "metrics_listen = off\n", &cfg));
	config_release(&cfg);
}

static void test_unknown_env(void **state)
{
	struct config cfg;
	char *why = NULL;

	(void)state;
	assert_null(load(base, &cfg));
	assert_null(config_env(&cfg, "prod", &why));
	assert_non_null(strstr(why, "unknown environment 'prod'"));
	assert_non_null(strstr(why, "production, staging"));
	free(why);
	config_release(&cfg);
}

static void test_missing_file(void **state)
{
	struct config cfg;
	char *why = NULL;

	(void)state;
	assert_int_equal(config_load(&cfg, "/nonexistent/odooctl.conf", &why),
			 -1);
	assert_non_null(strstr(why, "cannot read config "
				    "'/nonexistent/odooctl.conf'"));
	free(why);
}

static void test_password_from_env_file(void **state)
{
	char *env = write_conf("# stack\nPOSTGRES_USER=odoo\n"
			       "POSTGRES_PASSWORD=\"s3cret\"\n");
	char *text = xasprintf("[p]\nimage_repository = r\ndb_name = d\n"
			       "env_file = %s\n", env);
	struct config cfg;
	char *why = NULL, *pw;

	(void)state;
	assert_null(load(text, &cfg));
	pw = config_db_password(&cfg.envs[0], &why);
	assert_string_equal(pw, "s3cret");
	secret_free(pw);
	config_release(&cfg);
	unlink(env);
	free(env);
	free(text);
}

static void test_external_database(void **state)
{
	struct config cfg;
	char *why;

	(void)state;
	assert_null(load("[p]\nimage_repository = r\ndb_name = d\n"
			 "postgres_service =\npg_bindir = /opt/pg/bin\n"
			 "[q]\nimage_repository = r\ndb_name = d\n", &cfg));
	assert_true(config_db_external(&cfg.envs[0]));
	assert_string_equal(cfg.envs[0].pg_bindir, "/opt/pg/bin");
	assert_false(config_db_external(&cfg.envs[1]));
	assert_string_equal(cfg.envs[1].postgres_service, "postgres");
	assert_null(cfg.envs[1].pg_bindir);
	config_release(&cfg);
	why = load("[p]\nimage_repository = r\ndb_name = d\n"
		   "postgres_service = pg sql\n", &cfg);
	assert_non_null(strstr(why, ":4: postgres_service: 'pg sql' is not "
				    "a valid name"));
	free(why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inherits_defaults),
		cmocka_unit_test(test_unknown_key_names_line),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_syntax_and_structure),
		cmocka_unit_test(test_backup_keys),
		cmocka_unit_test(test_monitor_keys),
		cmocka_unit_test(test_unknown_env),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_password_from_env_file),
		cmocka_unit_test(test_external_database),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
