/* odooctl secrets pull|check [ENV] [--json] */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/log.h"
#include "secrets/secrets.h"

static int on_opt(int opt, const char *arg, void *ctx)
{
	(void)arg;
	if (opt != 'j')
		return -1;
	*(int *)ctx = 1;
	return 0;
}

static int fetch_status(int rc)
{
	if (rc == SECRETS_ERR_CONFIG)
		return EXIT_USAGE;
	return rc == SECRETS_ERR_REFUSED ? EXIT_REFUSED : EXIT_FAILED;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void print_check(const struct config_env *env, const struct secrets *s,
			char **missing, size_t n, int json)
{
	json_t *j, *arr;

	if (!json) {
		for (size_t i = 0; i < n; i++)
			printf("missing: %s\n", missing[i]);
		printf("[%s] %s: %zu keys from %s, %zu required missing\n",
		       env->name, n ? "incomplete" : "ok", s->n,
		       env->secrets_provider, n);
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(missing[i]));
	j = json_pack("{s:s,s:s,s:I,s:o,s:b}", "env", env->name, "provider",
		      env->secrets_provider, "keys", (json_int_t)s->n,
		      "missing", arr, "ok", n == 0);
	json_dumpf(j, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(j);
}

static int do_check(const struct config_env *env, const struct secrets *s,
		    int json)
{
	char **missing;
	size_t n = secrets_missing(env, s, &missing);

	print_check(env, s, missing, n, json);
	free_list(missing, n);
	return n ? EXIT_FAILED : EXIT_OK;
}

static int do_pull(const struct config_env *env, const struct secrets *s)
{
	char **missing, *cause = NULL;
	size_t n = secrets_missing(env, s, &missing);

	if (n) {
		log_error("secrets pull [%s]: %zu required key(s) missing, "
			  "first '%s'; '%s' left as it was", env->name, n,
			  missing[0], env->env_file);
		free_list(missing, n);
		return EXIT_FAILED;
	}
	free(missing);
	if (secrets_pull(env, s, &cause) < 0) {
		log_error("secrets pull [%s]: %s", env->name, cause);
		free(cause);
		return EXIT_FAILED;
	}
	printf("[%s] %zu keys from %s written to %s (mode 0600)\n", env->name,
	       s->n, env->secrets_provider, env->env_file);
	return EXIT_OK;
}

static int exec_secrets(int argc, char **argv, struct global *g)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const struct config_env *env;
	struct secrets s = { 0 };
	struct config cfg;
	int done, json = 0, rc;
	char *cause = NULL;
	const char *verb;

	if (cmd_getopt(&cmd_secrets, argc, argv, opts, &done, on_opt,
		       &json) < 0)
		return EXIT_USAGE;
	if (done)
		return EXIT_OK;
	if (argc - optind < 1 || argc - optind > 2) {
		cmd_usage_error(&cmd_secrets);
		return EXIT_USAGE;
	}
	verb = argv[optind];
	if (strcmp(verb, "pull") && strcmp(verb, "check")) {
		log_error("secrets: unknown action '%s' (pull, check)", verb);
		return EXIT_USAGE;
	}
	env = cmd_open_env(g, argc - optind == 2 ? argv[optind + 1] : NULL,
			   &cfg);
	if (!env)
		return EXIT_USAGE;
	rc = secrets_fetch(env, &s, &cause);
	if (rc < 0) {
		log_error("secrets %s [%s]: %s", verb, env->name, cause);
		free(cause);
		rc = fetch_status(rc);
	} else if (!strcmp(verb, "check")) {
		rc = do_check(env, &s, json);
	} else {
		rc = do_pull(env, &s);
	}
	secrets_release(&s);
	config_release(&cfg);
	return rc;
}

const struct command cmd_secrets = {
	.name = "secrets",
	.usage = "pull|check [ENV] [--json]",
	.summary = "Fetch secrets from the env's provider into its env file.",
	.help =
	"  pull    fetch from secrets_provider (env_file, ssm, command) and\n"
	"          render them into env_file atomically, mode 0600; its other\n"
	"          lines are kept\n"
	"  check   fetch and say which secrets_required keys are missing;\n"
	"          values are never printed\n"
	"  --json  check: {\"env\",\"provider\",\"keys\",\"missing\",\"ok\"}\n"
	"\nExit status: 0 done (check: nothing missing); 1 the provider\n"
	"failed or a required key is missing (pull writes nothing then); 2\n"
	"usage or configuration; 3 a secrets file refused (its mode allows\n"
	"group or others, or another user owns it).\n",
	.exec = exec_secrets,
};
