/* odooctl build [ENV] [--commit SHA] [--build-arg K=V]... [--json] */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lint/addons.h"
#include "cmd/cmd.h"
#include "engine/docker.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/util.h"

#define MAX_BUILD_ARGS 16

struct build_opts {
	const char *commit;
	const char *args[MAX_BUILD_ARGS];
	size_t nargs;
	int json;
};

static int on_opt(int opt, const char *arg, void *ctx)
{
	struct build_opts *o = ctx;

	switch (opt) {
	case 'C':
		o->commit = arg;
		return 0;
	case 'a':
		if (o->nargs == MAX_BUILD_ARGS || !strchr(arg, '=')) {
			log_error("--build-arg '%s': expected KEY=VALUE", arg);
			return -1;
		}
		o->args[o->nargs++] = arg;
		return 0;
	case 'j':
		o->json = 1;
		return 0;
	}
	return -1;
}

static int commit_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 7 || n > 40)
		return 0;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
			return 0;
	return 1;
}

/* --commit, else $GITHUB_SHA, else `git rev-parse HEAD` in dir. */
char *build_commit(const char *given, const char *dir, char **cause)
{
	const char *argv[] = { "git", "-C", dir, "rev-parse", "HEAD", NULL };
	const char *gh = getenv("GITHUB_SHA");
	struct buf out;
	char *c = NULL;
	int status = 0;

	if (!given && gh && *gh)
		given = gh;
	if (given) {
		if (commit_valid(given))
			return xstrdup(given);
		*cause = xasprintf("'%s' is not a git commit (7 to 40 lowercase "
				   "hex digits)", given);
		return NULL;
	}
	buf_init(&out, 4096);
	if (proc_run(argv, environ, &out, &status, cause) == 0 &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		c = xstrdup(strtrim(out.data ? out.data : (char *)""));
		if (!commit_valid(c)) {
			free(c);
			c = NULL;
		}
	}
	if (!c && !*cause)
		*cause = xasprintf("cannot tell the git commit of '%s': pass "
				   "--commit SHA", dir);
	buf_release(&out);
	return c;
}

char *build_tag(const struct config_env *env, const char *commit)
{
	return xasprintf("%s:sha-%.7s", env->image_repository, commit);
}

static void on_line(const char *text, void *arg)
{
	(void)arg;
	log_info("%s", text);
}

static json_t *build_args(const struct config_env *env,
			  const struct build_opts *o)
{
	json_t *args = json_object();

	if (*env->odoo_base)
		json_object_set_new(args, "ODOO_BASE",
				    json_string(env->odoo_base));
	for (size_t i = 0; i < o->nargs; i++) {
		char *k = xstrndup(o->args[i], strcspn(o->args[i], "="));

		json_object_set_new(args, k,
				    json_string(strchr(o->args[i], '=') + 1));
		free(k);
	}
	return args;
}

static int build(const struct config_env *env, char **args, void *ctx)
{
	const struct build_opts *o = ctx;
	struct docker_build b = { .context_dir = env->build_context,
				  .dockerfile = env->dockerfile };
	struct docker *d = docker_new(env->docker_socket);
	char *commit, *tag = NULL, *addons, *id = NULL, *why = NULL;
	int count = 0, rc = EXIT_FAILED;

	(void)args;
	b.labels = json_object();
	commit = build_commit(o->commit, env->build_context, &why);
	if (!commit) {
		rc = EXIT_USAGE;
		goto out;
	}
	addons = xasprintf("%s/addons", env->build_context);
	if (addons_checksums(addons, b.labels, &count, &why) < 0) {
		free(addons);
		rc = EXIT_USAGE;
		goto out;
	}
	free(addons);
	json_object_set_new(b.labels, "org.opencontainers.image.revision",
			    json_string(commit));
	json_object_set_new(b.labels, "odooctl.commit", json_string(commit));
	b.buildargs = build_args(env, o);
	tag = build_tag(env, commit);
	b.tag = tag;
	log_phase("build %s from %s (%d addon%s)", tag, env->build_context,
		  count, count == 1 ? "" : "s");
	if (docker_image_build(d, &b, on_line, NULL, &id, &why) < 0)
		goto out;
	if (o->json) {
		json_t *j = json_pack("{s:s,s:s,s:s,s:O}", "tag", tag, "id", id,
				      "commit", commit, "labels", b.labels);

		cmd_print_json(j, 0);
		json_decref(j);
	} else {
		printf("%s %s\n", tag, id);
	}
	rc = EXIT_OK;
out:
	if (why) {
		log_error("build: %s", why);
		free(why);
	}
	json_decref(b.labels);
	json_decref(b.buildargs);
	free(id);
	free(tag);
	free(commit);
	docker_free(d);
	return rc;
}

static int exec_build(int argc, char **argv, struct global *g)
{
	static const struct option opts[] = {
		{ "commit", required_argument, NULL, 'C' },
		{ "build-arg", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 } };
	struct build_opts o = { 0 };
	const struct cmd_args a = { opts, on_opt, &o, 0, 1, 0, 0, build };

	return cmd_main(&cmd_build, argc, argv, &a, g);
}

const struct command cmd_build = {
	.name = "build",
	.usage = "[ENV] [--commit SHA] [--build-arg KEY=VALUE]... [--json]",
	.summary = "Build the release image from the addons (Engine API).",
	.help =
	"Builds build_context/Dockerfile, tagged REPOSITORY:sha-<commit>, with\n"
	"labels for the git commit and a checksum per addon\n"
	"(odooctl.addon.<name>), so a deploy can tell which addons changed,\n"
	"its manifest version (odooctl.addon-version.<name>) and a checksum\n"
	"of the files Odoo loads into the database (odooctl.addon-data.<name>)\n"
	"for upgrade_trigger = version.\n"
	"Prints the tag and the image id.\n"
	"Options:\n"
	"  -C, --commit SHA        the commit [$GITHUB_SHA, else git rev-parse HEAD]\n"
	"  -a, --build-arg K=V     a build argument (ODOO_BASE comes from odoo_base)\n"
	"  -j, --json              machine-readable output\n",
	.exec = exec_build,
};
