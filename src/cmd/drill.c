/* odooctl drill [ENV] [--backup BACKUP] [--json] */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "backup/backup.h"
#include "cmd/cmd.h"
#include "backup/drill.h"
#include "core/log.h"
#include "core/util.h"

struct drill_cmd {
	int json;
	const char *backup;
};

static int on_opt(int opt, const char *arg, void *ctx)
{
	struct drill_cmd *o = ctx;

	if (opt == 'j')
		o->json = 1;
	else if (opt == 'b')
		o->backup = arg;
	else
		return -1;
	return 0;
}

/* "42 s", "3.2 min", "5.1 h", "2.0 d" */
static void fmt_age(double s, char out[32])
{
	if (s < 120)
		snprintf(out, 32, "%.1f s", s);
	else if (s < 7200)
		snprintf(out, 32, "%.1f min", s / 60);
	else if (s < 172800)
		snprintf(out, 32, "%.1f h", s / 3600);
	else
		snprintf(out, 32, "%.1f d", s / 86400);
}

static void print_text(json_t *r)
{
	const char *env = json_string_value(json_object_get(r, "env"));
	json_t *s, *rto = json_object_get(r, "rto_seconds");
	json_t *rpo = json_object_get(r, "rpo_seconds");
	char a[32] = "?", b[32] = "?";
	size_t i;

	json_array_foreach(json_object_get(r, "steps"), i, s)
		printf("%-5s %-11s %7.1f s  %s\n",
		       json_is_true(json_object_get(s, "ok")) ? "ok" : "FAIL",
		       json_string_value(json_object_get(s, "name")),
		       json_integer_value(json_object_get(s, "ms")) / 1e3,
		       json_string_value(json_object_get(s, "detail")) ?: "");
	json_array_foreach(json_object_get(r, "logs"), i, s)
		printf("      | %s\n", json_string_value(s));
	if (rpo && !json_is_null(rpo))
		fmt_age((double)json_integer_value(rpo), b);
	if (json_is_true(json_object_get(r, "ok"))) {
		fmt_age(json_real_value(rto), a);
		printf("PASS  drill of %s: restored and serving in %s (RTO), "
		       "from a backup %s old (RPO): %s\n", env, a, b,
		       json_string_value(json_object_get(r, "backup")));
	} else {
		printf("FAIL  drill of %s at %s: %s\n", env, json_string_value(
			       json_object_get(r, "failed_step")),
		       json_string_value(json_object_get(r, "detail")));
	}
}

static int run(const struct config_env *env, char **args, void *ctx)
{
	const struct drill_cmd *o = ctx;
	struct drill_opts dopts = { .env = env, .stop = &deploy_interrupted };
	struct docker *d;
	json_t *report = NULL;
	char *zip, *why = NULL;
	int lock, rc, n = 0;

	(void)args;
	zip = backup_resolve(env, o->backup ? o->backup : "latest", &why);
	if (!zip) {
		log_error("drill of %s: %s", env->name, why);
		free(why);
		return EXIT_USAGE;
	}
	dopts.zip = zip;
	lock = backup_lock(env, &why);
	d = docker_new(env->docker_socket);
	docker_set_cancel(d, &deploy_interrupted);
	rc = lock < 0 ? lock : drill_sweep(d, env, &n, &why);
	if (rc == 0)
		rc = drill_run(d, &dopts, &report, &why);
	if (rc < 0) {
		log_error("drill of %s %s: %s", env->name, rc == -2 ?
			  "refused" : "could not run", why);
		free(why);
	} else {
		if (o->json)
			cmd_print_json(report, 0);
		else
			print_text(report);
		rc = json_is_true(json_object_get(report, "ok")) ? 0 : -1;
		if (rc < 0)
			log_error("drill of %s FAILED at %s: %s", env->name,
				  json_string_value(json_object_get(
					  report, "failed_step")),
				  json_string_value(json_object_get(
					  report, "detail")));
	}
	cmd_record_rc(env, "drill", rc);
	backup_unlock(lock);
	docker_free(d);
	json_decref(report);
	free(zip);
	return cmd_exit_status(rc);
}

static int exec_drill(int argc, char **argv, struct global *g)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "backup", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 } };
	struct drill_cmd o = { 0 };
	const struct cmd_args a = { opts, on_opt, &o, 0, 1, 0, 1, run };

	return cmd_main(&cmd_drill, argc, argv, &a, g);
}

const struct command cmd_drill = {
	.name = "drill",
	.usage = "[ENV] [--backup BACKUP] [--json]",
	.summary = "Disaster-recovery drill: restore beside production, check, "
		   "time it.",
	.help =
	"Restores the newest backup of ENV (or BACKUP: a zip path, a name in\n"
	"backup_dir, or 'latest') into a scratch database and a scratch Odoo\n"
	"container of the release that serves: its own database\n"
	"(odooctl_drill_<env>, given by --database and --db-filter), its own\n"
	"/var/lib/odoo (an anonymous volume holding the restored filestore),\n"
	"no volume of production, 8069 on a free loopback port. Neutralizes\n"
	"the copy (mail, crons, webhooks, payments off), then runs the health\n"
	"check (/web/health and version_info on the scratch database) and the\n"
	"smoke tests against it. Reports how long it took until the copy\n"
	"served (RTO) and the age of the backup (RPO), removes the container,\n"
	"its volumes and the database whatever happens (a SIGTERM too; what a\n"
	"SIGKILL leaves, the next drill removes), and records drill_ok or\n"
	"drill_failed (drill_refused) in the history.\n\n"
	"Steps: checksum, container, restore, neutralize, start, health,\n"
	"smoke, teardown. One line each, then PASS or FAIL with what failed.\n\n"
	"Options:\n"
	"  -b, --backup BACKUP   the backup to drill [latest]\n"
	"  -j, --json            the report as JSON (env, backup, ok,\n"
	"                        failed_step, detail, rto_seconds, rpo_seconds,\n"
	"                        release, scratch, steps, logs, teardown)\n\n"
	"Exit status: 0 passed, 1 failed (a step failed, or something was\n"
	"left behind), 2 usage (no such backup), 3 refused (another backup,\n"
	"verify or drill running; postgres not running; nothing deployed).\n",
	.exec = exec_drill,
};
