/*
 * What the Engine API says of one container of a stack, read from its
 * JSON (an inspect, or an entry of a list): pure, so that the health
 * checks can read it from their own small Engine API client (docker_get.c)
 * as deploy does from docker.c.
 */
#ifndef ODOOCTL_STACK_STATE_H
#define ODOOCTL_STACK_STATE_H

#include <jansson.h>

#define LABEL_ENV "odooctl.env"
#define LABEL_RELEASE "odooctl.release"
#define LABEL_PROJECT "com.docker.compose.project"
#define LABEL_SERVICE "com.docker.compose.service"

struct container_state {
	char *id;
	char *name;
	char *digest;		/* odooctl.release label, or NULL */
	int running;
	int paused;		/* frozen (docker pause): running too */
	int exit_code;
	int restarts;
	char *health;		/* "healthy", "starting", ... or NULL */
	char *started_at;
	int http_port;		/* host port of 8069/tcp, or -1 */
};

/* A label of a container, from a list entry or an inspect; borrowed. */
const char *stack_label(json_t *container, const char *key);

/* Fills st from an inspect of the container asked for as id. */
void container_state_from_json(json_t *c, const char *id,
			       struct container_state *st);
void container_state_release(struct container_state *st);

/*
 * In a list of a compose project's containers, the Id of the one of
 * service (not a one-off `compose run` container; the last listed when
 * several); borrowed from list, NULL when there is none.
 */
const char *stack_service_pick(json_t *list, const char *service);

#endif
