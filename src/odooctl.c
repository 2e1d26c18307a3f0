/*
 * odooctl: releases of an Odoo 19 service that cannot leave it broken.
 * Global options, the command table, dispatch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/log.h"
#include "core/util.h"

static const struct command *const commands[] = {
	&cmd_lint, &cmd_build, &cmd_push, &cmd_deploy, &cmd_rollback,
	&cmd_status, &cmd_health, &cmd_monitor, &cmd_history, &cmd_recover,
	&cmd_backup, &cmd_backups, &cmd_restore, &cmd_verify, &cmd_drill,
	&cmd_migrate, &cmd_dbrole, &cmd_config, &cmd_secrets,
};

static void usage(FILE *f)
{
	fprintf(f, "usage: odooctl [-c FILE] [-q|-v] COMMAND [ARGS]\n\n"
		   "Build, deploy by digest, health-check, roll back.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-9s %s\n", commands[i]->name,
			commands[i]->summary);
	fprintf(f, "\nGlobal options:\n"
		   "  -c, --config FILE  config file [$ODOOCTL_CONFIG or "
		   CONFIG_DEFAULT_PATH "]\n"
		   "  -q, --quiet        errors only\n"
		   "  -v, --verbose      more detail\n"
		   "  -h, --help         this help; 'odooctl COMMAND --help' "
		   "for one command\n"
		   "      --version      print the version\n\n"
		   "Exit status: 0 success, 1 failed (rolled back), 2 usage "
		   "or configuration\nerror, 3 refused by a gate or the lock. "
		   "See odooctl(1).\n");
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	struct global g = { 0 };
	const struct command *c;
	int i, rc;

	i = cmd_global_options(argc, argv, &g, usage, &rc);
	if (i < 0)
		return rc;
	if (i == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	c = find(argv[i]);
	if (!c) {
		log_error("unknown command '%s' (see 'odooctl --help')",
			  argv[i]);
		return EXIT_USAGE;
	}
	if (c == &cmd_monitor)	/* returns only when there is none */
		cmd_exec_monitor(argv);
	return c->exec(argc - i, argv + i, &g);
}
