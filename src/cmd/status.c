/* odooctl status [ENV] [--json] */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "engine/docker.h"
#include "net/health.h"
#include "release/journal.h"
#include "core/log.h"
#include "stack/proxy.h"
#include "stack/stack.h"
#include "core/state.h"

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *current_json(struct docker *d, const struct config_env *env,
			    const struct current *cur)
{
	struct container_state st;
	json_t *o = json_object();
	char ts[21], *why = NULL;
	int found = 0;

	if (!cur->digest)
		return json_null();
	time_iso8601(cur->since, ts);
	json_object_set_new(o, "digest", json_string(cur->digest));
	json_object_set_new(o, "container", json_string(cur->container));
	json_object_set_new(o, "since", json_string(ts));
	if (stack_inspect(d, cur->container, &st, &found, &why) < 0) {
		json_object_set_new(o, "error", json_string(why));
		free(why);
		return o;
	}
	json_object_set_new(o, "running", json_boolean(found && st.running));
	json_object_set_new(o, "docker_health", jstr(st.health));
	json_object_set_new(o, "restarts", json_integer(st.restarts));
	if (found && st.running && st.http_port > 0) {
		char *url = xasprintf("http://127.0.0.1:%d", st.http_port);
		int ok = health_probe(env, url, &why) == 0;

		json_object_set_new(o, "healthy", json_boolean(ok));
		if (!ok)
			json_object_set_new(o, "health_detail", jstr(why));
		free(why);
		free(url);
	} else {
		json_object_set_new(o, "healthy", json_false());
	}
	container_state_release(&st);
	return o;
}

static json_t *journal_json(const struct config_env *env)
{
	struct journal j;
	json_t *o;
	char *why = NULL;
	int exists = 0;

	if (journal_load(env->state_dir, &j, &exists, &why) < 0) {
		o = json_pack("{s:s}", "error", why);
		free(why);
		return o;
	}
	if (!exists)
		return json_null();
	o = json_pack("{s:o,s:o,s:o,s:b}", "kind", jstr(j.kind), "digest",
		      jstr(j.digest), "phase", jstr(j.last_phase), "corrupted",
		      j.corrupted);
	journal_release(&j);
	return o;
}

static json_t *releases_json(struct docker *d, const struct config_env *env)
{
	json_t *list = NULL, *out = json_array(), *c;
	char *why = NULL;
	size_t i;

	if (stack_releases(d, env, &list, &why) < 0) {
		free(why);
		return out;
	}
	json_array_foreach(list, i, c) {
		const char *name = json_string_value(
			json_array_get(json_object_get(c, "Names"), 0));

		json_array_append_new(out, json_pack(
			"{s:o,s:o,s:o}", "container",
			jstr(name ? name + 1 : NULL), "digest",
			jstr(stack_label(c, LABEL_RELEASE)), "state",
			jstr(docker_json_str(c, "State"))));
	}
	json_decref(list);
	return out;
}

/* How the serving release came in: the path it took (null: unknown). */
static json_t *last_deploy_json(const struct config_env *env,
				const struct current *cur)
{
	json_t *o = state_read_last_deploy(env->state_dir);

	if (o && cur->digest && !strcmp(cur->digest, json_string_value(
			json_object_get(o, "digest")) ?: ""))
		return o;
	json_decref(o);
	return json_null();
}

static json_t *status_json(const struct config_env *env, int *rc)
{
	struct docker *d = docker_new(env->docker_socket);
	struct current cur;
	char *lg = NULL, *why = NULL, *target;
	json_t *o = json_object();

	json_object_set_new(o, "env", json_string(env->name));
	if (state_read_current(env->state_dir, &cur, &why) < 0 ||
	    state_read_last_good(env->state_dir, &lg, &why) < 0) {
		json_object_set_new(o, "error", json_string(why));
		free(why);
		*rc = EXIT_FAILED;
	}
	json_object_set_new(o, "current", current_json(d, env, &cur));
	json_object_set_new(o, "last_deploy", last_deploy_json(env, &cur));
	json_object_set_new(o, "last_good", jstr(lg));
	target = proxy_target(env);
	json_object_set_new(o, "proxy_target", jstr(target));
	json_object_set_new(o, "unfinished_deploy", journal_json(env));
	json_object_set_new(o, "releases", releases_json(d, env));
	free(target);
	free(lg);
	current_release(&cur);
	docker_free(d);
	return o;
}

/* Why each addon was upgraded, and which changed ones were not. */
static void print_why(json_t *ld)
{
	json_t *why = json_object_get(ld, "upgraded_why"), *v;
	json_t *held = json_object_get(ld, "not_upgraded");
	const char *name, *label = "upgraded:";
	size_t i;

	if (docker_json_str(ld, "upgrade_trigger"))
		printf("trigger:      %s\n", docker_json_str(ld,
						  "upgrade_trigger"));
	json_object_foreach(why, name, v) {
		printf("%-13s %s: %s\n", label, name, json_string_value(v) ?:
		       "?");
		label = "";
	}
	if (json_array_size(held)) {
		printf("not upgraded: ");
		json_array_foreach(held, i, v)
			printf("%s%s", i ? ", " : "", json_string_value(v));
		printf(" (changed, same version)\n");
	}
}

static void print_path(json_t *ld)
{
	json_t *up = json_object_get(ld, "upgraded"), *m;
	size_t i;

	if (!json_is_object(ld))
		return;
	printf("path:         %s", docker_json_str(ld, "path") ?: "?");
	if (json_array_size(up)) {
		printf(" (upgraded ");
		json_array_foreach(up, i, m)
			printf("%s%s", i ? ", " : "", json_string_value(m));
		printf(")");
	}
	printf("\n");
	print_why(ld);
	if (json_is_number(json_object_get(ld, "maintenance_seconds")))
		printf("maintenance:  %.1f s\n", json_number_value(
			json_object_get(ld, "maintenance_seconds")));
	if (docker_json_str(ld, "backup"))
		printf("pre-deploy:   %s\n", docker_json_str(ld, "backup"));
}

static void print_human(json_t *o)
{
	json_t *cur = json_object_get(o, "current"), *rel, *j;
	size_t i;

	printf("environment:  %s\n", json_string_value(json_object_get(o, "env")));
	if (json_is_null(cur)) {
		printf("current:      none (nothing deployed yet)\n");
	} else {
		printf("current:      %s\n", docker_json_str(cur, "digest"));
		printf("container:    %s (%s)\n", docker_json_str(cur, "container"),
		       json_is_true(json_object_get(cur, "running")) ?
		       "running" : "NOT RUNNING");
		printf("since:        %s\n", docker_json_str(cur, "since"));
		printf("health:       %s%s%s\n",
		       json_is_true(json_object_get(cur, "healthy")) ?
		       "healthy" : "UNHEALTHY",
		       docker_json_str(cur, "health_detail") ? ": " : "",
		       docker_json_str(cur, "health_detail") ?
		       docker_json_str(cur, "health_detail") : "");
	}
	print_path(json_object_get(o, "last_deploy"));
	printf("last good:    %s\n", json_string_value(json_object_get(
		o, "last_good")) ?: "none");
	printf("proxy target: %s\n", json_string_value(json_object_get(
		o, "proxy_target")) ?: "none (maintenance)");
	j = json_object_get(o, "unfinished_deploy");
	if (!json_is_null(j))
		printf("UNFINISHED:   %s of %s stopped at phase %s: run "
		       "'odooctl recover %s'\n",
		       docker_json_str(j, "kind") ?: "deploy",
		       docker_json_str(j, "digest") ?: "?",
		       docker_json_str(j, "phase") ?: "begin",
		       json_string_value(json_object_get(o, "env")));
	json_array_foreach(json_object_get(o, "releases"), i, rel)
		printf("%s %-14s %s %s\n", i ? "             " : "containers:  ",
		       docker_json_str(rel, "state"),
		       docker_json_str(rel, "digest"),
		       docker_json_str(rel, "container"));
}

static int run(const struct config_env *env, char **args, void *ctx)
{
	json_t *o;
	int rc = EXIT_OK;

	(void)args;
	o = status_json(env, &rc);
	if (*(int *)ctx)
		cmd_print_json(o, JSON_PRESERVE_ORDER);
	else
		print_human(o);
	json_decref(o);
	return rc;
}

static int exec_status(int argc, char **argv, struct global *g)
{
	int json = 0;
	const struct cmd_args a = { cmd_json_opts, cmd_json_option, &json,
				    0, 1, 0, 0, run };

	return cmd_main(&cmd_status, argc, argv, &a, g);
}

const struct command cmd_status = {
	.name = "status",
	.usage = "[ENV] [--json]",
	.summary = "What serves, which digest, since when, and its health.",
	.help = "Options:\n  -j, --json   machine-readable output\n",
	.exec = exec_status,
};
