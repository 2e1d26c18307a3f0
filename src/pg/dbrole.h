/*
 * The role Odoo connects as (config_db_owner()): a login role that may
 * create databases and is not a superuser, owner of the business database
 * and of every object in it, so that Odoo can alter what it created and
 * odooctl's restores hand it a database it can use. odooctl itself keeps
 * connecting as db_user (the cluster's superuser in the stack).
 *
 * "Every object": the database, its schemas (public included), tables,
 * partitions, views, materialized views, foreign tables, sequences (those
 * owned by a column follow their table), functions, procedures,
 * aggregates, domains, enums, range and composite types. Objects of an
 * extension stay the extension's; schemas owned by pg_database_owner
 * (PostgreSQL 15's public) count as the database owner's.
 */
#ifndef ODOOCTL_DBROLE_H
#define ODOOCTL_DBROLE_H

#include "core/config.h"
#include "pg/pg.h"
#include "pg/pgx.h"

/*
 * SQL listing (keyword, identity) of each object of the current database
 * that role does not own: "TABLE" "public.res_partner". Caller frees.
 */
char *dbrole_objects_sql(const char *role);
/* SQL giving one row: how many there are, and the first of them. */
char *dbrole_count_sql(const char *role);
/*
 * One DO block that makes role the owner of each of them, in the
 * transaction it runs in; waits for a lock 30 s at most. Caller frees.
 */
char *dbrole_reown_sql(const char *role);

/* Runs dbrole_reown_sql() in db as odooctl's role; *moved: how many. */
int dbrole_reown(struct pgx *px, const char *db, const char *role,
		 long long *moved, char **cause);

/*
 * Makes sure env's role exists (pg_role_ensure(), its password from
 * ODOO_DB_PASSWORD; set_password: set it even if the role exists). *role
 * (caller frees) is NULL when Odoo connects as db_user: nothing to do.
 */
int dbrole_ensure(const struct config_env *env, int set_password,
		  char **role, char **cause);
/* The same on pg, an open connection (NULL: one of its own, when needed). */
int dbrole_ensure_on(struct pg *pg, const struct config_env *env,
		     int set_password, char **role, char **cause);

#endif
