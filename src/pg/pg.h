/* PostgreSQL through libpq: roles and ownership (the probes: pgprobe.h). */
#ifndef ODOOCTL_PG_H
#define ODOOCTL_PG_H

#include "core/config.h"

/* One connection as db_user, for several questions (opaque). */
struct pg;

/*
 * Connects to db_name, or, when that fails (it does not exist yet, or is
 * closed to db_user), to the maintenance database "postgres". NULL with
 * *cause (why not to db_name) when neither answers.
 */
struct pg *pg_open(const struct config_env *env, long timeout_s,
		   char **cause);
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
