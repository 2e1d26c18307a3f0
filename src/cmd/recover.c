/* odooctl recover [ENV] */
#include <stdlib.h>

#include "cmd/cmd.h"
#include "core/log.h"
#include "migrate/migrate.h"
#include "core/state.h"

static int run(const struct config_env *env, char **args, void *ctx)
{
	char *op, *why = NULL;
	int nothing = 0, rc;

	(void)args;
	(void)ctx;
	op = cmd_operator_valid(NULL);
	if (!op)
		return EXIT_USAGE;
	rc = (int)deploy_recover(env, op, &nothing, &why);
	if (rc == EXIT_OK) {
		int none = 0, committed = 0;

		rc = (int)migrate_recover(env, &none, &committed, &why);
		nothing &= none;
	}
	if (rc != EXIT_OK) {
		log_error("recover of %s: %s", env->name, why);
		free(why);
	} else if (nothing) {
		log_phase("%s: no unfinished deploy or migration and the "
			  "state is sound, "
			  "nothing to recover",
			  env->name);
	}
	free(op);
	return rc;
}

static int exec_recover(int argc, char **argv, struct global *g)
{
	const struct cmd_args a = { NULL, NULL, NULL, 0, 1, 0, 0, run };

	return cmd_main(&cmd_recover, argc, argv, &a, g);
}

const struct command cmd_recover = {
	.name = "recover",
	.usage = "[ENV]",
	.summary = "Finish or undo a deploy or migration that was killed.",
	.help =
	"Reads the journal an interrupted deploy left in state_dir. One that\n"
	"had committed is finished; any other is undone: the last good\n"
	"release serves again through the proxy and the half-started one is\n"
	"removed; a database-changing deploy killed during its module upgrade\n"
	"has its pre-deploy backup restored first. With no unfinished deploy,\n"
	"a 'current' or 'last_good_sha' file that cannot be read (truncated,\n"
	"edited by hand) is rebuilt from what the proxy serves and from the\n"
	"history. Recorded in history.log as 'recovered'.\n"
	"Then a migration a kill left (state_dir/migrate.journal): one that\n"
	"had committed is finished (last_good, current, 'migrated', the unit\n"
	"disabled); any other is undone: the stack's Odoo of it stops and the\n"
	"systemd unit starts again as it was ('migrate_failed').\n",
	.exec = exec_recover,
};
