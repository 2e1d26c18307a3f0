/* odooctl push [ENV] [--commit SHA] [--json] */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "docker.h"
#include "log.h"
#include "util.h"

struct push_opts {
	const char *commit;
	int json;
};

static int on_opt(int opt, const char *arg, void *ctx)
{
	struct push_opts *o = ctx;

	if (opt == 'C')
		o->commit = arg;
	else if (opt == 'j')
		o->json = 1;
	else
		return -1;
	return 0;
}

static void progress(const char *what, long long done, long long total,
		     void *arg)
{
	char d[32], t[32];

	(void)arg;
	fmt_bytes(done, d);
	fmt_bytes(total, t);
	if (total > 0)
		log_progress("%s: %s / %s", what, d, t);
	else
		log_progress("%s", what);
}

static int push(const struct config_env *env, const struct push_opts *o)
{
	struct docker *d = docker_new(env->docker_socket);
	char *commit, *tag = NULL, *digest = NULL, *why = NULL;
	int rc = EXIT_FAILED;

	commit = build_commit(o->commit, env->build_context, &why);
	if (!commit) {
		rc = EXIT_USAGE;
		goto out;
	}
	tag = build_tag(env, commit);
	log_phase("push %s", tag);
	if (docker_image_push(d, env->image_repository, strrchr(tag, ':') + 1,
			      progress, NULL, &digest, &why) < 0)
		goto out;
	log_progress_done();
	if (o->json) {
		json_t *j = json_pack("{s:s,s:s,s:s,s:s+++}", "tag", tag,
				      "digest", digest, "repository",
				      env->image_repository, "ref",
				      env->image_repository, "@", digest, "");

		json_dumpf(j, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(j);
	} else {
		printf("%s\n", digest);
	}
	log_info("deploy it with: odooctl deploy %s %s", digest, env->name);
	rc = EXIT_OK;
out:
	if (why) {
		log_error("push: %s", why);
		free(why);
	}
	free(digest);
	free(tag);
	free(commit);
	docker_free(d);
	return rc;
}

static int exec_push(int argc, char **argv, struct global *g)
{
	static const struct option opts[] = {
		{ "commit", required_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 } };
	struct push_opts o = { 0 };
	struct config cfg;
	const struct config_env *env;
	int done, rc;

	if (cmd_getopt(&cmd_push, argc, argv, opts, &done, on_opt, &o) < 0)
		return EXIT_USAGE;
	if (done)
		return EXIT_OK;
	if (argc - optind > 1) {
		cmd_usage_error(&cmd_push);
		return EXIT_USAGE;
	}
	env = cmd_open_env(g, optind < argc ? argv[optind] : NULL, &cfg);
	if (!env)
		return EXIT_USAGE;
	rc = push(env, &o);
	config_release(&cfg);
	return rc;
}

const struct command cmd_push = {
	.name = "push",
	.usage = "[ENV] [--commit SHA] [--json]",
	.summary = "Push the built image and print its digest.",
	.help =
	"Pushes REPOSITORY:sha-<commit> (made by 'odooctl build') to the\n"
	"registry and prints the digest, sha256:<64 hex>: the one thing a\n"
	"deploy needs.\n"
	"Options:\n"
	"  -C, --commit SHA   the commit [$GITHUB_SHA, else git rev-parse HEAD]\n"
	"  -j, --json         machine-readable output\n",
	.exec = exec_push,
};
