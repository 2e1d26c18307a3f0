/*
 * PostgreSQL reachability probes for `odooctl health`, the monitor and the
 * gates, through pgwire (pgwire.h), not libpq: a program that links only
 * these does not map libpq and its libraries.
 */
#ifndef ODOOCTL_PGPROBE_H
#define ODOOCTL_PGPROBE_H

#include "core/config.h"

/*
 * Connects to dbname (NULL: env->db_name) within timeout_s and runs
 * SELECT 1. The password never reaches argv or a message.
 */
int pg_check(const struct config_env *env, const char *dbname,
	     long timeout_s, char **cause);

struct pg_probe {
	double connect_ms;	/* connection and authentication */
	double query_ms;	/* SELECT 1 */
	long backends;		/* sum of pg_stat_database.numbackends */
	long max_connections;
	long server_version;	/* server_version_num: 150004 */
};

/* pg_check, timed, with the server's connection count and limit. */
int pg_probe(const struct config_env *env, const char *dbname,
	     long timeout_s, struct pg_probe *p, char **cause);

#endif
