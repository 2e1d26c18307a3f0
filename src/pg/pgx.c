#include "pg/pgx.h"
#include "pg/pgx_priv.h"
#include "stack/stack.h"
#include "core/util.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR_TAIL	(8u << 10)
#define QUERY_MAX	(16u << 20)

/*
 * Runs "$@" as the container's superuser: the official image (and ours)
 * trusts its socket; a password, if the server wants one, comes from the
 * container's own environment, inside the container.
 */
static const char pg_env_script[] =
	"export PGUSER=\"${PGUSER:-${POSTGRES_USER:-postgres}}\"; "
	"if [ -n \"${POSTGRES_PASSWORD_FILE:-}\" ]; then "
	"PGPASSWORD=$(cat \"$POSTGRES_PASSWORD_FILE\") && export PGPASSWORD; "
	"elif [ -n \"${POSTGRES_PASSWORD:-}\" ]; then "
	"export PGPASSWORD=\"$POSTGRES_PASSWORD\"; fi; exec \"$@\"";

int pgx_open(struct docker *d, const struct config_env *env, struct pgx *px,
	     char **cause)
{
	struct container_state st;

	memset(px, 0, sizeof(*px));
	px->d = d;
	px->passfd = -1;
	if (config_db_external(env))
		return pgx_host_open(env, px, cause);
	if (stack_service_state(d, env, env->postgres_service, &st, cause) < 0)
		return -1;
	if (!st.id || !st.running) {
		*cause = xasprintf("the '%s' service of %s (project '%s') is "
				   "not running", env->postgres_service,
				   env->name, env->compose_project);
		container_state_release(&st);
		return -2;
	}
	px->container = st.id;
	px->name = st.name;
	st.id = st.name = NULL;
	container_state_release(&st);
	return 0;
}

void pgx_close(struct pgx *px)
{
	if (px->bindir)
		pgx_host_close(px);
	free(px->container);
	free(px->name);
	memset(px, 0, sizeof(*px));
}

int pgx_open_live(struct docker *d, const struct config_env *env,
		  struct pgx *px, char **cause)
{
	int rc = pgx_open(d, env, px, cause);

	if (rc == -2 && !*cause)
		*cause = xasprintf("PostgreSQL of %s is not running",
				   env->name);
	return rc < 0 ? -1 : 0;
}

static char *quote(const char *s, char q)
{
	struct buf b;

	buf_init(&b, SIZE_MAX);
	buf_append(&b, &q, 1);
	for (; *s; s++) {
		if (*s == q)
			buf_append(&b, &q, 1);
		buf_append(&b, s, 1);
	}
	buf_append(&b, &q, 1);
	return buf_detach(&b, NULL);
}

char *pgx_ident(const char *name)
{
	return quote(name, '"');
}

char *pgx_literal(const char *text)
{
	return quote(text, '\'');
}

int pgx_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 63)
		return 0;
	for (; *name; name++)
		if (!isalnum((unsigned char)*name) && !strchr("_-.", *name))
			return 0;
	return 1;
}

/* The last ERROR: (or FATAL:) line of what the tool said, else its last. */
static char *last_words(const struct buf *err)
{
	char *s = xstrdup(err->data ? err->data : ""), *line = NULL, *t;
	const char *const marks[] = { "ERROR:", "FATAL:" };

	for (size_t i = 0; i < ARRAY_SIZE(marks) && !line; i++)
		for (t = strstr(s, marks[i]); t; t = strstr(t + 1, marks[i]))
			line = t;
	for (t = s + strlen(s); t > s && (t[-1] == '\n' || t[-1] == ' ');)
		*--t = '\0';
	if (!line) {
		line = strrchr(s, '\n');
		line = line ? line + 1 : s;
	}
	/* "psql:<stdin>:12: ERROR: x" -> keep from ERROR on, that line */
	line[strcspn(line, "\n")] = '\0';
	t = xstrdup(strtrim(line));
	free(s);
	return t;
}

/* Runs a PostgreSQL tool in the container; its exit code judges it. */
static int pg_tool(struct pgx *px, const char *const argv[],
		   const struct docker_exec_opts *io, const char *what,
		   char **cause)
{
	const char *full[24] = { "sh", "-c", pg_env_script, "odooctl" };
	struct docker_exec_opts o = *io;
	struct buf err;
	char *why = NULL;
	size_t n = 4;
	int code = -1, rc = -1;

	for (size_t i = 0; argv[i] && n < ARRAY_SIZE(full) - 1; i++)
		full[n++] = argv[i];
	full[n] = NULL;
	buf_init(&err, ERR_TAIL);
	o.argv = full;
	o.label = argv[0];
	o.err = &err;
	if (px->bindir)
		o.argv = argv;
	if (px->bindir ? pgx_host_run(px, &o, &code, &why) < 0 :
	    docker_exec_stream(px->d, px->name, &o, &code, &why) < 0) {
		*cause = xasprintf("%s: %s", what, why);
	} else if (code != 0) {
		char *words = last_words(&err);

		*cause = xasprintf("%s: %s exited with %d%s%s", what, argv[0],
				   code, *words ? ": " : "", words);
		free(words);
	} else {
		rc = 0;
	}
	buf_release(&err);
	free(why);
	return rc;
}

int pgx_exec(struct pgx *px, const char *db, const char *sql,
	     docker_sink_fn sink, void *arg, char **cause)
{
	const char *const argv[] = { "psql", "-X", "-q", "-A", "-t",
				     "-v", "ON_ERROR_STOP=1", "-F", "\t",
				     "-d", db, "-c", sql, NULL };
	struct docker_exec_opts o = { .out = sink, .out_arg = arg };
	char *what = xasprintf("psql in database '%s'", db);
	int rc = pg_tool(px, argv, &o, what, cause);

	free(what);
	return rc;
}

int pgx_query(struct pgx *px, const char *db, const char *sql,
	      struct buf *out, char **cause)
{
	return pgx_exec(px, db, sql, docker_sink_buf, out, cause);
}

int pgx_query_ll(struct pgx *px, const char *db, const char *sql,
		 long long *value, char **cause)
{
	struct buf out;
	char *end;
	int rc = -1;

	buf_init(&out, 1 << 16);
	if (pgx_query(px, db, sql, &out, cause) == 0) {
		*value = strtoll(out.data ? out.data : "", &end, 10);
		if (end == out.data || !out.data || (*end && *end != '\n' &&
						     *end != '\t'))
			*cause = xasprintf("psql in database '%s': expected "
					   "a number from '%s'", db, sql);
		else
			rc = 0;
	}
	buf_release(&out);
	return rc;
}

int pgx_dump(struct pgx *px, const char *db, docker_sink_fn sink, void *arg,
	     char **cause)
{
	const char *const argv[] = { "pg_dump", "--no-owner", "--format=p",
				     "-d", db, NULL };
	struct docker_exec_opts o = { .out = sink, .out_arg = arg };
	char *what = xasprintf("cannot dump database '%s'", db);
	int rc = pg_tool(px, argv, &o, what, cause);

	free(what);
	return rc;
}

int pgx_restore(struct pgx *px, const char *db, docker_source_fn source,
		void *arg, char **cause)
{
	const char *const argv[] = { "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
				     "-o", "/dev/null", "-d", db, NULL };
	struct docker_exec_opts o = { .in = source, .in_arg = arg };
	char *what = xasprintf("cannot restore into database '%s'", db);
	int rc = pg_tool(px, argv, &o, what, cause);

	free(what);
	return rc;
}

int pgx_db_exists(struct pgx *px, const char *name, int *exists,
		  char **cause)
{
	char *lit = pgx_literal(name);
	char *sql = xasprintf("SELECT count(*) FROM pg_database WHERE "
			      "datname = %s", lit);
	long long n = 0;
	int rc = pgx_query_ll(px, "postgres", sql, &n, cause);

	*exists = n > 0;
	free(sql);
	free(lit);
	return rc;
}

static char *sessions_off(const char *lit)
{
	return xasprintf("SELECT count(pg_terminate_backend(pid)) FROM "
			 "pg_stat_activity WHERE datname = %s AND pid <> "
			 "pg_backend_pid();", lit);
}

int pgx_db_sessions_off(struct pgx *px, const char *name, char **cause)
{
	char *lit = pgx_literal(name), *off = sessions_off(lit);
	int rc = pgx_exec(px, "postgres", off, NULL, NULL, cause);

	free(off);
	free(lit);
	return rc;
}

int pgx_db_drop(struct pgx *px, const char *name, char **cause)
{
	char *lit = pgx_literal(name), *id = pgx_ident(name);
	char *off = sessions_off(lit);
	char *drop = xasprintf("DROP DATABASE IF EXISTS %s;", id);
	int rc = pgx_exec(px, "postgres", off, NULL, NULL, cause);

	if (rc == 0)
		rc = pgx_exec(px, "postgres", drop, NULL, NULL, cause);
	free(drop);
	free(off);
	free(id);
	free(lit);
	return rc;
}

int pgx_db_rename(struct pgx *px, const char *const pairs[], char **cause)
{
	struct buf off, sql;
	int rc;

	buf_init(&off, SIZE_MAX);
	buf_init(&sql, SIZE_MAX);
	for (size_t i = 0; pairs[i] && pairs[i + 1]; i += 2) {
		char *lit = pgx_literal(pairs[i]), *s = sessions_off(lit);
		char *a = pgx_ident(pairs[i]), *b = pgx_ident(pairs[i + 1]);

		buf_printf(&off, "%s", s);
		buf_printf(&sql, "ALTER DATABASE %s RENAME TO %s; ", a, b);
		free(b);
		free(a);
		free(s);
		free(lit);
	}
	rc = pgx_exec(px, "postgres", off.data, NULL, NULL, cause);
	if (rc == 0)
		rc = pgx_exec(px, "postgres", sql.data, NULL, NULL, cause);
	buf_release(&sql);
	buf_release(&off);
	return rc;
}

/*
 * The owner of from, and its sessions closed just before the copy: a
 * template must have none. A session that comes back between the two
 * (a monitor's probe) makes PostgreSQL refuse; a few tries.
 */
int pgx_db_clone(struct pgx *px, const char *from, const char *to,
		 const char *strategy, char **cause)
{
	char *lit = pgx_literal(from), *src = pgx_ident(from);
	char *dst = pgx_ident(to), *off = sessions_off(lit), *sql = NULL;
	char *owner_sql = xasprintf("SELECT quote_ident(pg_get_userbyid("
				    "datdba)) FROM pg_database WHERE datname "
				    "= %s", lit);
	struct buf owner;
	long long version = 0;
	int rc;

	buf_init(&owner, 1 << 10);
	rc = pgx_query(px, "postgres", owner_sql, &owner, cause);
	if (rc == 0 && !*strtrim(owner.data ? owner.data : "")) {
		*cause = xasprintf("database '%s' does not exist", from);
		rc = -1;
	}
	if (rc == 0)
		rc = pgx_query_ll(px, "postgres", "SHOW server_version_num",
				  &version, cause);
	if (rc == 0)	/* STRATEGY is PostgreSQL 15's; older ones copy files */
		sql = xasprintf("CREATE DATABASE %s TEMPLATE %s OWNER %s%s%s;",
				dst, src, strtrim(owner.data),
				version >= 150000 ? " STRATEGY " : "",
				version >= 150000 ? strategy : "");
	for (int tries = 0; rc == 0; tries++) {
		char *why = NULL;

		if (pgx_exec(px, "postgres", off, NULL, NULL, cause) < 0) {
			rc = -1;
			break;
		}
		if (pgx_exec(px, "postgres", sql, NULL, NULL, &why) == 0)
			break;
		if (tries < 4 && strstr(why, "being accessed by other users")) {
			free(why);
			continue;
		}
		*cause = why;
		rc = -1;
	}
	buf_release(&owner);
	free(sql);
	free(owner_sql);
	free(off);
	free(dst);
	free(src);
	free(lit);
	return rc;
}
