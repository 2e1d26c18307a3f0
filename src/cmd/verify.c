/* odooctl verify BACKUP [ENV] [--json] */
#include <jansson.h>
#include <stdlib.h>

#include "backup/backup.h"
#include "cmd/cmd.h"
#include "core/log.h"
#include "core/util.h"

static int run(const struct config_env *env, char **args, void *ctx)
{
	const char *arg = args[0];
	int json = *(int *)ctx;
	struct docker *d;
	json_t *verdict = NULL;
	char *zip, *why = NULL;
	int lock, rc;

	zip = backup_resolve(env, arg, &why);
	if (!zip) {
		log_error("%s", why);
		free(why);
		return EXIT_USAGE;
	}
	lock = cmd_backup_lock(env, "verify", zip, &rc);
	if (lock < 0) {
		free(zip);
		return rc;
	}
	d = docker_new(env->docker_socket);
	docker_set_cancel(d, &deploy_interrupted);
	rc = backup_verify(d, env, zip, &verdict, &why);
	if (rc < 0) {
		log_error("verify of %s %s: %s", zip, rc == -2 ? "refused" :
			  "could not finish", why);
		free(why);
	} else if (json) {
		cmd_print_json(verdict, 0);
	}
	if (rc == 0 && !json_is_true(json_object_get(verdict, "ok")))
		log_error("verify of %s failed: %s", zip, json_string_value(
			json_object_get(verdict, "detail")));
	backup_unlock(lock);
	docker_free(d);
	free(zip);
	rc = rc == -2 ? EXIT_REFUSED : rc < 0 ? EXIT_FAILED :
	     json_is_true(json_object_get(verdict, "ok")) ? EXIT_OK :
	     EXIT_FAILED;
	cmd_record(env, rc == EXIT_OK ? "verify_ok" : rc == EXIT_REFUSED ?
		   "verify_refused" : "verify_failed");
	json_decref(verdict);
	return rc;
}

static int exec_verify(int argc, char **argv, struct global *g)
{
	int json = 0;
	const struct cmd_args a = { cmd_json_opts, cmd_json_option, &json,
				    1, 2, 1, 1, run };

	return cmd_main(&cmd_verify, argc, argv, &a, g);
}

const struct command cmd_verify = {
	.name = "verify",
	.usage = "BACKUP [ENV] [--json]",
	.summary = "Prove a backup restores: restore into a scratch database "
		   "and check.",
	.help =
	"BACKUP is a zip path, a name in backup_dir, or 'latest'. Checks the\n"
	"sha256 and size recorded in its metadata, restores dump.sql into a\n"
	"scratch database (psql -v ON_ERROR_STOP=1, one transaction, the dump\n"
	"must end with pg_dump's last line), reads every filestore file\n"
	"through its CRC, then compares: the rows of every table with the\n"
	"dump's (and with those recorded at backup time), the installed\n"
	"modules in ir_module_module with manifest.json, and every\n"
	"ir_attachment.store_fname with the filestore. The scratch database\n"
	"is dropped; the verdict is recorded in the metadata ('verified'),\n"
	"which retention reads: the newest verified backup is never deleted.\n\n"
	"Options:\n"
	"  -j, --json   print the verdict as JSON\n\n"
	"Exit status: 0 passed, 1 failed (corrupted, truncated, does not load,\n"
	"a check failed), 2 usage, 3 refused (lock held, postgres not running).\n",
	.exec = exec_verify,
};
