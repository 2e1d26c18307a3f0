#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gate/harden.h"
#include "core/util.h"

/* The shipped odoo.conf and the stack's command line pass every check. */
static void apply(json_t *opts, json_t *argv)
{
	harden_apply_args(opts, argv);
	json_decref(argv);
}

static struct harden_facts facts(const char *conf)
{
	struct harden_facts f = { 0 };
	char *why = NULL;

	f.opts = json_object();
	assert_int_equal(harden_conf_parse(conf, f.opts, &why), 0);
	f.conf_path = xstrdup("/etc/odoo/odoo.conf");
	f.admin = ADMIN_OK;
	f.admin_from = "test";
	f.image_env = json_pack("[s,s]", "PATH=/usr/bin", "ODOO_RC=/x");
	f.labels = json_pack("{s:s}", "odooctl.addon.api_key_store",
			     "sha256:00");
	f.nginx = xstrdup("server { location /websocket { proxy_pass "
			  "http://$odoo_ws_upstream; } location / { "
			  "proxy_pass http://$odoo_upstream; } }");
	f.behind_proxy = 1;
	f.role = xstrdup("odoo");
	f.role_super = 0;
	apply(f.opts, json_pack("[s,s,s,s]", "odoo",
				"--database=central",
					    "--db-filter=^central$",
					    "--proxy-mode"));
	return f;
}

#define GOOD "[options]\nlist_db = False\nproxy_mode = True\nworkers = 2\n" \
	     "gevent_port = 8072\n"

static char *run(struct harden_facts *f, const char *cli, char **allowed)
{
	char *cause = NULL, *dummy = NULL;

	if (harden_run(f, NULL, cli, allowed ? allowed : &dummy, &cause) == 0)
		assert_null(cause);
	free(dummy);
	harden_facts_release(f);
	return cause;
}

static void test_shipped_passes(void **state)
{
	struct harden_facts f = facts(GOOD);

	(void)state;
	assert_null(run(&f, NULL, NULL));
}

/* Each check fails on a fixture that breaks it, and --allow lets it. */
static void fails(const char *conf, void (*tweak)(struct harden_facts *),
		  const char *check, const char *re)
{
	struct harden_facts f = facts(conf);
	char *cause, *allowed = NULL, *want = xasprintf("gate '%s' failed: ",
							 check);

	if (tweak)
		tweak(&f);
	cause = run(&f, NULL, NULL);
	assert_non_null(cause);
	assert_non_null(strstr(cause, want));
	assert_non_null(strstr(cause, re));
	assert_null(strchr(cause, '\n'));
	free(cause);
	f = facts(conf);
	if (tweak)
		tweak(&f);
	assert_null(run(&f, check, &allowed));
	assert_string_equal(allowed, check);
	free(allowed);
	free(want);
}

static void no_ws(struct harden_facts *f)
{
	free(f->nginx);
	f->nginx = xstrdup("location /websocket {\n proxy_pass "
			   "http://$odoo_upstream; # 8069\n}\n");
}

static void weak_admin(struct harden_facts *f)
{
	f->admin = ADMIN_DEFAULT;
}

static void no_admin(struct harden_facts *f)
{
	f->admin = ADMIN_UNSET;
}

static void loose_filter(struct harden_facts *f)
{
	apply(f->opts, json_pack("[s,s]", "--db-filter", ".*"));
}

static void published(struct harden_facts *f)
{
	f->published = xstrdup("0.0.0.0:8069:8069/tcp");
}

static void no_proxy(struct harden_facts *f)
{
	f->behind_proxy = 0;
}

static void env_secret(struct harden_facts *f)
{
	json_array_append_new(f->image_env, json_string("DB_PASSWORD=x"));
}

static void label_secret(struct harden_facts *f)
{
	json_object_set_new(f->labels, "com.example.api-token",
			    json_string("abc"));
}

static void superuser(struct harden_facts *f)
{
	f->role_super = 1;
}

static void foreign_objects(struct harden_facts *f)
{
	f->foreign = 3;
	f->foreign_first = xstrdup("TABLE public.res_partner");
	f->db_name = "central";
	f->env_name = "production";
}

static void owner_unknown(struct harden_facts *f)
{
	f->foreign = -1;
	f->foreign_why = xstrdup("connection refused");
	f->db_name = "central";
}

static void test_each_check_fails(void **state)
{
	(void)state;
	fails("[options]\nlist_db = True\nproxy_mode = True\nworkers = 2\n",
	      NULL, "list_db", "list_db = True");
	fails("[options]\nproxy_mode = True\nworkers = 2\n", NULL, "list_db",
	      "not set");
	fails(GOOD, weak_admin, "admin_passwd", "default value");
	fails(GOOD, no_admin, "admin_passwd", "not set");
	fails(GOOD, loose_filter, "dbfilter", "'.*' is not anchored");
	fails(GOOD, no_proxy, "proxy_mode", "no proxy");
	fails(GOOD, published, "proxy_mode", "0.0.0.0:8069");
	fails("[options]\nlist_db = False\nworkers = 0\n", NULL, "workers",
	      "workers = 0");
	fails(GOOD "gevent_port = 8073\n", NULL, "workers", "8073");
	fails(GOOD, no_ws, "websocket", "$odoo_upstream");
	fails(GOOD, env_secret, "image_secrets", "Env DB_PASSWORD");
	fails(GOOD, label_secret, "image_secrets", "label com.example");
	fails(GOOD, superuser, "db_superuser", "superuser");
	fails(GOOD, foreign_objects, "db_owner", "3 objects of database "
	      "'central' (TABLE public.res_partner, ...) do not belong to "
	      "role 'odoo' that Odoo connects as: run 'odooctl dbrole "
	      "production'");
	fails(GOOD, owner_unknown, "db_owner", "cannot tell who owns "
	      "database 'central': connection refused");
}

static void test_superuser_owns_nothing(void **state)
{
	struct harden_facts f = facts(GOOD);
	char *cause;

	(void)state;
	superuser(&f);
	foreign_objects(&f);
	cause = run(&f, NULL, NULL);
	assert_non_null(strstr(cause, "gate 'db_superuser' failed"));
	assert_null(strstr(cause, "db_owner"));
	free(cause);
}

static void test_all_failures_named(void **state)
{
	struct harden_facts f = facts("[options]\nworkers = 0\n");
	char *cause;

	(void)state;
	superuser(&f);
	cause = run(&f, "db_superuser", NULL);
	assert_non_null(strstr(cause, "gate 'list_db' failed"));
	assert_non_null(strstr(cause, "; gate 'workers' failed"));
	assert_null(strstr(cause, "db_superuser"));
	free(cause);
}

static void test_allow_names(void **state)
{
	char *why = NULL;

	(void)state;
	assert_int_equal(harden_allow_valid("list_db, websocket", &why), 0);
	assert_int_equal(harden_allow_valid(NULL, &why), 0);
	assert_int_equal(harden_allow_valid("list_db,bogus", &why), -1);
	assert_non_null(strstr(why, "unknown hardening check 'bogus'"));
	free(why);
}

static void test_secret_names(void **state)
{
	(void)state;
	assert_true(harden_secret_name("POSTGRES_PASSWORD"));
	assert_true(harden_secret_name("GITHUB_TOKEN"));
	assert_true(harden_secret_name("aws.secret"));
	assert_true(harden_secret_name("API_KEY"));
	assert_true(harden_secret_name("DB_PASS"));
	assert_false(harden_secret_name("BYPASS_CACHE"));
	assert_false(harden_secret_name("POSTGRES_PASSWORD_FILE"));
	assert_false(harden_secret_name("ODOO_RC"));
	assert_false(harden_secret_name("KEYBOARD_LAYOUT"));
	assert_false(harden_secret_name("org.opencontainers.image.revision"));
}

/* docker-compose 1.29's `config` output, trimmed. */
static const char yaml[] =
	"services:\n"
	"  odoo19:\n"
	"    command:\n"
	"    - odoo\n"
	"    - --database=central\n"
	"    - --db-filter=^central$$\n"
	"    - --proxy-mode\n"
	"    cpus: 2.0\n"
	"    depends_on:\n"
	"      postgres:\n"
	"        condition: service_healthy\n"
	"    environment:\n"
	"      ODOO_ADMIN_PASSWD: s3cr3t-value\n"
	"      PGPASSWORD: 'an''other'\n"
	"      PGUSER: odoo\n"
	"    ports:\n"
	"    - 0.0.0.0:18069:8069/tcp\n"
	"    - 127.0.0.1:8072:8072/tcp\n"
	"  postgres:\n"
	"    command: postgres -c x=1\n"
	"    environment:\n"
	"      POSTGRES_USER: root\n"
	"volumes:\n"
	"  odoo-data: {}\n";

static void test_compose_service(void **state)
{
	json_t *cmd, *env, *ports, *opts = json_object();

	(void)state;
	assert_int_equal(harden_compose_service(yaml, "odoo19", &cmd, &env,
						&ports), 0);
	assert_int_equal(json_array_size(cmd), 4);
	assert_string_equal(json_string_value(json_array_get(cmd, 2)),
			    "--db-filter=^central$");
	assert_string_equal(json_string_value(json_object_get(env, "PGUSER")),
			    "odoo");
	/* secrets: set or not, never the value */
	assert_string_equal(json_string_value(json_object_get(
		env, "ODOO_ADMIN_PASSWD")), "<set>");
	{
		char *dump = json_dumps(env, 0);

		assert_null(strstr(dump, "s3cr3t"));
		free(dump);
	}
	assert_int_equal(json_array_size(ports), 2);
	harden_apply_args(opts, cmd);
	assert_string_equal(json_string_value(json_object_get(opts,
							       "dbfilter")),
			    "^central$");
	assert_string_equal(json_string_value(json_object_get(opts,
							       "proxy_mode")),
			    "True");
	json_decref(cmd);
	json_decref(env);
	json_decref(ports);
	json_decref(opts);
	assert_int_equal(harden_compose_service(yaml, "nope", &cmd, &env,
						&ports), -1);
	json_decref(cmd);
	json_decref(env);
	json_decref(ports);
}

/*
 * A finding of fuzz_harden (heap-buffer-overflow in env_entry): the list
 * form "- KEY=value" skipped two bytes after the '=' (it looked at the
 * separator after overwriting it), losing the value's first character,
 * and read past the end of "- KEY=".
 */
static void test_compose_env_list(void **state)
{
	static const char list[] =
		"services:\n"
		"  odoo19:\n"
		"    environment:\n"
		"    - PGUSER=odoo\n"
		"    - HOST=db\n"
		"    - EMPTY=\n"
		"    - PGPASSWORD=x\n";
	json_t *cmd, *env, *ports;

	(void)state;
	assert_int_equal(harden_compose_service(list, "odoo19", &cmd, &env,
						&ports), 0);
	assert_string_equal(json_string_value(json_object_get(env, "PGUSER")),
			    "odoo");
	assert_string_equal(json_string_value(json_object_get(env, "HOST")),
			    "db");
	assert_string_equal(json_string_value(json_object_get(env, "EMPTY")),
			    "");
	assert_string_equal(json_string_value(json_object_get(
		env, "PGPASSWORD")), "<set>");
	json_decref(cmd);
	json_decref(env);
	json_decref(ports);
}

static void test_nginx(void **state)
{
	char *why = NULL;

	(void)state;
	assert_int_equal(harden_nginx_websocket(
		"http { server { location = /websocket {\n"
		"  proxy_pass http://odoo:8072; } } }", &why), 0);
	assert_int_equal(harden_nginx_websocket(
		"server { location / { proxy_pass http://odoo:8069; } }",
		&why), -1);
	assert_non_null(strstr(why, "no location routes /websocket"));
	free(why);
	assert_int_equal(harden_nginx_websocket(
		"# location /websocket { proxy_pass http://x:8072; }\n"
		"location /websocket { return 404; }", &why), -1);
	assert_non_null(strstr(why, "no proxy_pass"));
	free(why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_passes),
		cmocka_unit_test(test_each_check_fails),
		cmocka_unit_test(test_superuser_owns_nothing),
		cmocka_unit_test(test_all_failures_named),
		cmocka_unit_test(test_allow_names),
		cmocka_unit_test(test_secret_names),
		cmocka_unit_test(test_compose_service),
		cmocka_unit_test(test_compose_env_list),
		cmocka_unit_test(test_nginx),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
