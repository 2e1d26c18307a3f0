#include "pg/pg.h"
#include "core/util.h"

#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "WHAT: " (when what is not NULL) and the first line of conn's error. */
static char *pg_error(PGconn *conn, const char *what)
{
	const char *msg = PQerrorMessage(conn);

	return xasprintf("%s%s%.*s", what ? what : "", what ? ": " : "",
			 (int)strcspn(msg, "\n"), msg);
}

#define SLICE_MS 100

/* Hosts on this machine: unix socket directories or loopback addresses
 * (libpq's host may be a comma-separated list). */
static int hosts_local(const char *hosts)
{
	char *list = xstrdup(hosts ? hosts : ""), *save = NULL, *h;
	int local = 1;

	for (h = strtok_r(list, ",", &save); h && local;
	     h = strtok_r(NULL, ",", &save))
		local = host_is_local(h);
	free(list);
	return local;
}

/* Waits until conn's socket is ready (out: for writing), the deadline or
 * cancel; -1 with *why then. */
static int pg_wait(PGconn *conn, int out, long long deadline,
		   const volatile sig_atomic_t *cancel, char **why)
{
	struct pollfd pfd = { .fd = PQsocket(conn),
			      .events = out ? POLLOUT : POLLIN };

	for (;;) {
		long long left = deadline - clock_ms();
		int n;

		if (cancel && *cancel) {
			*why = xstrdup("cancelled");
			return -1;
		}
		if (left <= 0) {
			*why = xstrdup("timeout expired");
			return -1;
		}
		if (pfd.fd < 0) {
			*why = xstrdup("no socket");
			return -1;
		}
		n = poll(&pfd, 1, (int)(left < SLICE_MS ? left : SLICE_MS));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR) {
			*why = xstrdup(strerror(errno));
			return -1;
		}
	}
}

/* PQconnectPoll until connected, failed, the deadline or cancel. */
static int pg_poll_connect(PGconn *conn, long long deadline,
			   const volatile sig_atomic_t *cancel, char **why)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;

	for (;;) {
		if (st == PGRES_POLLING_OK)
			return 0;
		if (st == PGRES_POLLING_FAILED) {
			*why = str_one_line(xstrdup(PQerrorMessage(conn)));
			return -1;
		}
		if (pg_wait(conn, st == PGRES_POLLING_WRITING, deadline,
			    cancel, why) < 0)
			return -1;
		st = PQconnectPoll(conn);
	}
}

/*
 * Connects within timeout_ms over the whole of it (name lookups aside),
 * each host of a multi-host db_host in turn as libpq does; NULL with
 * *cause (which never holds the password). To local hosts only, neither
 * GSSAPI encryption nor TLS is negotiated unless PGGSSENCMODE or
 * PGSSLMODE ask for it: on loopback they protect nothing, libpq's probe
 * for Kerberos credentials initialises the krb5 libraries in every
 * process that connects, and a TLS handshake at every probe was most of
 * the monitor's CPU (bench/monitor-footprint). A statement may run for
 * timeout_ms (statement_timeout). Everything else (sslmode, sslrootcert,
 * target_session_attrs, passfile, service...) is libpq's reading of the
 * environment.
 */
static PGconn *pg_dial(const struct config_env *env, const char *dbname,
		       long timeout_ms, const volatile sig_atomic_t *cancel,
		       char **cause)
{
	char port[24], timeout[24], options[48], *password, *why = NULL;
	const char *keys[] = { "host", "port", "user", "password", "dbname",
			       "connect_timeout", "application_name",
			       "options", "gssencmode", "sslmode", NULL };
	const char *values[11];
	int local = hosts_local(env->db_host);
	long long deadline = clock_ms() + timeout_ms;
	PGconn *conn;

	password = config_db_password(env, &why);
	if (!password) {
		*cause = xasprintf("no database password: %s", why);
		free(why);
		return NULL;
	}
	snprintf(port, sizeof(port), "%ld", env->db_port);
	snprintf(timeout, sizeof(timeout), "%ld", (timeout_ms + 999) / 1000);
	snprintf(options, sizeof(options), "-c statement_timeout=%ld",
		 timeout_ms);
	values[0] = env->db_host;
	values[1] = port;
	values[2] = env->db_user;
	values[3] = password;
	values[4] = dbname ? dbname : env->db_name;
	values[5] = timeout;
	values[6] = "odooctl";
	values[7] = options;
	values[8] = local && !getenv("PGGSSENCMODE") ? "disable" : NULL;
	values[9] = local && !getenv("PGSSLMODE") ? "disable" : NULL;
	values[10] = NULL;
	conn = PQconnectStartParams(keys, values, 0);
	secret_free(password);
	if (!conn || PQstatus(conn) == CONNECTION_BAD ||
	    pg_poll_connect(conn, deadline, cancel, &why) < 0) {
		if (!why)
			why = str_one_line(xstrdup(conn ? PQerrorMessage(conn)
						   : "out of memory"));
		*cause = xasprintf("cannot connect to PostgreSQL database "
				   "'%s' at %s:%ld: %s", values[4],
				   env->db_host, env->db_port, strtrim(why));
		free(why);
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

static PGconn *pg_connect(const struct config_env *env, const char *dbname,
			  long timeout_s, const volatile sig_atomic_t *cancel,
			  char **cause)
{
	return pg_dial(env, dbname, timeout_s * 1000, cancel, cause);
}

struct pg {
	PGconn *conn;
	const struct config_env *env;
	char *db_why;	/* why not to db_name; NULL when it is */
};

struct pg *pg_open(const struct config_env *env, long timeout_s,
		   const volatile sig_atomic_t *cancel, char **cause)
{
	struct pg *pg = xcalloc(1, sizeof(*pg));
	char *why = NULL;

	pg->env = env;
	pg->conn = pg_connect(env, NULL, timeout_s, cancel, &pg->db_why);
	if (!pg->conn)	/* db_name may not exist yet, or be closed to us */
		pg->conn = pg_connect(env, "postgres", timeout_s, cancel, &why);
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

/* ---- probes -------------------------------------------------------------- */

/* One statement within the deadline: its result, or NULL with *why. */
static PGresult *pg_query(PGconn *conn, const char *sql, long long deadline,
			  const volatile sig_atomic_t *cancel, char **why)
{
	PGresult *res = NULL, *r;

	if (!PQsendQuery(conn, sql)) {
		*why = str_one_line(xstrdup(PQerrorMessage(conn)));
		return NULL;
	}
	for (;;) {
		while (!PQisBusy(conn)) {
			r = PQgetResult(conn);
			if (!r)
				goto done;
			PQclear(res);
			res = r;
		}
		if (pg_wait(conn, 0, deadline, cancel, why) < 0)
			break;
		if (!PQconsumeInput(conn)) {
			*why = str_one_line(xstrdup(PQerrorMessage(conn)));
			break;
		}
	}
	PQclear(res);
	return NULL;
done:
	if (PQresultStatus(res) != PGRES_TUPLES_OK &&
	    PQresultStatus(res) != PGRES_COMMAND_OK) {
		*why = str_one_line(xstrdup(res ? PQresultErrorMessage(res) :
					    PQerrorMessage(conn)));
		PQclear(res);
		return NULL;
	}
	return res;
}

static long long now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static double ms_since(long long t0_us)
{
	return (double)(now_us() - t0_us) / 1e3;
}

/* The connection count and limit, and where the connection went. */
static int probe_counts(PGconn *conn, long long deadline, struct pg_probe *p,
			char **why)
{
	PGresult *res = pg_query(conn, "SELECT (SELECT sum(numbackends) FROM "
				 "pg_stat_database)::bigint, current_setting("
				 "'max_connections')::bigint", deadline, NULL,
				 why);

	if (!res)
		return -1;
	if (PQntuples(res) != 1 || PQnfields(res) != 2) {
		*why = xasprintf("%d rows of %d columns for the connection "
				 "count", PQntuples(res), PQnfields(res));
		PQclear(res);
		return -1;
	}
	p->backends = atol(PQgetvalue(res, 0, 0));
	p->max_connections = atol(PQgetvalue(res, 0, 1));
	PQclear(res);
	snprintf(p->server, sizeof(p->server), "%s:%s", PQhost(conn),
		 PQport(conn));
	return 0;
}

/* ---- connections kept between probes ------------------------------------ */

#define KEEP_MAX 4

struct pg_keep {
	char *key[KEEP_MAX];	/* host, port, user, database */
	PGconn *conn[KEEP_MAX];
};

struct pg_keep *pg_keep_new(void)
{
	return xcalloc(1, sizeof(struct pg_keep));
}

void pg_keep_free(struct pg_keep *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < KEEP_MAX; i++) {
		free(k->key[i]);
		PQfinish(k->conn[i]);
	}
	free(k);
}

static char *keep_key(const struct config_env *env, const char *db)
{
	return xasprintf("%s\n%ld\n%s\n%s", env->db_host, env->db_port,
			 env->db_user, db);
}

/* The kept connection of key, taken out of k; NULL when none. */
static PGconn *keep_take(struct pg_keep *k, const char *key)
{
	for (size_t i = 0; k && i < KEEP_MAX; i++) {
		if (k->key[i] && !strcmp(k->key[i], key)) {
			PGconn *c = k->conn[i];

			free(k->key[i]);
			k->key[i] = NULL;
			k->conn[i] = NULL;
			return c;
		}
	}
	return NULL;
}

/* Keeps conn under key (in a free slot, else instead of the first). */
static void keep_put(struct pg_keep *k, const char *key, PGconn *conn)
{
	size_t i = 0;

	while (i < KEEP_MAX && k->key[i])
		i++;
	if (i == KEEP_MAX) {
		i = 0;
		free(k->key[0]);
		PQfinish(k->conn[0]);
	}
	k->key[i] = xstrdup(key);
	k->conn[i] = conn;
}

/* ---- probes, run --------------------------------------------------------- */

/* SELECT 1 and, for a probe, the counts; -1 with *why. */
static int probe_queries(PGconn *conn, long long deadline,
			 const volatile sig_atomic_t *cancel,
			 struct pg_probe *p, char **why)
{
	long long t0 = now_us();
	PGresult *res = pg_query(conn, "SELECT 1", deadline, cancel, why);

	if (p) {
		p->query_ms = ms_since(t0);
		p->server_version = PQserverVersion(conn);
	}
	if (!res)
		return -1;
	PQclear(res);
	return p ? probe_counts(conn, deadline, p, why) : 0;
}

static int pg_run(const struct config_env *env, const char *dbname,
		  long timeout_s, const volatile sig_atomic_t *cancel,
		  struct pg_keep *keep, struct pg_probe *p, char **cause)
{
	const char *db = dbname ? dbname : env->db_name;
	long long t0 = now_us(), deadline = clock_ms() + timeout_s * 1000;
	char *key = keep ? keep_key(env, db) : NULL, *why = NULL;
	PGconn *conn = keep_take(keep, key);
	int rc = -1;

	/* a kept connection that broke (a restart, a failover) is no
	 * verdict: a new one within the same deadline is */
	if (conn && probe_queries(conn, deadline, cancel, p, &why) == 0) {
		if (p)
			p->kept = 1;
		rc = 0;
		goto out;
	}
	PQfinish(conn);
	free(why);
	why = NULL;
	t0 = now_us();
	conn = pg_dial(env, db, deadline - clock_ms(), cancel, cause);
	if (p)
		p->connect_ms = ms_since(t0);
	if (!conn)
		goto out;
	rc = probe_queries(conn, deadline, cancel, p, &why);
	if (rc < 0)
		*cause = xasprintf("PostgreSQL database '%s': %s", db, why);
out:
	if (rc == 0 && keep)
		keep_put(keep, key, conn);
	else
		PQfinish(conn);
	free(why);
	free(key);
	return rc;
}

int pg_check(const struct config_env *env, const char *dbname,
	     long timeout_s, const volatile sig_atomic_t *cancel,
	     char **cause)
{
	return pg_run(env, dbname, timeout_s, cancel, NULL, NULL, cause);
}

int pg_probe(const struct config_env *env, const char *dbname,
	     long timeout_s, struct pg_keep *keep, struct pg_probe *p,
	     char **cause)
{
	memset(p, 0, sizeof(*p));
	return pg_run(env, dbname, timeout_s, NULL, keep, p, cause);
}
