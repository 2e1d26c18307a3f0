/*
 * libFuzzer target for the hardening gate's parsers (harden.c) of what
 * comes from outside: the input, cut at 0xFF bytes, is an odoo.conf read
 * from an image, the output of `compose config`, and an nginx.conf read
 * from the switch container. Never a crash, a leak or undefined behaviour.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gate/harden.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	char *part[3] = { NULL, NULL, NULL }, *why = NULL;
	json_t *opts = json_object(), *cmd, *env, *ports;

	for (size_t i = 0; i < 3; i++) {
		const uint8_t *cut = p < end ? memchr(p, 0xFF, end - p) : NULL;

		cut = p <= end ? (cut ? cut : end) : p;
		part[i] = xstrndup((const char *)p,
				   p <= end ? (size_t)(cut - p) : 0);
		p = cut + 1;
	}
	if (harden_conf_parse(part[0], opts, &why) < 0)
		free(why);
	why = NULL;
	harden_compose_service(part[1], "odoo19", &cmd, &env, &ports);
	harden_apply_args(opts, cmd);
	json_decref(cmd);
	json_decref(env);
	json_decref(ports);
	harden_nginx_websocket(part[2], &why);
	free(why);
	harden_secret_name(part[0]);
	json_decref(opts);
	for (size_t i = 0; i < 3; i++)
		free(part[i]);
	return 0;
}
