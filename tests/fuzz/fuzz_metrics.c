/*
 * libFuzzer target for the /metrics server's request head parser and its
 * answers (metrics_serve.c): any bytes from a client. Never a crash, a
 * leak or undefined behaviour; a head read in pieces tells what it tells
 * whole; an accepted head has an upper-case method and a path that starts
 * with '/' and holds no query; every answer's Content-Length is its body's.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_answer(enum metrics_head h, const char *m, const char *p)
{
	size_t len, clen;
	char *a = metrics_answer(h, m, p, "odooctl_up 1\n", &len);
	const char *cl = strstr(a, "Content-Length: "), *body;

	if (strlen(a) != len || strncmp(a, "HTTP/1.1 ", 9) || !cl)
		abort();
	clen = strtoul(cl + 16, NULL, 10);
	body = strstr(a, "\r\n\r\n");
	if (!body || (strlen(body + 4) != clen && strcmp(m, "HEAD")) ||
	    (!strcmp(m, "HEAD") && h == MH_OK && body[4]))
		abort();
	free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char m[16] = "", p[256] = "", m2[16], p2[256];
	enum metrics_head h = metrics_parse_head(s, size, m, sizeof(m), p,
						 sizeof(p));

	if (h == MH_OK) {
		if (!m[0] || p[0] != '/' || strchr(p, '?') || strchr(p, ' '))
			abort();
		for (const char *c = m; *c; c++)
			if (*c < 'A' || *c > 'Z')
				abort();
	}
	/* every prefix is still incomplete, or already says the same */
	for (size_t k = 0; k < size; k += 1 + k / 4) {
		enum metrics_head hk = metrics_parse_head(s, k, m2, sizeof(m2),
							  p2, sizeof(p2));

		if (hk == MH_INCOMPLETE)
			continue;
		if (hk != h && !(hk == MH_TOO_LONG || h == MH_TOO_LONG))
			abort();
		if (hk == MH_OK && (strcmp(m, m2) || strcmp(p, p2)))
			abort();
	}
	check_answer(h, h == MH_OK ? m : "", h == MH_OK ? p : "");
	return 0;
}
