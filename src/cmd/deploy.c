/* odooctl deploy <sha256:digest|repo@sha256:digest> <env> [operator] */
#include <stdlib.h>

#include "cmd.h"
#include "log.h"
#include "state.h"
#include "util.h"

static int exec_deploy(int argc, char **argv, struct global *g)
{
	struct config cfg;
	const struct config_env *env;
	struct release rel;
	char *op, *why = NULL;
	int done, rc;

	if (cmd_getopt(&cmd_deploy, argc, argv, NULL, &done, NULL, NULL) < 0)
		return EXIT_USAGE;
	if (done)
		return EXIT_OK;
	if (argc - optind < 2 || argc - optind > 3) {
		cmd_usage_error(&cmd_deploy);
		return EXIT_USAGE;
	}
	env = cmd_open_env(g, argv[optind + 1], &cfg);
	if (!env)
		return EXIT_USAGE;
	if (release_parse(&rel, argv[optind], env->image_repository,
			  &why) < 0) {
		log_error("%s", why);
		free(why);
		config_release(&cfg);
		return EXIT_USAGE;
	}
	op = argc - optind == 3 ? xstrdup(argv[optind + 2]) : cmd_operator();
	if (!history_field_valid(op)) {
		log_error("operator '%s' may not contain '|' or a newline", op);
		rc = EXIT_USAGE;
		goto out;
	}
	cmd_trap_signals();
	log_phase("deploy %s to %s (operator %s)", rel.ref, env->name, op);
	rc = (int)deploy_run(env, &rel, op, DEPLOY_RELEASE, &why);
	if (rc != EXIT_OK) {
		log_error("deploy of %s to %s %s: %s", rel.digest, env->name,
			  rc == EXIT_REFUSED ? "refused" : "failed", why);
		free(why);
	}
out:
	free(op);
	release_release(&rel);
	config_release(&cfg);
	return rc;
}

const struct command cmd_deploy = {
	.name = "deploy",
	.usage = "<sha256:DIGEST | REPO@sha256:DIGEST> <ENV> [OPERATOR]",
	.summary = "Deploy a release by digest, with automatic rollback.",
	.help =
	"Gate checks (config, digest, registry, disk, PostgreSQL, proxy, no\n"
	"unfinished deploy), pull, start the release beside the running one,\n"
	"health-check it on its own address, run the smoke tests, switch the\n"
	"proxy, let the old release drain, stop it and keep it for instant\n"
	"rollback. Any failure after the gate rolls back to the last good\n"
	"release, which serves again before odooctl exits 1.\n"
	"OPERATOR defaults to the login user; it goes into history.log.\n",
	.exec = exec_deploy,
};
