#include "pg/pgx_priv.h"
#include "pg/pg.h"
#include "core/proc.h"
#include "core/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PG_LIBDIR	"/usr/lib/postgresql"
#define PROBE_TIMEOUT_S	10
#define PASSFILE_FD	"3"

static const char *const tools[] = { "pg_dump", "psql" };

/* Connection settings of ours; the rest of odooctl's PG* (PGSSLMODE...) stay. */
static const char *const replaced[] = {
	"PGHOST=", "PGHOSTADDR=", "PGPORT=", "PGUSER=", "PGDATABASE=",
	"PGPASSWORD=", "PGPASSFILE=", "PGSERVICE=", "PGAPPNAME=",
	"PGCONNECT_TIMEOUT=", "PGCLIENTENCODING=", NULL
};

long pgx_major(long server_version_num)
{
	return server_version_num / 10000;
}

long pgx_client_major(const char *version_line)
{
	const char *p = strstr(version_line, "(PostgreSQL) ");
	char *end;
	long v;

	if (!p)
		return -1;
	p += strlen("(PostgreSQL) ");
	v = strtol(p, &end, 10);
	return end == p || v <= 0 ? -1 : v;
}

/* The lowest major version of tool's "--version" in bindir; -1 and *cause. */
static long client_major(const char *bindir, char **cause)
{
	long major = -1;

	for (size_t i = 0; i < ARRAY_SIZE(tools); i++) {
		char *path = xasprintf("%s/%s", bindir, tools[i]);
		const char *const argv[] = { path, "--version", NULL };
		struct buf out;
		int status = 0;
		long m = -1;

		buf_init(&out, 4096);
		if (access(path, X_OK) != 0)
			*cause = xasprintf("no PostgreSQL client '%s': %s",
					   path, strerror(errno));
		else if (proc_run(argv, environ, &out, &status, cause) == 0 &&
			 (m = pgx_client_major(out.data ? out.data : "")) < 0)
			*cause = xasprintf("'%s --version' said no version: "
					   "%s", path, strtrim(out.data ?
							      out.data : ""));
		buf_release(&out);
		free(path);
		if (m < 0)
			return -1;
		if (major < 0 || m < major)
			major = m;
	}
	return major;
}

/*
 * The lowest N >= want in PG_LIBDIR/N/bin with both tools (dump and
 * restore stay close to the server); "found" lists every N seen.
 */
static char *find_bindir(long want, struct buf *found)
{
	DIR *dp = opendir(PG_LIBDIR);
	struct dirent *de;
	long best = -1;

	while (dp && (de = readdir(dp))) {
		char *end, *p;
		long n = strtol(de->d_name, &end, 10);
		int usable = 1;

		if (end == de->d_name || *end || n <= 0)
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(tools); i++) {
			p = xasprintf("%s/%ld/bin/%s", PG_LIBDIR, n, tools[i]);
			usable &= access(p, X_OK) == 0;
			free(p);
		}
		if (!usable)
			continue;
		buf_printf(found, "%s%ld", found->len ? ", " : "", n);
		if (n >= want && (best < 0 || n < best))
			best = n;
	}
	if (dp)
		closedir(dp);
	return best < 0 ? NULL : xasprintf("%s/%ld/bin", PG_LIBDIR, best);
}

static char *version_text(long num)
{
	if (num >= 100000)
		return xasprintf("%ld.%ld", num / 10000, num % 10000);
	return xasprintf("%ld.%ld.%ld", num / 10000, num / 100 % 100,
			 num % 100);
}

/* px->bindir: pg_bindir, or found; -2 when its client is too old. */
static int pick_client(const struct config_env *env, struct pgx *px,
		       long server, char **cause)
{
	long want = pgx_major(server), have;
	char *ver = version_text(server);
	struct buf found;
	int rc = -1;

	buf_init(&found, 4096);
	px->bindir = env->pg_bindir ? xstrdup(env->pg_bindir) :
		find_bindir(want, &found);
	if (!px->bindir) {
		*cause = xasprintf("no PostgreSQL client %ld or newer in %s "
				   "(found: %s) for the server at %s (%s): "
				   "install postgresql-client-%ld", want,
				   PG_LIBDIR, found.len ? found.data : "none",
				   px->name, ver, want);
		rc = -2;
	} else if ((have = client_major(px->bindir, cause)) < 0) {
		rc = -2;
	} else if (have < want) {
		*cause = xasprintf("the PostgreSQL client in '%s' is %ld, "
				   "older than the server at %s (%s): install "
				   "postgresql-client-%ld and set pg_bindir = "
				   "%s/%ld/bin", px->bindir, have, px->name,
				   ver, want, PG_LIBDIR, want);
		rc = -2;
	} else {
		rc = 0;
	}
	buf_release(&found);
	free(ver);
	return rc;
}

/* libpq's passfile line "*:*:*:*:password", ':' and '\' escaped. */
static int passfile(const struct config_env *env, struct pgx *px,
		    char **cause)
{
	char *why = NULL, *pw = config_db_password(env, &why);
	struct buf line;
	int rc = -1;

	if (!pw) {
		*cause = xasprintf("no database password: %s", why);
		free(why);
		return -1;
	}
	buf_init(&line, SIZE_MAX);
	buf_append(&line, "*:*:*:*:", 8);
	for (const char *c = pw; *c; c++) {
		if (*c == ':' || *c == '\\')
			buf_append(&line, "\\", 1);
		buf_append(&line, c, 1);
	}
	buf_append(&line, "\n", 1);
	px->passfd = memfd_create("odooctl-pgpass", MFD_CLOEXEC);
	if (px->passfd < 0 || fchmod(px->passfd, 0600) < 0 ||
	    write(px->passfd, line.data, line.len) != (ssize_t)line.len)
		*cause = xasprintf("cannot hold the password for the "
				   "PostgreSQL client: %s", strerror(errno));
	else
		rc = 0;
	explicit_bzero(line.data, line.len);
	buf_release(&line);
	secret_free(pw);
	return rc;
}

static void build_env(const struct config_env *env, struct pgx *px)
{
	size_t i;

	px->envp = proc_environ(replaced, 7, &i);
	px->envp[i++] = xasprintf("PGHOST=%s", env->db_host);
	px->envp[i++] = xasprintf("PGPORT=%ld", env->db_port);
	px->envp[i++] = xasprintf("PGUSER=%s", env->db_user);
	px->envp[i++] = xstrdup("PGPASSFILE=/dev/fd/" PASSFILE_FD);
	px->envp[i++] = xstrdup("PGAPPNAME=odooctl");
	px->envp[i++] = xasprintf("PGCONNECT_TIMEOUT=%d", PROBE_TIMEOUT_S);
	px->envp[i++] = xstrdup("PGCLIENTENCODING=UTF8");
}

int pgx_host_open(const struct config_env *env, struct pgx *px,
		  char **cause)
{
	struct pg_probe probe;
	int rc;

	px->name = xasprintf("%s:%ld", env->db_host, env->db_port);
	if (pg_probe(env, "postgres", PROBE_TIMEOUT_S, NULL, &probe,
		     cause) < 0) {
		rc = -2;
	} else {
		rc = pick_client(env, px, probe.server_version, cause);
		if (rc == 0)
			rc = passfile(env, px, cause);
	}
	if (rc == 0)
		build_env(env, px);
	else
		pgx_host_close(px);
	return rc;
}

void pgx_host_close(struct pgx *px)
{
	proc_environ_free(px->envp);
	px->envp = NULL;
	if (px->passfd >= 0)
		close(px->passfd);
	px->passfd = -1;
	free(px->bindir);
	px->bindir = NULL;
}

int pgx_host_run(struct pgx *px, const struct docker_exec_opts *io,
		 int *code, char **cause)
{
	const char *argv[24];
	struct proc_io p = { .in = io->in, .in_arg = io->in_arg,
			     .out = io->out, .out_arg = io->out_arg,
			     .err = io->err, .keep_fd = px->passfd };
	char *path = xasprintf("%s/%s", px->bindir, io->argv[0]);
	size_t n = 1;
	int rc;

	argv[0] = path;
	for (; io->argv[n] && n < ARRAY_SIZE(argv) - 1; n++)
		argv[n] = io->argv[n];
	argv[n] = NULL;
	/* /dev/fd/3 reopens the memfd: each run reads it from its start */
	rc = proc_stream(argv, px->envp, &p, code, cause);
	free(path);
	return rc;
}
