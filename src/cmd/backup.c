/* odooctl backup [ENV] [--trigger T] [--db NAME] [--json] */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "backup/backup.h"
#include "cmd/cmd.h"
#include "core/log.h"
#include "core/util.h"

struct backup_cmd {
	int json;
	int trigger;
	const char *db;
};

static int on_opt(int opt, const char *arg, void *ctx)
{
	struct backup_cmd *o = ctx;

	switch (opt) {
	case 'j':
		o->json = 1;
		return 0;
	case 't':
		o->trigger = backup_trigger_parse(arg);
		/* pre-restore and migrate: only their commands take them */
		if (o->trigger < 0 || o->trigger > TRIGGER_SCHEDULED) {
			log_error("--trigger '%s': expected manual, pre-deploy "
				  "or scheduled", arg);
			return -1;
		}
		return 0;
	case 'd':
		return cmd_db_option(arg, &o->db);
	}
	return -1;
}

static void print_result(const struct backup_result *res, int json)
{
	if (json) {
		json_t *out = json_deep_copy(res->meta);

		json_object_set_new(out, "path", json_string(res->zip));
		cmd_print_json(out, 0);
		json_decref(out);
	} else {
		printf("%s\n", res->zip);
	}
}

/* Takes the backup, then applies retention; returns an exit status. */
static int run(const struct config_env *env, char **args, void *ctx)
{
	const struct backup_cmd *o = ctx;
	struct backup_opts bo = { .env = env, .db_name = o->db,
				  .trigger = (enum backup_trigger)o->trigger };
	struct backup_result res;
	struct docker *d;
	char *why = NULL;
	int lock, rc;

	(void)args;
	lock = cmd_backup_lock(env, "backup", env->name, &rc);
	if (lock < 0)
		return rc;
	d = docker_new(env->docker_socket);
	docker_set_cancel(d, &deploy_interrupted);
	rc = backup_create(d, &bo, &res, &why);
	if (rc == 0) {
		if (backup_prune(env, &why) < 0) {
			log_warn("retention in '%s': %s", env->backup_dir, why);
			free(why);
		}
		print_result(&res, o->json);
		backup_result_release(&res);
	} else {
		log_error("backup of %s %s: %s", env->name,
			  rc == -2 ? "refused" : "failed", why);
		free(why);
	}
	cmd_record_rc(env, "backup", rc);
	backup_unlock(lock);
	docker_free(d);
	return cmd_exit_status(rc);
}

static int exec_backup(int argc, char **argv, struct global *g)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "trigger", required_argument, NULL, 't' },
		{ "db", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 } };
	struct backup_cmd o = { .trigger = TRIGGER_MANUAL };
	const struct cmd_args a = { opts, on_opt, &o, 0, 1, 0, 1, run };

	return cmd_main(&cmd_backup, argc, argv, &a, g);
}

const struct command cmd_backup = {
	.name = "backup",
	.usage = "[ENV] [--trigger manual|pre-deploy|scheduled] [--db NAME] "
		 "[--json]",
	.summary = "Back up the database and its filestore, in Odoo's zip "
		   "format.",
	.help =
	"pg_dump runs inside the stack's postgres container (the server's own\n"
	"version); the filestore is read from the odoo-data volume. The zip\n"
	"(dump.sql, manifest.json, filestore/) restores through Odoo's\n"
	"database manager too; beside it, <name>.json holds its sha256, sizes,\n"
	"row counts, the release that ran and the trigger. Free space is\n"
	"checked first (database + filestore, +10%); the zip is written as\n"
	".partial and renamed only when complete and fsync'd. Then retention:\n"
	"backup_keep newest, all younger than backup_max_age_days, and the\n"
	"newest verified one are kept. Prints the path of the zip.\n\n"
	"Options:\n"
	"  -t, --trigger T   recorded in the metadata [manual]\n"
	"  -d, --db NAME     another database than the environment's\n"
	"  -j, --json        print the metadata (and path) as JSON\n\n"
	"Exit status: 0 done, 1 failed (nothing left behind), 2 usage,\n"
	"3 refused (not enough space, no database, postgres not running,\n"
	"nothing deployed, another backup running).\n",
	.exec = exec_backup,
};
