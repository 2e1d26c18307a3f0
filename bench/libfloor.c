/*
 * bench/libfloor: the resident memory that odooctl-monitor's libraries
 * cost a program before it does any work of its own, the floor under the
 * monitor's figure in bench/monitor-footprint.
 *
 *   libfloor
 *
 * Linked with the libraries odooctl-monitor calls (libcurl, libpq,
 * libmicrohttpd, jansson, inih, OpenSSL's libcrypto and libssl), it touches
 * each once (a curl handle, libpq's connection defaults, a feature query of
 * libmicrohttpd, a JSON object, an empty INI text, a SHA-256, an SSL_CTX),
 * then prints its own memory in kB from /proc/self/smaps_rollup: "rss pss
 * anonymous".
 */
#include <curl/curl.h>
#include <ini.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <string.h>

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

static int on_ini(void *u, const char *s, const char *k, const char *v)
{
	(void)u, (void)s, (void)k, (void)v;
	return 1;
}

int main(void)
{
	json_t *o = json_pack("{s:i}", "floor", 1);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	CURL *h = curl_easy_init();
	PQconninfoOption *pq = PQconndefaults();

	ini_parse_string("", on_ini, NULL);
	EVP_Digest("floor", 5, md, &mdlen, EVP_sha256(), NULL);
	if (!o || !ctx || mdlen != 32 || !h || !pq ||
	    MHD_is_feature_supported(MHD_FEATURE_POLL) < 0) {
		fprintf(stderr, "libfloor: a library failed\n");
		return 1;
	}
	printf("%ld %ld %ld\n", field("Rss:"), field("Pss:"),
	       field("Anonymous:"));
	PQconninfoFree(pq);
	curl_easy_cleanup(h);
	SSL_CTX_free(ctx);
	json_decref(o);
	return 0;
}
