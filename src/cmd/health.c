/* odooctl health [ENV] [--json]: one pass of every check. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/checks.h"
#include "cmd/cmd.h"

static void print_json(const struct config_env *env, const struct results *r)
{
	json_t *o = json_object(), *a = json_array();

	json_object_set_new(o, "env", json_string(env->name));
	json_object_set_new(o, "healthy", json_boolean(results_ok(r)));
	for (size_t i = 0; i < r->n; i++)
		json_array_append_new(a, json_pack(
			"{s:s,s:b,s:s,s:s,s:I}", "name", r->v[i].name, "ok",
			r->v[i].ok, "value", r->v[i].value, "detail",
			r->v[i].detail, "ms", (json_int_t)r->v[i].ms));
	json_object_set_new(o, "checks", a);
	cmd_print_json(o, JSON_PRESERVE_ORDER);
	json_decref(o);
}

static void print_human(const struct results *r)
{
	int w = 4;

	for (size_t i = 0; i < r->n; i++)
		if ((int)strlen(r->v[i].name) > w)
			w = (int)strlen(r->v[i].name);
	for (size_t i = 0; i < r->n; i++)
		printf("%-4s  %-*s  %-22s  %s\n", r->v[i].ok ? "ok" : "FAIL", w,
		       r->v[i].name, r->v[i].value, r->v[i].detail);
}

static int run(const struct config_env *env, char **args, void *ctx)
{
	struct results r = { 0 };
	int rc;

	(void)args;
	checks_run(env, 1000, &r);
	if (*(int *)ctx)
		print_json(env, &r);
	else
		print_human(&r);
	rc = results_ok(&r) ? EXIT_OK : EXIT_FAILED;
	results_release(&r);
	return rc;
}

static int exec_health(int argc, char **argv, struct global *g)
{
	int json = 0;
	const struct cmd_args a = { cmd_json_opts, cmd_json_option, &json,
				    0, 1, 0, 0, run };

	return cmd_main(&cmd_health, argc, argv, &a, g);
}

const struct command cmd_health = {
	.name = "health",
	.usage = "[ENV] [--json]",
	.summary = "One pass of every health check; exit 1 when any fails.",
	.help =
	"Checks, one line each (ok|FAIL  name  value  detail):\n"
	"  app.health      GET /web/health?db_server_status=1 on the serving\n"
	"                  container (10 s timeout)\n"
	"  app.ready       JSON-RPC version_info with X-Odoo-Database\n"
	"  app.proxy       the proxy's /web/health\n"
	"  container.odoo  the container in state_dir/current running, restarts\n"
	"  container.postgres  the postgres service's container, restarts\n"
	"  db.server       libpq connection and SELECT 1 on 'postgres' (latency)\n"
	"  db.business     the same on db_name\n"
	"  db.connections  backends against max_connections (below 90%)\n"
	"  system.cpu      busy % over 1 s of /proc/stat < cpu_max_percent\n"
	"  system.memory   used % (MemAvailable) < mem_max_percent\n"
	"  disk:MOUNT      used % < disk_max_percent on the filesystems of the\n"
	"                  Docker root, state_dir and backup_dir\n"
	"  backup.age      newest verified backup younger than\n"
	"                  backup_max_age_hours (0: not checked)\n\n"
	"Exit status: 0 healthy, 1 unhealthy, 2 usage or configuration "
	"error.\n\n"
	"Options:\n  -j, --json   machine-readable output\n",
	.exec = exec_health,
};
