/* pg_check and pg_probe through pgwire (pgprobe.h). */
#include "pg/pgprobe.h"
#include "pg/pgwire.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Connects; NULL with *cause (which never holds the password). */
static struct pgwire *probe_connect(const struct config_env *env,
				    const char *db, long timeout_s,
				    char **cause)
{
	struct pgwire_params p = {
		.host = env->db_host, .port = env->db_port,
		.user = env->db_user, .dbname = db,
		.application_name = "odooctl", .timeout_ms = timeout_s * 1000,
	};
	char *password, *why = NULL;
	struct pgwire *c;

	password = config_db_password(env, &why);
	if (!password) {
		*cause = xasprintf("no database password: %s", why);
		free(why);
		return NULL;
	}
	p.password = password;
	c = pgwire_connect(&p, cause);
	secret_free(password);
	return c;
}

/* The connection count and limit of a probe. */
static int probe_counts(struct pgwire *c, long timeout_ms, struct pg_probe *p,
			char **cause)
{
	struct pgwire_result r;

	if (pgwire_query(c, "SELECT (SELECT sum(numbackends) FROM "
			 "pg_stat_database)::bigint, current_setting("
			 "'max_connections')::bigint", timeout_ms, &r,
			 cause) < 0)
		return -1;
	if (r.rows != 1 || r.cols != 2) {
		*cause = xasprintf("%zu rows of %zu columns for the "
				   "connection count", r.rows, r.cols);
		pgwire_result_release(&r);
		return -1;
	}
	p->backends = r.values[0] ? atol(r.values[0]) : 0;
	p->max_connections = r.values[1] ? atol(r.values[1]) : 0;
	pgwire_result_release(&r);
	return 0;
}

static int pg_run(const struct config_env *env, const char *dbname,
		  long timeout_s, struct pg_probe *p, char **cause)
{
	const char *db = dbname ? dbname : env->db_name;
	struct pgwire *c;
	struct pgwire_result r;
	struct timespec t0;
	char *why = NULL;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	c = probe_connect(env, db, timeout_s, cause);
	if (p)
		p->connect_ms = ms_since(&t0);
	if (!c)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (p)
		p->server_version = pgwire_server_version(c);
	rc = pgwire_query(c, "SELECT 1", timeout_s * 1000, &r, &why);
	if (p)
		p->query_ms = ms_since(&t0);
	if (rc == 0) {
		pgwire_result_release(&r);
		if (p)
			rc = probe_counts(c, timeout_s * 1000, p, &why);
	}
	if (rc < 0)
		*cause = xasprintf("PostgreSQL database '%s': %s", db, why);
	free(why);
	pgwire_close(c);
	return rc;
}

int pg_check(const struct config_env *env, const char *dbname,
	     long timeout_s, char **cause)
{
	return pg_run(env, dbname, timeout_s, NULL, cause);
}

int pg_probe(const struct config_env *env, const char *dbname,
	     long timeout_s, struct pg_probe *p, char **cause)
{
	memset(p, 0, sizeof(*p));
	return pg_run(env, dbname, timeout_s, p, cause);
}
