#include "pg/pg.h"
#include "core/util.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "WHAT: " (when what is not NULL) and the first line of conn's error. */
static char *pg_error(PGconn *conn, const char *what)
{
	const char *msg = PQerrorMessage(conn);

	return xasprintf("%s%s%.*s", what ? what : "", what ? ": " : "",
			 (int)strcspn(msg, "\n"), msg);
}

/* Connects; NULL with *cause (which never holds the password).
 * To a local host, GSSAPI encryption is not negotiated (unless PGGSSENCMODE
 * says otherwise): on loopback it protects nothing, and libpq's probe for
 * Kerberos credentials loads and initialises the krb5 libraries in every
 * process that connects, a long-running monitor included. */
static PGconn *pg_connect(const struct config_env *env, const char *dbname,
			  long timeout_s, char **cause)
{
	char port[16], timeout[16], *password, *why = NULL;
	const char *keys[] = { "host", "port", "user", "password", "dbname",
			       "connect_timeout", "application_name",
			       "gssencmode", NULL };
	const char *values[9];
	PGconn *conn;

	password = config_db_password(env, &why);
	if (!password) {
		*cause = xasprintf("no database password: %s", why);
		free(why);
		return NULL;
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
	values[7] = host_is_local(env->db_host) && !getenv("PGGSSENCMODE") ?
			    "disable" : NULL;
	values[8] = NULL;
	conn = PQconnectdbParams(keys, values, 0);
	secret_free(password);
	if (PQstatus(conn) != CONNECTION_OK) {
		char *msg = str_one_line(xstrdup(PQerrorMessage(conn)));

		*cause = xasprintf("cannot connect to PostgreSQL database "
				   "'%s' at %s:%ld: %s", values[4],
				   env->db_host, env->db_port, msg);
		free(msg);
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

struct pg {
	PGconn *conn;
	const struct config_env *env;
	char *db_why;	/* why not to db_name; NULL when it is */
};

struct pg *pg_open(const struct config_env *env, long timeout_s,
		   char **cause)
{
	struct pg *pg = xcalloc(1, sizeof(*pg));
	char *why = NULL;

	pg->env = env;
	pg->conn = pg_connect(env, NULL, timeout_s, &pg->db_why);
	if (!pg->conn)	/* db_name may not exist yet, or be closed to us */
		pg->conn = pg_connect(env, "postgres", timeout_s, &why);
	if (!pg->conn) {
		*cause = pg->db_why;
		free(why);
		free(pg);
		return NULL;
	}
	return pg;
}

void pg_close(struct pg *pg)
{
	if (!pg)
		return;
	PQfinish(pg->conn);
	free(pg->db_why);
	free(pg);
}

const char *pg_db_why(const struct pg *pg)
{
	return pg->db_why;
}

int pg_role_superuser(struct pg *pg, const char *role, int *super,
		      char **cause)
{
	const char *params[1] = { role };
	PGconn *conn = pg->conn;
	PGresult *res;
	int rc = -1;

	*super = -1;
	res = role ? PQexecParams(conn, "SELECT rolsuper FROM pg_roles WHERE "
				  "rolname = $1", 1, NULL, params, NULL, NULL,
				  0)
		   : PQexec(conn, "SELECT rolsuper FROM pg_roles WHERE "
			    "rolname = current_user");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		*cause = pg_error(conn, "cannot read pg_roles");
	else if (PQntuples(res) != 1)
		*cause = xasprintf("no role '%s' in PostgreSQL", role);
	else
		rc = 0;
	if (rc == 0)
		*super = !strcmp(PQgetvalue(res, 0, 0), "t");
	PQclear(res);
	return rc;
}

/* One row of one text column, or "" when no row; NULL with *cause. */
static char *pg_value(PGconn *conn, const char *sql, const char *param,
		      int col, char **cause)
{
	const char *params[1] = { param };
	PGresult *res = PQexecParams(conn, sql, param ? 1 : 0, NULL, params,
				     NULL, NULL, 0);
	char *v = NULL;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		*cause = pg_error(conn, NULL);
	else
		v = xstrdup(PQntuples(res) ? PQgetvalue(res, 0, col) : "");
	PQclear(res);
	return v;
}

/* Runs a statement that may hold a secret: wiped, never in a message. */
static int pg_secret_exec(PGconn *conn, char *sql, const char *what,
			  char **cause)
{
	PGresult *res = PQexec(conn, sql);
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;

	if (rc < 0) {
		char *cannot = xasprintf("cannot %s", what);

		*cause = pg_error(conn, cannot);
		free(cannot);
	}
	PQclear(res);
	explicit_bzero(sql, strlen(sql));
	free(sql);
	return rc;
}

static int role_write(PGconn *conn, const char *role, const char *password,
		      int create, char **cause)
{
	char *verifier, *id, *lit;
	int rc = -1;

	verifier = PQencryptPasswordConn(conn, password, role,
					 "scram-sha-256");
	if (!verifier) {
		*cause = xasprintf("cannot hash the password of role '%s': "
				   "%s", role, PQerrorMessage(conn));
		return -1;
	}
	id = PQescapeIdentifier(conn, role, strlen(role));
	lit = PQescapeLiteral(conn, verifier, strlen(verifier));
	explicit_bzero(verifier, strlen(verifier));
	PQfreemem(verifier);
	if (id && lit) {
		char *sql, *what;

		sql = xasprintf("%s ROLE %s WITH LOGIN CREATEDB NOSUPERUSER "
				"NOCREATEROLE PASSWORD %s", create ? "CREATE" :
				"ALTER", id, lit);
		what = xasprintf("%s role '%s'", create ? "create" : "alter",
				 role);
		rc = pg_secret_exec(conn, sql, what, cause);
		free(what);
	} else {
		*cause = xasprintf("cannot quote role '%s'", role);
	}
	if (lit)
		explicit_bzero(lit, strlen(lit));
	PQfreemem(lit);
	PQfreemem(id);
	return rc;
}

int pg_role_ensure(struct pg *pg, const char *role, const char *password,
		   int set_password, int *created, char **cause)
{
	PGconn *conn = pg->conn;
	char *super, *why = NULL;
	int rc = -1;

	*created = 0;
	super = pg_value(conn, "SELECT rolsuper FROM pg_roles WHERE "
			 "rolname = $1", role, 0, &why);
	if (!super) {
		*cause = xasprintf("cannot read pg_roles: %s", why);
		free(why);
	} else if (!strcmp(super, "t")) {
		*cause = xasprintf("role '%s' is a PostgreSQL superuser: Odoo "
				   "needs a role of its own (ODOO_DB_USER)",
				   role);
	} else if (!*super || set_password) {
		*created = !*super;
		rc = role_write(conn, role, password, *created, cause);
	} else {
		rc = 0;
	}
	free(super);
	return rc;
}

int pg_db_foreign(struct pg *pg, const char *sql, long long *count,
		  char **first, char **cause)
{
	const char *db = pg->env->db_name;
	PGresult *res;
	int rc = -1;

	*count = 0;
	*first = NULL;
	if (pg->db_why) {	/* connected to "postgres" */
		char *exists = pg_value(pg->conn, "SELECT 1 FROM pg_database "
					"WHERE datname = $1", db, 0, cause);

		if (exists && *exists)
			*cause = xstrdup(pg->db_why);
		rc = exists && !*exists ? 0 : -1;
		free(exists);
		return rc;
	}
	res = PQexec(pg->conn, sql);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    PQnfields(res) == 2) {
		*count = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		*first = xstrdup(PQgetvalue(res, 0, 1));
		rc = 0;
	} else {
		char *what = xasprintf("database '%s'", db);

		*cause = pg_error(pg->conn, what);
		free(what);
	}
	PQclear(res);
	return rc;
}
