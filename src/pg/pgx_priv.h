/*
 * pgx's second backend, for a database outside the stack (postgres_service
 * empty): the host's own psql and pg_dump, of the server's major version
 * or newer, run as subprocesses and streamed like the container's. They
 * connect with libpq's parameters from the config; the password reaches
 * them as a passfile on an inherited memfd: never in argv, never in their
 * environment, never on disk.
 */
#ifndef ODOOCTL_PGX_PRIV_H
#define ODOOCTL_PGX_PRIV_H

#include "pg/pgx.h"

/*
 * Connects once (libpq) to learn the server's version, picks the client
 * and checks its version. -2 when refused: the server is unreachable or
 * the client is older than the server (the message names the package).
 */
int pgx_host_open(const struct config_env *env, struct pgx *px,
		  char **cause);
void pgx_host_close(struct pgx *px);
/* Runs io->argv, its argv[0] ("psql", "pg_dump") from px->bindir. */
int pgx_host_run(struct pgx *px, const struct docker_exec_opts *io,
		 int *code, char **cause);

/* 150004 -> 15, 90624 -> 9. */
long pgx_major(long server_version_num);
/* The major version in "pg_dump (PostgreSQL) 15.20 (Debian ...)"; -1. */
long pgx_client_major(const char *version_line);

#endif
