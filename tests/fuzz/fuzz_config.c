/*
 * libFuzzer target for the configuration parser (config.c): any bytes as
 * an odooctl.conf, loaded, every environment resolved, released; never a
 * crash, a leak or undefined behaviour.
 */
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "fuzz_files.h"
#include "core/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char *why = NULL, path[128];

	log_set_level(LOG_QUIET);
	fuzz_file("odooctl.conf", data, size);
	snprintf(path, sizeof(path), "%s/odooctl.conf", fuzz_scratch());
	if (config_load(&cfg, path, &why) == 0) {
		for (size_t i = 0; i < cfg.nenvs; i++)
			(void)config_env(&cfg, cfg.envs[i].name, &why);
		config_release(&cfg);
	}
	free(why);
	return 0;
}
