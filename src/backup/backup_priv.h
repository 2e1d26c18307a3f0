/* What backup.c, backup_load.c, backup_restore.c and backup_verify.c share. */
#ifndef ODOOCTL_BACKUP_PRIV_H
#define ODOOCTL_BACKUP_PRIV_H

#include <jansson.h>

#include "backup/backup.h"
#include "backup/filestore.h"
#include "pg/pgx.h"

/* Loading a backup's zip into a fresh database (and filestore directory). */
struct backup_load {
	struct pgx *px;
	struct filestore *fs;	/* NULL: the filestore is only read */
	const char *db;		/* created here; must not exist */
	const char *fs_dir;	/* written to filestore/<fs_dir> */
	json_t *meta;		/* the backup's metadata, or NULL */
	int files_only;		/* db: untouched, dump.sql skipped */
	/*
	 * With env: db and everything loaded into it end up owned by the
	 * role Odoo connects as (dbrole.h), created first if missing.
	 */
	const struct config_env *env;
	char *owner;		/* that role; NULL: db_user's */
	/* what was found */
	struct dump_scan scan;
	json_t *files;		/* filestore/ entries: relative name -> size */
	json_t *manifest;	/* manifest.json, or NULL */
};

/*
 * One pass over the zip: dump.sql streamed into psql (one transaction,
 * committed only when the dump ended with pg_dump's last line), the
 * filestore into filestore/<fs_dir> (with fs) or just read through its
 * CRCs (without), manifest.json parsed.
 */
int backup_load_run(struct backup_load *l, const char *zip, char **cause);
void backup_load_release(struct backup_load *l);

/*
 * What Odoo does to a copy: mail, fetchmail, crons (but the autovacuum),
 * webhooks and payment providers off; then checks that nothing is left on.
 */
int backup_neutralize(struct pgx *px, const char *db, char **cause);
/* A name derived from base, at most 63 bytes: "<prefix><base>". */
char *backup_db_scratch(const char *prefix, const char *base);

#endif
