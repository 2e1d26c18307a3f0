/*
 * libFuzzer target for what providers hand back (secrets.c): any bytes as
 * a provider's KEY=VALUE output, parsed, rendered into an env file merged
 * with itself, and that rendering parsed back to the same pairs; the
 * values fed to the log redaction and a line redacted. Never a crash, a
 * leak or undefined behaviour.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "secrets/secrets.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const struct secrets *s, const char *text)
{
	struct secrets back = { 0 };
	char *why = NULL, *out = secrets_render(text, s, &why);

	if (out && secrets_parse(out, strlen(out), "fuzz", &back, &why) == 0)
		for (size_t i = 0; i < s->n; i++) {
			const char *v = secrets_get(&back, s->v[i].key);

			/* a merged line may be unparsable; ours never are */
			if (!v || strcmp(v, s->v[i].value))
				abort();
		}
	secrets_release(&back);
	secret_free(out);
	free(why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct secrets s = { 0 };
	char *why = NULL, *text = xstrndup((const char *)data, size), *r;

	if (secrets_parse((const char *)data, size, "fuzz", &s, &why) == 0) {
		round_trip(&s, NULL);
		secrets_register(&s);
		r = log_redact(text);
		free(r);
		log_redact_clear();
	}
	secrets_release(&s);
	free(why);
	free(text);
	return 0;
}
