/*
 * Which addons changed between two releases, without running either: a
 * checksum per addon over its sorted relative paths and contents, skipping
 * what does not change the database (.pyc files, static, tests, .pot templates).
 * Computed at build time and stored as image labels odooctl.addon.<name>.
 */
#ifndef ODOOCTL_ADDONS_H
#define ODOOCTL_ADDONS_H

#include <jansson.h>

#define ADDON_LABEL_PREFIX "odooctl.addon."
/* The manifest's version (adapted), and the checksum of only the files
 * that Odoo loads into the database (addon_meta.h). */
#define ADDON_VERSION_PREFIX "odooctl.addon-version."
#define ADDON_DATA_PREFIX "odooctl.addon-data."

/*
 * Adds "odooctl.addon.<name>": "sha256:<hex>" to labels for every addon
 * (a directory holding __manifest__.py) under dir, with
 * "odooctl.addon-version.<name>": "19.0.1.0.0" and
 * "odooctl.addon-data.<name>": "sha256:<hex>" when its manifest parses.
 * *count gets how many addons.
 */
int addons_checksums(const char *dir, json_t *labels, int *count,
		     char **cause);
/* The checksum of one addon directory into out ("sha256:" + 64 hex). */
int addons_checksum_one(const char *addon_dir, char out[72], char **cause);

#endif
