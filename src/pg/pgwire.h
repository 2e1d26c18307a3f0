/*
 * pgwire: a small client of PostgreSQL's frontend/backend protocol (v3)
 * for the probes of `odooctl health` and `odooctl monitor`: connect,
 * authenticate (trust, password, md5, SCRAM-SHA-256), simple queries with
 * text results. TLS through OpenSSL's libssl as libpq's sslmode says
 * (PGSSLMODE, PGSSLROOTCERT), no GSSAPI.
 *
 * Not libpq on purpose: libpq maps about twenty libraries (Kerberos,
 * LDAP, GnuTLS, ...: about 5.5 MB resident) into the process; the monitor
 * runs for months and its footprint target is under 8 MB. Backups,
 * restores and roles stay on libpq (pg.c, pgx.c).
 */
#ifndef ODOOCTL_PGWIRE_H
#define ODOOCTL_PGWIRE_H

#include <stddef.h>

struct pgwire;

struct pgwire_params {
	const char *host;		/* name, address, or a socket directory */
	long port;
	const char *user;
	const char *password;		/* wiped copies only; never logged */
	const char *dbname;
	const char *application_name;
	long timeout_ms;		/* connect and authenticate */
};

struct pgwire_result {
	size_t rows, cols;
	char **values;			/* rows * cols, NULL for SQL NULL */
};

/* NULL with *cause (one line, the server's message when it sent one;
 * never the password). */
struct pgwire *pgwire_connect(const struct pgwire_params *p, char **cause);
/* server_version_num as libpq's PQserverVersion computes it: 150004 */
long pgwire_server_version(const struct pgwire *c);
/* One statement, simple protocol, within timeout_ms; the result of the
 * last statement. -1 with *cause on an ErrorResponse or a broken link. */
int pgwire_query(struct pgwire *c, const char *sql, long timeout_ms,
		 struct pgwire_result *r, char **cause);
void pgwire_result_release(struct pgwire_result *r);
void pgwire_close(struct pgwire *c);

#endif
