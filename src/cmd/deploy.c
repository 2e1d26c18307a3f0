/* odooctl deploy [--allow CHECK]... <digest|repo@digest> <env> [operator] */
#include <stdlib.h>

#include "cmd/cmd.h"
#include "gate/harden.h"
#include "core/log.h"
#include "core/state.h"
#include "core/util.h"

/* --allow CHECK, repeatable: a comma-separated list. */
static int on_opt(int opt, const char *arg, void *ctx)
{
	char **allow = ctx, *why = NULL, *old = *allow;

	if (opt != 'a')
		return -1;
	if (harden_allow_valid(arg, &why) < 0) {
		log_error("--allow: %s", why);
		free(why);
		return -1;
	}
	*allow = old ? xasprintf("%s,%s", old, arg) : xstrdup(arg);
	free(old);
	return 0;
}

static int exec_deploy(int argc, char **argv, struct global *g)
{
	static const struct option opts[] = {
		{ "allow", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 } };
	char *allow = NULL;
	struct config cfg;
	const struct config_env *env;
	struct release rel;
	char *op, *why = NULL;
	int done, rc;

	if (cmd_getopt(&cmd_deploy, argc, argv, opts, &done, on_opt,
		       &allow) < 0) {
		free(allow);
		return EXIT_USAGE;
	}
	if (done || argc - optind < 2 || argc - optind > 3) {
		if (!done)
			cmd_usage_error(&cmd_deploy);
		free(allow);
		return done ? EXIT_OK : EXIT_USAGE;
	}
	env = cmd_open_env(g, argv[optind + 1], &cfg);
	if (!env || harden_allow_valid(env->gate_allow, &why) < 0) {
		if (env) {
			log_error("gate_allow: %s", why);
			free(why);
			config_release(&cfg);
		}
		free(allow);
		return EXIT_USAGE;
	}
	if (release_parse(&rel, argv[optind], env->image_repository,
			  &why) < 0) {
		log_error("%s", why);
		free(why);
		config_release(&cfg);
		free(allow);
		return EXIT_USAGE;
	}
	op = cmd_operator_valid(argc - optind == 3 ? argv[optind + 2] : NULL);
	if (!op) {
		rc = EXIT_USAGE;
		goto out;
	}
	cmd_trap_signals();
	log_phase("deploy %s to %s (operator %s)", rel.ref, env->name, op);
	rc = (int)deploy_run_allow(env, &rel, op, DEPLOY_RELEASE, allow,
				   &why);
	if (rc != EXIT_OK) {
		log_error("deploy of %s to %s %s: %s", rel.digest, env->name,
			  rc == EXIT_REFUSED ? "refused" : "failed", why);
		free(why);
	}
out:
	free(allow);
	free(op);
	release_release(&rel);
	config_release(&cfg);
	return rc;
}

const struct command cmd_deploy = {
	.name = "deploy",
	.usage = "[--allow CHECK]... <sha256:DIGEST | REPO@sha256:DIGEST> "
		 "<ENV> [OPERATOR]",
	.summary = "Deploy a release by digest, with automatic rollback.",
	.help =
	"Gate checks (config, digest, registry, disk, PostgreSQL, proxy, no\n"
	"unfinished deploy), pull, start the release beside the running one,\n"
	"health-check it on its own address, run the smoke tests, switch the\n"
	"proxy, let the old release drain, stop it and keep it for instant\n"
	"rollback. Any failure after the gate rolls back to the last good\n"
	"release, which serves again before odooctl exits 1.\n"
	"OPERATOR defaults to the login user; it goes into history.log.\n\n"
	"Hardening checks, on the pulled image's odoo.conf (overlaid by the\n"
	"stack's command line), its Env and labels, the switch nginx and the\n"
	"database role: list_db, admin_passwd, dbfilter, proxy_mode, workers,\n"
	"websocket, image_secrets, db_superuser. A failed one refuses the\n"
	"deploy (exit 3, recorded as 'refused').\n\n"
	"Options:\n"
	"  -a, --allow CHECK  let CHECK fail (repeatable, or comma-separated;\n"
	"                     gate_allow in the config does the same); each\n"
	"                     allowed failure is recorded in history as\n"
	"                     allowed:CHECK\n",
	.exec = exec_deploy,
};
