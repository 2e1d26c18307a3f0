/*
 * libFuzzer target for the registry credentials reader (regauth.c): any
 * bytes as the docker client's config.json ($DOCKER_CONFIG), asked for the
 * credentials of a registry. Never a crash, a leak or undefined behaviour.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_files.h"
#include "secrets/regauth.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const refs[] = {
		"127.0.0.1:5000/odoo@sha256:0000000000000000000000000000000000000000000000000000000000000000",
		"ghcr.io/acme/seisei-odoo19:latest",
		"odoo:19.0",
	};
	char *why = NULL, *h;

	setenv("DOCKER_CONFIG", fuzz_scratch(), 1);
	fuzz_file("config.json", data, size);
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		h = regauth_header(refs[i], &why);
		secret_free(h);
		free(why);
		why = NULL;
	}
	return 0;
}
