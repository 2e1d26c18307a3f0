/* odooctl config check|show|keys [ENV] */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "stack/compose.h"
#include "core/log.h"

static int exec_config(int argc, char **argv, struct global *g)
{
	struct config cfg;
	const char *verb, *name;
	int done, rc = EXIT_OK;

	if (cmd_getopt(&cmd_config, argc, argv, NULL, &done, NULL, NULL) < 0)
		return EXIT_USAGE;
	if (done)
		return EXIT_OK;
	if (argc - optind < 1 || argc - optind > 2) {
		cmd_usage_error(&cmd_config);
		return EXIT_USAGE;
	}
	verb = argv[optind];
	name = argc - optind == 2 ? argv[optind + 1] : NULL;
	if (!strcmp(verb, "keys")) {
		config_print_reference(stdout);
		return EXIT_OK;
	}
	if (strcmp(verb, "check") && strcmp(verb, "show")) {
		log_error("config: unknown action '%s' (check, show, keys)",
			  verb);
		return EXIT_USAGE;
	}
	if (cmd_load_config(g, &cfg) != EXIT_OK)
		return EXIT_USAGE;
	for (size_t i = 0; i < cfg.nenvs; i++) {
		const struct config_env *env = &cfg.envs[i];

		if (name && strcmp(name, env->name))
			continue;
		if (!strcmp(verb, "show"))
			config_env_print(env, stdout);
		else
			printf("%s: [%s] ok\n", cfg.path, env->name);
	}
	if (name && !cmd_env(&cfg, name))
		rc = EXIT_USAGE;
	config_release(&cfg);
	return rc;
}

const struct command cmd_config = {
	.name = "config",
	.usage = "check|show|keys [ENV]",
	.summary = "Validate the config, show effective values, list keys.",
	.help =
	"  check   parse and validate every environment (exit 2 on error,\n"
	"          naming the file and line)\n"
	"  show    print every key of ENV (or all) with its effective value\n"
	"  keys    the reference of every key, its meaning and default\n",
	.exec = exec_config,
};
