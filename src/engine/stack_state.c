#include "engine/stack_state.h"
#include "engine/docker_reply.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

const char *stack_label(json_t *container, const char *key)
{
	json_t *labels = json_object_get(container, "Labels");

	if (!labels)
		labels = json_object_get(json_object_get(container, "Config"),
					 "Labels");
	return json_string_value(json_object_get(labels, key));
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void container_state_from_json(json_t *c, const char *id,
			       struct container_state *st)
{
	json_t *state = json_object_get(c, "State");
	const char *name = json_string_value(json_object_get(c, "Name"));

	memset(st, 0, sizeof(*st));
	st->id = dup_or_null(json_string_value(json_object_get(c, "Id")));
	st->name = xstrdup(name ? name + (name[0] == '/') : id);
	st->digest = dup_or_null(stack_label(c, LABEL_RELEASE));
	/*
	 * Docker keeps Running true while a crashed container waits to be
	 * restarted (Restarting): it does not run, and it has no port.
	 */
	st->running = json_is_true(json_object_get(state, "Running")) &&
		      !json_is_true(json_object_get(state, "Restarting"));
	st->paused = json_is_true(json_object_get(state, "Paused"));
	st->exit_code = (int)json_integer_value(json_object_get(state,
								"ExitCode"));
	st->restarts = (int)json_integer_value(json_object_get(c,
							       "RestartCount"));
	st->health = dup_or_null(docker_json_str(c, "State.Health.Status"));
	st->started_at = dup_or_null(json_string_value(
		json_object_get(state, "StartedAt")));
	st->http_port = docker_container_host_port(c, "8069/tcp");
}

void container_state_release(struct container_state *st)
{
	free(st->id);
	free(st->name);
	free(st->digest);
	free(st->health);
	free(st->started_at);
	memset(st, 0, sizeof(*st));
}

const char *stack_service_pick(json_t *list, const char *service)
{
	const char *id = NULL;
	json_t *c;
	size_t i;

	json_array_foreach(list, i, c) {
		const char *svc = stack_label(c, LABEL_SERVICE);
		const char *oneoff = stack_label(c, "com.docker.compose.oneoff");

		if (svc && !strcmp(svc, service) &&
		    !(oneoff && !strcmp(oneoff, "True")))
			id = docker_json_str(c, "Id");
	}
	return id;
}
