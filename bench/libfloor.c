/*
 * bench/libfloor: the resident memory that odooctl's libraries cost any
 * program before it does any work of its own, the floor under
 * `odooctl monitor`'s figure in bench/monitor-footprint.
 *
 *   libfloor URL CONNINFO      (the password in PGPASSWORD, never argv)
 *
 * Linked with exactly the libraries odooctl links (the Makefile's PKGS),
 * it initialises libcurl as odooctl does, makes one GET of URL and one
 * libpq connection (SELECT 1), then prints its own memory in kB from
 * /proc/self/smaps_rollup: "rss pss anonymous". Exit 1 when the request
 * or the connection fails (the figure would then not be comparable).
 */
#include <curl/curl.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

static size_t discard(char *p, size_t size, size_t n, void *u)
{
	(void)p;
	(void)u;
	return size * n;
}

static long field(const char *name)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, strlen(name)))
			sscanf(line + strlen(name), "%ld", &kb);
	fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	CURL *c;
	CURLcode rc;
	PGconn *pg;
	PGresult *res;
	int ok;

	if (argc != 3) {
		fprintf(stderr, "usage: libfloor URL CONNINFO\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, argv[1]);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	rc = curl_easy_perform(c);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		fprintf(stderr, "libfloor: GET %s: %s\n", argv[1],
			curl_easy_strerror(rc));
		return 1;
	}
	pg = PQconnectdb(argv[2]);
	res = PQexec(pg, "SELECT 1");
	ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "libfloor: SELECT 1: %s", PQerrorMessage(pg));
	PQclear(res);
	PQfinish(pg);
	if (!ok)
		return 1;
	printf("%ld %ld %ld\n", field("Rss:"), field("Pss:"),
	       field("Anonymous:"));
	curl_global_cleanup();
	return 0;
}
