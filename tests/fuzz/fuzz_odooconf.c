/*
 * libFuzzer target for the reader of an Odoo installation's odoo.conf
 * (odooconf.c), which odooctl migrate reads as Python's configparser does:
 * any bytes as an odoo.conf, loaded, its custom addons folder looked for,
 * released; never a crash, a leak or undefined behaviour.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_files.h"
#include "core/log.h"
#include "migrate/odooconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct odoo_conf c;
	char *why = NULL, path[128];

	log_set_level(LOG_QUIET);
	fuzz_file("odoo.conf", data, size);
	snprintf(path, sizeof(path), "%s/odoo.conf", fuzz_scratch());
	if (odoo_conf_load(path, &c, &why) == 0) {
		free(odoo_conf_extra_addons(&c, &why));
		odoo_conf_release(&c);
	}
	free(why);
	return 0;
}
