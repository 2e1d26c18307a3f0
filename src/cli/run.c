/*
 * What the commands' exec functions share beyond common.c: their start
 * (options, arguments, environment), their results. Not in common.c,
 * which odooctl-monitor links: this needs the signal trap and libpq's
 * names.
 */
#include "backup/backup.h"
#include "cli/cli.h"
#include "core/log.h"
#include "pg/pgx.h"
#include "core/util.h"

#include <stdlib.h>

const struct config_env *cmd_begin(const struct command *c, int argc,
				   char **argv, const struct cmd_args *a,
				   const struct global *g, struct config *cfg,
				   int *rc)
{
	const struct config_env *env;
	int done;

	*rc = EXIT_USAGE;
	if (cmd_getopt(c, argc, argv, a->opts, &done, a->on_opt, a->ctx) < 0)
		return NULL;
	if (done) {
		*rc = EXIT_OK;
		return NULL;
	}
	if (argc - optind < a->min || argc - optind > a->max) {
		cmd_usage_error(c);
		return NULL;
	}
	env = cmd_open_env(g, optind + a->env_at < argc ?
			   argv[optind + a->env_at] : NULL, cfg);
	if (env)
		*rc = EXIT_OK;
	return env;
}

const struct option cmd_json_opts[] = {
	{ "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 } };

int cmd_json_option(int opt, const char *arg, void *ctx)
{
	(void)arg;
	if (opt != 'j')
		return -1;
	*(int *)ctx = 1;
	return 0;
}

void cmd_print_json(json_t *j, size_t flags)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | flags);
	putchar('\n');
}

int cmd_main(const struct command *c, int argc, char **argv,
	     const struct cmd_args *a, const struct global *g)
{
	struct config cfg;
	const struct config_env *env;
	int rc;

	env = cmd_begin(c, argc, argv, a, g, &cfg, &rc);
	if (!env)
		return rc;
	if (a->trap)
		cmd_trap_signals();
	rc = a->run(env, argv + optind, a->ctx);
	config_release(&cfg);
	return rc;
}

int cmd_exit_status(int rc)
{
	return rc == 0 ? EXIT_OK : rc == -2 ? EXIT_REFUSED : EXIT_FAILED;
}

void cmd_record_rc(const struct config_env *env, const char *verb, int rc)
{
	char *status = xasprintf("%s_%s", verb, rc == 0 ? "ok" : rc == -2 ?
				 "refused" : "failed");

	cmd_record(env, status);
	free(status);
}

int cmd_db_option(const char *arg, const char **db)
{
	*db = arg;
	if (pgx_name_valid(arg))
		return 0;
	log_error("--db '%s': not a database name (letters, digits, _ - .)",
		  arg);
	return -1;
}

int cmd_backup_lock(const struct config_env *env, const char *verb,
		    const char *subject, int *rc)
{
	char *why = NULL;
	int lock = backup_lock(env, &why);

	if (lock >= 0)
		return lock;
	log_error("%s of %s refused: %s", verb, subject, why);
	free(why);
	cmd_record_rc(env, verb, -2);
	*rc = lock == -2 ? EXIT_REFUSED : EXIT_FAILED;
	return -1;
}
