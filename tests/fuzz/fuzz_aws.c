/*
 * libFuzzer target for what AWS answers the SSM secrets provider
 * (secrets_aws.c): any bytes as a GetParametersByPath page, as an SSM
 * error answer, as the instance metadata service's role credentials and as
 * a shared credentials file. Never a crash, a leak or undefined behaviour;
 * every message is one line, a page's keys are env keys, and credentials
 * come whole (key id and secret) or not at all.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "secrets/secrets_priv.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_line(const char *s)
{
	if (s && strpbrk(s, "\r\n"))
		abort();
}

static void check_page(const struct buf *body)
{
	struct secrets s = { 0 };
	char *next = NULL, *why = NULL, *e;

	if (secrets_aws_ssm_page(body, &s, &next, &why) == 0) {
		for (size_t i = 0; i < s.n; i++)
			if (!secrets_key_valid(s.v[i].key))
				abort();
		if (next && !*next)
			abort();
	} else {
		one_line(why);
	}
	e = secrets_aws_ssm_error(403, body);
	one_line(e);
	free(e);
	secrets_release(&s);
	free(next);
	free(why);
	log_redact_clear();
}

static void check_creds(const char *text)
{
	static const char *const profiles[] = { "default", "prod" };
	struct aws_creds c = { 0 };
	char *why = NULL;

	if (secrets_aws_creds_imds(text, &c, &why) == 0 &&
	    (!c.id || !c.secret))
		abort();
	one_line(why);
	free(why);
	secrets_aws_creds_release(&c);
	for (size_t i = 0; i < ARRAY_SIZE(profiles); i++) {
		int rc = secrets_aws_creds_ini(text, profiles[i], &c);

		if ((rc == 1) != (c.id && c.secret))
			abort();
		secrets_aws_creds_release(&c);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf body;
	char *text = xstrndup((const char *)data, size);

	buf_init(&body, SIZE_MAX);
	buf_append(&body, data, size);
	check_page(&body);
	check_creds(text);
	buf_release(&body);
	free(text);
	return 0;
}
