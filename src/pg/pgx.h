/*
 * PostgreSQL through the stack's own postgres container: psql and pg_dump
 * of the server's own major version, run by Engine API exec with their
 * input and output streamed. They connect over the container's socket as
 * its POSTGRES_USER; a password, when one is needed, is taken from the
 * container's environment inside the container: never in argv, never in
 * odooctl's memory.
 *
 * An external database (postgres_service empty: RDS, a host's own
 * server) goes through the second backend, pgx_host.c: the host's client
 * binaries as subprocesses, same API.
 */
#ifndef ODOOCTL_PGX_H
#define ODOOCTL_PGX_H

#include "core/config.h"
#include "engine/docker.h"

struct pgx {
	struct docker *d;	/* borrowed */
	char *container;	/* id of the running postgres container */
	char *name;		/* its name, or "host:port" */
	/* external database only (pgx_host.c) */
	char *bindir;		/* the client's; NULL: the container */
	char **envp;		/* the tools' environment */
	int passfd;		/* memfd holding the passfile */
};

/*
 * Finds env's running postgres container; -2 when it is not running. For
 * an external database: -2 when it cannot be reached or the host's client
 * is older than the server.
 */
int pgx_open(struct docker *d, const struct config_env *env, struct pgx *px,
	     char **cause);
void pgx_close(struct pgx *px);
/* pgx_open, whose -2 (PostgreSQL not running) is an error too: 0 or -1. */
int pgx_open_live(struct docker *d, const struct config_env *env,
		  struct pgx *px, char **cause);

/* "name" and 'text', quoted for SQL. Caller frees. */
char *pgx_ident(const char *name);
char *pgx_literal(const char *text);
/* Whether name may name a database here: letters, digits, _ - . (1-63). */
int pgx_name_valid(const char *name);

/*
 * Runs sql (one or more statements, ON_ERROR_STOP) in db; the rows,
 * unaligned, fields separated by a tab, one per line, go to sink (may be
 * NULL).
 */
int pgx_exec(struct pgx *px, const char *db, const char *sql,
	     docker_sink_fn sink, void *arg, char **cause);
/* The same, the rows into out (bounded; more fails). */
int pgx_query(struct pgx *px, const char *db, const char *sql,
	      struct buf *out, char **cause);
/* The first field of the first row as a number; -1 on failure. */
int pgx_query_ll(struct pgx *px, const char *db, const char *sql,
		 long long *value, char **cause);

/* pg_dump --no-owner --format=p of db, streamed to sink. */
int pgx_dump(struct pgx *px, const char *db, docker_sink_fn sink, void *arg,
	     char **cause);
/*
 * psql -v ON_ERROR_STOP=1 into db, its input from source: the first SQL
 * error stops it. The caller frames the input in BEGIN ... COMMIT, so
 * an input that ends early is rolled back, never committed.
 */
int pgx_restore(struct pgx *px, const char *db, docker_source_fn source,
		void *arg, char **cause);

/* *exists: whether database name exists. */
int pgx_db_exists(struct pgx *px, const char *name, int *exists,
		  char **cause);
/* Closes every other session of database name (their work rolls back). */
int pgx_db_sessions_off(struct pgx *px, const char *name, char **cause);
/* Closes every other session of name, then drops it (if it exists). */
int pgx_db_drop(struct pgx *px, const char *name, char **cause);
/*
 * Renames databases: pairs is { from, to, from, to, ..., NULL }. Every
 * other session of each is closed first; the renames are one transaction,
 * so a swap (a -> old, b -> a) is all or nothing.
 */
int pgx_db_rename(struct pgx *px, const char *const pairs[], char **cause);
/*
 * CREATE DATABASE to TEMPLATE from (STRATEGY strategy, FILE_COPY or
 * WAL_LOG, on PostgreSQL 15 and later) owned by from's owner, every other
 * session of from closed first: a copy of a database nothing writes to.
 */
int pgx_db_clone(struct pgx *px, const char *from, const char *to,
		 const char *strategy, char **cause);

#endif
