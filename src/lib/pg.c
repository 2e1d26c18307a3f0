#include "pg.h"
#include "util.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pg_check(const struct config_env *env, const char *dbname,
	     long timeout_s, char **cause)
{
	char port[16], timeout[16], *password, *why = NULL;
	const char *keys[] = { "host", "port", "user", "password", "dbname",
			       "connect_timeout", "application_name", NULL };
	const char *values[8];
	PGconn *conn;
	PGresult *res;
	int rc = -1;

	password = config_db_password(env, &why);
	if (!password) {
		*cause = xasprintf("no database password: %s", why);
		free(why);
		return -1;
	}
	snprintf(port, sizeof(port), "%ld", env->db_port);
	snprintf(timeout, sizeof(timeout), "%ld", timeout_s);
	values[0] = env->db_host;
	values[1] = port;
	values[2] = env->db_user;
	values[3] = password;
	values[4] = dbname ? dbname : env->db_name;
	values[5] = timeout;
	values[6] = "odooctl";
	values[7] = NULL;
	conn = PQconnectdbParams(keys, values, 0);
	secret_free(password);
	if (PQstatus(conn) != CONNECTION_OK) {
		char *msg = xstrdup(PQerrorMessage(conn));

		for (char *c = msg; *c; c++)	/* one line, for logs */
			if (*c == '\n' || *c == '\t')
				*c = ' ';

		*cause = xasprintf("cannot connect to PostgreSQL database "
				   "'%s' at %s:%ld: %s", values[4],
				   env->db_host, env->db_port, strtrim(msg));
		free(msg);
		goto out;
	}
	res = PQexec(conn, "SELECT 1");
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		rc = 0;
	else
		*cause = xasprintf("PostgreSQL database '%s': %.*s", values[4],
				   (int)strcspn(PQerrorMessage(conn), "\n"),
				   PQerrorMessage(conn));
	PQclear(res);
out:
	PQfinish(conn);
	return rc;
}
