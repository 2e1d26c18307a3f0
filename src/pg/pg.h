/* PostgreSQL through libpq: reachability probes, roles and ownership. */
#ifndef ODOOCTL_PG_H
#define ODOOCTL_PG_H

#include "core/config.h"

#include <signal.h>

/*
 * Connects to dbname (NULL: env->db_name) and runs SELECT 1, all within
 * timeout_s (connection, authentication and query: a server that keeps
 * sending does not stretch it), or until *cancel is set (looked at every
 * 100 ms; NULL: never): "cancelled". The password never reaches argv or a
 * message. db_host may list several hosts ("a,b"): libpq tries each, as
 * PGTARGETSESSIONATTRS says.
 */
int pg_check(const struct config_env *env, const char *dbname,
	     long timeout_s, const volatile sig_atomic_t *cancel,
	     char **cause);

struct pg_probe {
	double connect_ms;	/* connection and authentication */
	double query_ms;	/* SELECT 1 */
	long backends;		/* sum of pg_stat_database.numbackends */
	long max_connections;
	long server_version;	/* server_version_num: 150004 */
	char server[128];	/* host:port the connection went to */
	int kept;		/* on a kept connection: connect_ms 0 */
};

/*
 * Connections a daemon keeps from one probe to the next, one per
 * database (the monitor's passes: a SCRAM login every second would be
 * most of its CPU). A kept connection that fails its query is replaced
 * by a new one within the same deadline.
 */
struct pg_keep;
struct pg_keep *pg_keep_new(void);
void pg_keep_free(struct pg_keep *k);	/* NULL: nothing */

/* pg_check, timed, with the server's connection count and limit; on a
 * connection kept in keep (NULL: a new one, closed after). */
int pg_probe(const struct config_env *env, const char *dbname,
	     long timeout_s, struct pg_keep *keep, struct pg_probe *p,
	     char **cause);

/* One connection as db_user, for several questions (opaque). */
struct pg;

/*
 * Connects to db_name, or, when that fails (it does not exist yet, or is
 * closed to db_user), to the maintenance database "postgres". NULL with
 * *cause (why not to db_name) when neither answers, or when *cancel is
 * set (NULL: never) while it waits: "cancelled".
 */
struct pg *pg_open(const struct config_env *env, long timeout_s,
		   const volatile sig_atomic_t *cancel, char **cause);
void pg_close(struct pg *pg);
/* Why pg is not connected to db_name (borrowed), or NULL when it is. */
const char *pg_db_why(const struct pg *pg);

/*
 * Whether role (NULL: the role odooctl connects as) is a superuser:
 * *super 1 or 0; -1 with *cause when it cannot be told.
 */
int pg_role_superuser(struct pg *pg, const char *role, int *super,
		      char **cause);

/*
 * Makes role (not db_user) a LOGIN CREATEDB NOSUPERUSER NOCREATEROLE role
 * with password, sent as a SCRAM-SHA-256 verifier computed here (the
 * server never sees it in clear): created when missing (*created 1); when
 * it exists, its password is set only with set_password. A role that is a
 * superuser is an error: it is not made one or unmade.
 */
int pg_role_ensure(struct pg *pg, const char *role, const char *password,
		   int set_password, int *created, char **cause);

/*
 * Runs sql (one row: a count, a text; dbrole_count_sql()) in db_name:
 * *count 0 and *first NULL when the database does not exist. *first is the
 * caller's.
 */
int pg_db_foreign(struct pg *pg, const char *sql, long long *count,
		  char **first, char **cause);

#endif
