/*
 * libFuzzer target for how odooctl judges what a release answers
 * (health.c, http.c): any bytes as the body of /web/health and of
 * version_info, with status 200 and 500, and the excerpt of it that an
 * error message quotes. Never a crash, a leak or undefined behaviour; no
 * verdict passes without a 200, and the excerpt is printable, trimmed and
 * bounded.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/health.h"
#include "net/http.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_excerpt(const struct buf *body, size_t n)
{
	char *s = http_excerpt(body, n);
	size_t len = strlen(s);

	if (len > n || (len && (isspace((unsigned char)s[0]) ||
				isspace((unsigned char)s[len - 1]))))
		abort();
	for (size_t i = 0; i < len; i++)
		if (!isprint((unsigned char)s[i]))
			abort();
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf body;

	buf_init(&body, SIZE_MAX);
	buf_append(&body, data, size);
	if (health_live_ok(500, &body) || health_ready_ok(500, &body))
		abort();
	health_live_ok(200, &body);
	health_ready_ok(200, &body);
	check_excerpt(&body, 160);
	check_excerpt(&body, 0);
	buf_release(&body);
	return 0;
}
