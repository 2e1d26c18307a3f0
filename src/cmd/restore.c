/* odooctl restore BACKUP [ENV] [--db NAME] [--force] [--neutralize] */
#include <stdlib.h>
#include <string.h>

#include "backup/backup.h"
#include "cmd/cmd.h"
#include "core/log.h"
#include "core/state.h"
#include "core/util.h"

struct restore_cmd {
	const char *db;
	int force, neutralize;
};

static int on_opt(int opt, const char *arg, void *ctx)
{
	struct restore_cmd *o = ctx;

	switch (opt) {
	case 'd':
		return cmd_db_option(arg, &o->db);
	case 'f':
		o->force = 1;
		return 0;
	case 'n':
		o->neutralize = 1;
		return 0;
	}
	return -1;
}

/* The deploy lock (a restore must not race a deploy), then backups'. */
static int lock_both(const struct config_env *env, int locks[2])
{
	char *why = NULL;

	locks[0] = state_init(env->state_dir, &why) < 0 ? -1 :
		   state_lock(env->state_dir, &why);
	locks[1] = locks[0] < 0 ? -1 : backup_lock(env, &why);
	if (locks[0] >= 0 && locks[1] >= 0)
		return EXIT_OK;
	log_error("restore to %s refused: %s", env->name, why);
	free(why);
	state_unlock(locks[0]);
	cmd_record(env, "restore_refused");
	return locks[0] == -2 || locks[1] == -2 ? EXIT_REFUSED : EXIT_FAILED;
}

static int run(const struct config_env *env, char **args, void *ctx)
{
	const struct restore_cmd *c = ctx;
	const char *arg = args[0];
	struct restore_opts o = { .env = env, .db = c->db, .force = c->force,
				  .neutralize = c->neutralize };
	struct docker *d;
	char *zip, *why = NULL;
	int locks[2], rc;

	zip = backup_resolve(env, arg, &why);
	if (!zip) {
		log_error("%s", why);
		free(why);
		return EXIT_USAGE;
	}
	rc = lock_both(env, locks);
	if (rc != EXIT_OK) {
		free(zip);
		return rc;
	}
	d = docker_new(env->docker_socket);
	docker_set_cancel(d, &deploy_interrupted);
	o.zip = zip;
	rc = backup_restore(d, &o, &why);
	if (rc < 0) {
		log_error("restore of %s to %s %s: %s", zip, env->name,
			  rc == -2 ? "refused" : "failed", why);
		free(why);
	}
	cmd_record_rc(env, "restore", rc);
	backup_unlock(locks[1]);
	state_unlock(locks[0]);
	docker_free(d);
	free(zip);
	return cmd_exit_status(rc);
}

static int exec_restore(int argc, char **argv, struct global *g)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "force", no_argument, NULL, 'f' },
		{ "neutralize", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 } };
	struct restore_cmd c = { 0 };
	const struct cmd_args a = { opts, on_opt, &c, 1, 2, 1, 1, run };

	return cmd_main(&cmd_restore, argc, argv, &a, g);
}

const struct command cmd_restore = {
	.name = "restore",
	.usage = "BACKUP [ENV] [--db NAME] [--force] [--neutralize]",
	.summary = "Restore a backup's database and filestore.",
	.help =
	"BACKUP is a zip path, a name in backup_dir, or 'latest'. Its sha256\n"
	"and size are checked against its metadata first (a zip without\n"
	"metadata, e.g. from Odoo's database manager, is checked by its\n"
	"CRCs as it is read). The dump is loaded with psql -v ON_ERROR_STOP=1\n"
	"in one transaction, committed only if dump.sql ends with pg_dump's\n"
	"last line, into a staging database; the filestore into a staging\n"
	"directory of the odoo-data volume. Only then are they swapped in\n"
	"(the database renames are one transaction). Restoring over the\n"
	"environment's own database stops its Odoo containers for the swap,\n"
	"starts them again and waits until they pass the health check (a\n"
	"warning if they do not within health_retries probes).\n\n"
	"Options:\n"
	"  -d, --db NAME      restore into NAME [the environment's db_name]\n"
	"  -f, --force        replace an existing database; it is backed up\n"
	"                     first (trigger pre-restore)\n"
	"  -n, --neutralize   for a non-production copy: outgoing and incoming\n"
	"                     mail, crons (but the autovacuum), webhooks and\n"
	"                     payment providers off, checked before the swap\n\n"
	"Exit status: 0 restored, 1 failed (the target is as it was), 2 usage,\n"
	"3 refused before anything was touched (checksum or size mismatch,\n"
	"not a backup, existing database without --force, lock held, postgres\n"
	"not running, nothing deployed).\n",
	.exec = exec_restore,
};
