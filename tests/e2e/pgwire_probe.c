/*
 * pgwire_probe: connects with pgwire (src/pg/pgwire.h) as libpq's
 * environment says (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE,
 * PGSSLMODE, PGSSLROOTCERT; PGCONNECT_TIMEOUT in seconds) and runs each
 * argument as a query within PROBE_QUERY_MS (default 10000). Prints
 * "server_version N", then each row's values tab-separated ("NULL" for
 * SQL NULL). Exit 0; 1 with the cause on stderr. For t0745-pgwire.sh.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "pg/pgwire.h"

static const char *env(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

int main(int argc, char **argv)
{
	struct pgwire_params p = {
		.host = env("PGHOST", NULL),
		.port = atol(env("PGPORT", "5432")),
		.user = env("PGUSER", "postgres"),
		.password = env("PGPASSWORD", NULL),
		.dbname = env("PGDATABASE", "postgres"),
		.application_name = "pgwire_probe",
		.timeout_ms = 1000 * atol(env("PGCONNECT_TIMEOUT", "10")),
	};
	long query_ms = atol(env("PROBE_QUERY_MS", "10000"));
	struct pgwire *c;
	char *cause = NULL;

	signal(SIGPIPE, SIG_IGN);
	c = pgwire_connect(&p, &cause);
	if (!c) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return 1;
	}
	printf("server_version %ld\n", pgwire_server_version(c));
	for (int i = 1; i < argc; i++) {
		struct pgwire_result r;

		if (pgwire_query(c, argv[i], query_ms, &r, &cause) < 0) {
			fflush(stdout);
			fprintf(stderr, "%s\n", cause);
			free(cause);
			pgwire_close(c);
			return 1;
		}
		for (size_t row = 0; row < r.rows; row++)
			for (size_t col = 0; col < r.cols; col++) {
				const char *v = r.values[row * r.cols + col];

				printf("%s%c", v ? v : "NULL",
				       col + 1 < r.cols ? '\t' : '\n');
			}
		pgwire_result_release(&r);
	}
	pgwire_close(c);
	return 0;
}
