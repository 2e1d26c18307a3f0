/*
 * The Engine API's plain GETs that the health checks make (info, a
 * container's inspect, a compose project's containers), through http.h
 * with a deadline per call and no struct docker. Messages name the call as
 * docker.c's do ("cannot inspect container 'x': ..."), then http.h's
 * reason ("connection refused", "timed out after 10000 ms").
 */
#ifndef ODOOCTL_DOCKER_GET_H
#define ODOOCTL_DOCKER_GET_H

#include <jansson.h>

#include "engine/stack_state.h"

/* GET /info. */
int docker_get_info(const char *socket, long timeout_ms, json_t **info,
		    char **cause);

/* A container by id or name: *found 0 (st zeroed, http_port -1) when the
 * daemon does not know it. */
int docker_get_container(const char *socket, const char *id, long timeout_ms,
			 struct container_state *st, int *found, char **cause);

/* The container of a compose service in project: st->id NULL when none. */
int docker_get_service(const char *socket, const char *project,
		       const char *service, long timeout_ms,
		       struct container_state *st, char **cause);

#endif
