/* What drill.c and drill_scratch.c share. */
#ifndef ODOOCTL_DRILL_PRIV_H
#define ODOOCTL_DRILL_PRIV_H

#include "backup/backup_priv.h"
#include "backup/drill.h"
#include "backup/filestore.h"
#include "pg/pgx.h"

#define DRILL_DB_PREFIX "odooctl_drill_"
#define DRILL_LOG_TAIL 15

struct drill {
	const struct drill_opts *o;
	struct docker *d;
	struct config_env env;	/* o->env, with the scratch database's name */
	struct pgx px;
	struct filestore fs;	/* the scratch container's /var/lib/odoo */
	json_t *prod;		/* inspect of the container that serves */
	json_t *meta;		/* the backup's metadata, or NULL */
	json_t *report, *scratch, *steps;
	char *db, *name, *id, *url;
	char *note;		/* what the step that just passed did */
	int started;		/* the scratch Odoo was started */
	const char *failed;	/* the step that failed */
	char *detail;		/* and why */
};

/* Creates (does not start) the scratch container: dr->id, dr->fs. */
int drill_scratch_create(struct drill *dr, char **cause);
/* Its last lines of output into report.logs; how many. */
int drill_scratch_logs(struct drill *dr);
/*
 * Removes the container (and its volumes) and drops the scratch database,
 * then checks that none of them is left.
 */
int drill_scratch_remove(struct drill *dr, char **cause);

#endif
