#include "engine/docker_get.h"
#include "engine/docker.h"
#include "engine/docker_reply.h"
#include "net/http.h"
#include "core/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX (4u << 20)	/* as docker.c's plain replies */

/*
 * GET path (below the version prefix); the reply as JSON. what names the
 * call in messages. *status (may be NULL) the HTTP status, 0 when none.
 */
static int get(const char *socket, const char *path, const char *what,
	       long timeout_ms, json_t **reply, long *status, char **cause)
{
	char *url = xasprintf("http://localhost/%s%s", DOCKER_API_VERSION,
			      path), *why = NULL;
	struct http_request req = { .method = "GET", .url = url,
				    .unix_socket = socket,
				    .timeout_ms = timeout_ms,
				    .body_max = JSON_MAX,
				    /* what names the call, not our url */
				    .reason_only = 1 };
	struct http_response resp;
	json_error_t err;
	int rc = -1;

	*reply = NULL;
	if (status)
		*status = 0;
	if (http_do(&req, &resp, &why) < 0) {
		*cause = xasprintf("%s: %s", what, why);
		free(why);
		goto out;
	}
	if (status)
		*status = resp.status;
	if (resp.status >= 400) {
		*cause = docker_status_error(what, &resp.body, resp.status);
		goto out;
	}
	*reply = json_loadb(resp.body.data ? resp.body.data : "",
			    resp.body.len, 0, &err);
	if (!*reply) {
		*cause = xasprintf("%s: docker sent invalid JSON: %s", what,
				   err.text);
		goto out;
	}
	rc = 0;
out:
	http_response_release(&resp);
	free(url);
	return rc;
}

int docker_get_info(const char *socket, long timeout_ms, json_t **info,
		    char **cause)
{
	char *what = xasprintf("cannot get information from docker at '%s'",
			       socket);
	int rc = get(socket, "/info", what, timeout_ms, info, NULL, cause);

	free(what);
	return rc;
}

int docker_get_container(const char *socket, const char *id, long timeout_ms,
			 struct container_state *st, int *found, char **cause)
{
	char *e = url_escape(id), *path, *what;
	json_t *c = NULL;
	long status = 0;
	int rc;

	memset(st, 0, sizeof(*st));
	st->http_port = -1;
	*found = 0;
	path = xasprintf("/containers/%s/json", e);
	what = xasprintf("cannot inspect container '%s'", id);
	rc = get(socket, path, what, timeout_ms, &c, &status, cause);
	if (rc == 0) {
		*found = 1;
		container_state_from_json(c, id, st);
	} else if (status == 404) {	/* an answer, not a failure */
		free(*cause);
		*cause = NULL;
		rc = 0;
	}
	json_decref(c);
	free(e);
	free(path);
	free(what);
	return rc;
}

int docker_get_service(const char *socket, const char *project,
		       const char *service, long timeout_ms,
		       struct container_state *st, char **cause)
{
	char *label = xasprintf("%s=%s", LABEL_PROJECT, project);
	json_t *f = json_pack("{s:[s]}", "label", label), *list = NULL;
	char *filters = json_dumps(f, JSON_COMPACT);
	char *e = url_escape(filters), *path, *what;
	const char *id;
	int found = 0, rc;

	memset(st, 0, sizeof(*st));
	path = xasprintf("/containers/json?all=1&filters=%s", e);
	what = xasprintf("cannot list the containers labelled '%s'", label);
	rc = get(socket, path, what, timeout_ms, &list, NULL, cause);
	if (rc == 0) {
		id = stack_service_pick(list, service);
		if (id)
			rc = docker_get_container(socket, id, timeout_ms, st,
						  &found, cause);
	}
	json_decref(list);
	json_decref(f);
	free(filters);
	free(e);
	free(path);
	free(what);
	free(label);
	return rc;
}
