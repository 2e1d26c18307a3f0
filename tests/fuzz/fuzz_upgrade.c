/*
 * libFuzzer target for the judge of a module upgrade's output
 * (upgrade.c): the first byte is the exit status, the rest what Odoo
 * printed. Never a crash, a leak or undefined behaviour, and a verdict
 * that is 0 only with "Modules loaded." in the output and exit status 0.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "release/upgrade.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out, *why = NULL;
	int code;

	if (size < 1)
		return 0;
	code = data[0] % 4 == 0 ? 0 : data[0];
	out = xstrndup((const char *)data + 1, size - 1);
	if (upgrade_judge(out, code, &why) == 0 &&
	    (code != 0 || !strstr(out, "Modules loaded.")))
		abort();	/* passed what it must not */
	free(why);
	free(out);
	return 0;
}
