#include "cli/cli.h"
#include "core/log.h"
#include "secrets/secrets.h"
#include "core/state.h"
#include "core/util.h"

#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cmd_usage(const struct command *c, FILE *f)
{
	fprintf(f, "usage: odooctl %s %s\n\n%s\n", c->name, c->usage,
		c->summary);
	if (c->help && *c->help)
		fprintf(f, "\n%s", c->help);
}

void cmd_usage_error(const struct command *c)
{
	log_error("%s: wrong number of arguments (usage: odooctl %s %s)",
		  c->name, c->name, c->usage);
}

int cmd_getopt(const struct command *c, int argc, char **argv,
	       const struct option *opts, int *done,
	       int (*on_opt)(int opt, const char *arg, void *ctx), void *ctx)
{
	struct option all[16];
	char shortopts[64] = "h";
	size_t n = 0;
	int opt;

	*done = 0;
	for (; opts && opts[n].name && n < ARRAY_SIZE(all) - 2; n++)
		all[n] = opts[n];
	all[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	all[n] = (struct option){ NULL, 0, NULL, 0 };
	for (size_t i = 0; opts && opts[i].name; i++)
		if (opts[i].val < 128 && opts[i].val > ' ') {
			size_t l = strlen(shortopts);

			shortopts[l] = (char)opts[i].val;
			shortopts[l + 1] = opts[i].has_arg ? ':' : '\0';
			shortopts[l + 2] = '\0';
		}
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shortopts, all, NULL)) != -1) {
		if (opt == 'h') {
			cmd_usage(c, stdout);
			*done = 1;
			return 0;
		}
		if (opt == '?' || !on_opt || on_opt(opt, optarg, ctx) < 0) {
			log_error("%s: unknown or incomplete option '%s'",
				  c->name, argv[optind - 1]);
			fprintf(stderr, "usage: odooctl %s %s\n", c->name,
				c->usage);
			return -1;
		}
	}
	return 0;
}

int cmd_load_config(const struct global *g, struct config *cfg)
{
	char *why = NULL;

	if (config_load(cfg, g->config_path, &why) < 0) {
		log_error("%s", why);
		free(why);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

const struct config_env *cmd_env(const struct config *cfg, const char *name)
{
	const struct config_env *env;
	char *why = NULL;

	if (!name)
		name = cfg->nenvs == 1 ? cfg->envs[0].name : "production";
	env = config_env(cfg, name, &why);
	if (!env) {
		log_error("%s", why);
		free(why);
	} else {
		secrets_register_env(env);
		log_redact_stdout();
	}
	return env;
}

const struct config_env *cmd_open_env(const struct global *g,
				      const char *name, struct config *cfg)
{
	const struct config_env *env;

	if (cmd_load_config(g, cfg) != EXIT_OK)
		return NULL;
	env = cmd_env(cfg, name);
	if (!env)
		config_release(cfg);
	return env;
}

char *cmd_operator(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *s = getenv("SUDO_USER");

	if (!s || !*s)
		s = getenv("USER");
	if ((!s || !*s) && pw)
		s = pw->pw_name;
	return xstrdup(s && *s ? s : "unknown");
}

char *cmd_operator_valid(const char *given)
{
	char *op = given ? xstrdup(given) : cmd_operator();

	if (history_field_valid(op))
		return op;
	log_error("operator '%s' may not contain '|' or a newline", op);
	free(op);
	return NULL;
}

void cmd_record(const struct config_env *env, const char *status)
{
	struct current cur;
	char *op = cmd_operator(), *why = NULL;

	if (state_read_current(env->state_dir, &cur, &why) < 0) {
		free(why);
		why = NULL;
	}
	if (state_init(env->state_dir, &why) < 0 ||
	    history_append(env->state_dir, cur.digest ? cur.digest : "-",
			   env->name, status, op, &why) < 0) {
		log_error("history: %s", why);
		free(why);
	}
	current_release(&cur);
	free(op);
}

long cmd_parse_age(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);
	static const struct { char unit; long mult; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
		{ 'w', 604800 },
	};

	if (end == s || n < 0 || end[0] == '\0' || end[1] != '\0')
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (*end == units[i].unit)
			return n > LONG_MAX / units[i].mult ? -1 :
				n * units[i].mult;
	return -1;
}
