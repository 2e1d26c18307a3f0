/* What docker.c shares with docker_stream.c, and nothing else. */
#ifndef ODOOCTL_DOCKER_PRIV_H
#define ODOOCTL_DOCKER_PRIV_H

#include "engine/docker.h"
#include "core/util.h"

/*
 * Formats a path whose %s arguments are URL-escaped (path parts and
 * query values alike); %d is an int.
 */
char *docker_upath(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The flag of docker_set_cancel() has turned 1. */
int docker_cancelled(const struct docker *d);

#endif
