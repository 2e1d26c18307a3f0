/*
 * What an addon's manifest says that decides whether a release upgrades it
 * (upgrade_trigger = version): its version, as Odoo 19 adapts it, and the
 * files Odoo loads into the database when the addon is upgraded. Read with
 * the project's own literal parser (pyliteral.h), without Python.
 *
 * The files that matter to the database: __manifest__.py, every Python
 * file but controllers/ (models, wizards, reports, migrations: Odoo reads
 * their fields into the registry and the schema), the data and demo files
 * the manifest lists (views, security CSVs, records) and the .po files of
 * i18n/. A change to anything else (controllers, static/, tests/, a
 * README) needs no module upgrade.
 */
#ifndef ODOOCTL_ADDON_META_H
#define ODOOCTL_ADDON_META_H

#include <stddef.h>

struct addon_meta {
	char *version;		/* adapted ("19.0.x.y.z"); NULL: not a str */
	int version_line;	/* where the manifest says it; 0: it does not */
	int version_col;
	char **files;		/* the data and demo files it lists */
	size_t nfiles;
};

/* Odoo 19's adapt_version(): "1.2" -> "19.0.1.2"; caller frees. */
char *addon_meta_adapt_version(const char *v);

/*
 * Parses a manifest's text (len bytes). -1 with *cause when it is not a
 * dict literal; a manifest with no 'version' gets Odoo's default, 1.0.
 */
int addon_meta_parse(const char *src, size_t len, struct addon_meta *m,
		     char **cause);
/* The same for addon_dir/__manifest__.py. */
int addon_meta_read(const char *addon_dir, struct addon_meta *m,
		    char **cause);
void addon_meta_release(struct addon_meta *m);

/* Whether the file rel (relative to the addon) matters to the database. */
int addon_meta_db_file(const struct addon_meta *m, const char *rel);

/* What no checksum covers: .pyc, static/, tests/, i18n's .pot files. */
int addons_skipped(const char *rel);

#endif
