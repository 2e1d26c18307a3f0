/* odooctl rollback [DIGEST] [ENV] */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/log.h"
#include "core/state.h"
#include "core/util.h"

static int looks_like_release(const char *s)
{
	return str_starts_with(s, "sha256:") || strchr(s, '@');
}

static int exec_rollback(int argc, char **argv, struct global *g)
{
	struct config cfg;
	const struct config_env *env;
	struct release rel;
	const char *target = NULL, *env_name = NULL;
	char *digest = NULL, *op, *why = NULL;
	int done, rc = EXIT_USAGE;

	if (cmd_getopt(&cmd_rollback, argc, argv, NULL, &done, NULL, NULL) < 0)
		return EXIT_USAGE;
	if (done)
		return EXIT_OK;
	for (int i = optind; i < argc; i++) {
		if (!target && !env_name && looks_like_release(argv[i]))
			target = argv[i];
		else if (!env_name)
			env_name = argv[i];
		else {
			cmd_usage_error(&cmd_rollback);
			return EXIT_USAGE;
		}
	}
	if (cmd_load_config(g, &cfg) != EXIT_OK)
		return EXIT_USAGE;
	env = cmd_env(&cfg, env_name);
	if (!env)
		goto out_cfg;
	if (!target) {
		if (deploy_rollback_target(env, &digest, &why) < 0) {
			log_error("rollback of %s: %s", env->name, why);
			free(why);
			rc = EXIT_REFUSED;
			goto out_cfg;
		}
		target = digest;
	}
	if (release_parse(&rel, target, env->image_repository, &why) < 0) {
		log_error("%s", why);
		free(why);
		goto out_cfg;
	}
	op = cmd_operator_valid(NULL);
	if (!op) {
		release_release(&rel);
		goto out_cfg;
	}
	cmd_trap_signals();
	log_phase("rollback of %s to %s (operator %s)", env->name, rel.digest,
		  op);
	rc = (int)deploy_run(env, &rel, op, DEPLOY_ROLLBACK, &why);
	if (rc != EXIT_OK) {
		log_error("rollback of %s to %s %s: %s", env->name, rel.digest,
			  rc == EXIT_REFUSED ? "refused" : "failed", why);
		free(why);
	}
	free(op);
	release_release(&rel);
out_cfg:
	free(digest);
	config_release(&cfg);
	return rc;
}

const struct command cmd_rollback = {
	.name = "rollback",
	.usage = "[sha256:DIGEST | REPO@sha256:DIGEST] [ENV]",
	.summary = "Go back to the previous good release (or DIGEST).",
	.help =
	"Without DIGEST, goes to the last good release before the one that\n"
	"serves now, from history.log. A kept (stopped) container of that\n"
	"release is started again, so no pull is needed. The same checks as\n"
	"a deploy run before the switch; history records 'rollback'.\n",
	.exec = exec_rollback,
};
