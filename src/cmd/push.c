/* odooctl push [ENV] [--commit SHA] [--tag TAG]... [--json] */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "engine/docker.h"
#include "core/log.h"
#include "core/util.h"

#define MAX_TAGS 8

struct push_opts {
	const char *commit;
	const char *tags[MAX_TAGS];
	size_t ntags;
	int json;
};

/* A tag as the registry takes it: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. */
static int tag_valid(const char *t)
{
	size_t n = strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			  "0123456789_.-");

	return n && n <= 128 && !t[n] && t[0] != '.' && t[0] != '-';
}

static int on_opt(int opt, const char *arg, void *ctx)
{
	struct push_opts *o = ctx;

	if (opt == 'C') {
		o->commit = arg;
	} else if (opt == 't') {
		if (o->ntags == MAX_TAGS || !tag_valid(arg)) {
			log_error("--tag '%s': expected a tag (letters, digits, "
				  "'_', '.', '-'; at most %d tags)", arg,
				  MAX_TAGS);
			return -1;
		}
		o->tags[o->ntags++] = arg;
	} else if (opt == 'j') {
		o->json = 1;
	} else {
		return -1;
	}
	return 0;
}

/* Tags the pushed image as REPOSITORY:TAG too and pushes that: the
 * registry must answer with the same digest. */
static int push_tag(struct docker *d, const struct config_env *env,
		    const char *image, const char *tag, const char *digest,
		    char **cause)
{
	char *got = NULL;
	int rc = -1;

	log_phase("push %s:%s", env->image_repository, tag);
	if (docker_image_tag(d, image, env->image_repository, tag, cause) < 0 ||
	    docker_image_push(d, env->image_repository, tag,
			      log_progress_bytes, NULL, &got, cause) < 0)
		return -1;
	log_progress_done();
	if (strcmp(got, digest))
		*cause = xasprintf("'%s:%s' was pushed as %s, not %s",
				   env->image_repository, tag, got, digest);
	else
		rc = 0;
	free(got);
	return rc;
}

static void print_json(const struct config_env *env, const char *tag,
		       const char *digest, const struct push_opts *o)
{
	json_t *tags = json_pack("[s]", strrchr(tag, ':') + 1);
	json_t *j;

	for (size_t i = 0; i < o->ntags; i++)
		json_array_append_new(tags, json_string(o->tags[i]));
	j = json_pack("{s:s,s:s,s:s,s:s+++,s:o}", "tag", tag, "digest", digest,
		      "repository", env->image_repository, "ref",
		      env->image_repository, "@", digest, "", "tags", tags);
	cmd_print_json(j, 0);
	json_decref(j);
}

static int push(const struct config_env *env, char **args, void *ctx)
{
	const struct push_opts *o = ctx;
	struct docker *d = docker_new(env->docker_socket);
	char *commit, *tag = NULL, *digest = NULL, *why = NULL;
	int rc = EXIT_FAILED;

	(void)args;
	commit = build_commit(o->commit, env->build_context, &why);
	if (!commit) {
		rc = EXIT_USAGE;
		goto out;
	}
	tag = build_tag(env, commit);
	log_phase("push %s", tag);
	if (docker_image_push(d, env->image_repository, strrchr(tag, ':') + 1,
			      log_progress_bytes, NULL, &digest, &why) < 0)
		goto out;
	log_progress_done();
	for (size_t i = 0; i < o->ntags; i++)
		if (push_tag(d, env, tag, o->tags[i], digest, &why) < 0)
			goto out;
	if (o->json)
		print_json(env, tag, digest, o);
	else
		printf("%s\n", digest);
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
		{ "tag", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 } };
	struct push_opts o = { 0 };
	const struct cmd_args a = { opts, on_opt, &o, 0, 1, 0, 0, push };

	return cmd_main(&cmd_push, argc, argv, &a, g);
}

const struct command cmd_push = {
	.name = "push",
	.usage = "[ENV] [--commit SHA] [--tag TAG]... [--json]",
	.summary = "Push the built image and print its digest.",
	.help =
	"Pushes REPOSITORY:sha-<commit> (made by 'odooctl build') to the\n"
	"registry and prints the digest, sha256:<64 hex>: the one thing a\n"
	"deploy needs. Registry credentials come from the docker client's\n"
	"config ($DOCKER_CONFIG/config.json, else ~/.docker/config.json), as\n"
	"`docker login` writes them.\n"
	"Options:\n"
	"  -C, --commit SHA   the commit [$GITHUB_SHA, else git rev-parse HEAD]\n"
	"  -t, --tag TAG      also push the image as REPOSITORY:TAG (e.g. latest)\n"
	"  -j, --json         machine-readable output (tag, digest, ref, tags)\n",
	.exec = exec_push,
};
